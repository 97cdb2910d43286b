import { ValidationError } from '@panoptes/common';
import { ByteWriter, Decbuf, verifyCrc32c } from './encoding';
import { CorruptBlockError } from './errors';
import { compareLabels, compareUtf8, Labels, labelsString } from './labels';

/**
 * The block `index` file, version 2 (Prometheus tsdb/docs/format/index.md):
 *
 *   magic 0xBAAAD700 <4b> | version 2 <1b>
 *   symbol table     len <4b> | #symbols <4b> | (len <uvarint> | utf-8 bytes)* | CRC <4b>
 *   series           each 16-byte aligned, ref = offset/16:
 *                    len <uvarint> | #labels <uvarint> | (name ref, value ref <uvarint>)* |
 *                    #chunks <uvarint> | chunk metas | CRC <4b>
 *   label indices    one per label name, 4-byte aligned (no longer read, written for old readers)
 *   postings         4-byte aligned, one list per label pair plus the all-series list ("", "")
 *   label offset table, postings offset table, TOC (6 offsets <8b> | CRC <4b>)
 *
 * Every CRC-32C covers exactly the bytes counted by the section's `len`. Symbols are sorted by
 * UTF-8 bytes and referenced by position; series are sorted by labels, so sorted refs mean sorted
 * label sets. Like Prometheus' head-compacted blocks, the symbol table includes "".
 */
export const INDEX_MAGIC = 0xbaaad700;
export const INDEX_FORMAT_V2 = 2;
const TOC_SIZE = 6 * 8 + 4;

/** Where a chunk is and which time range (inclusive, ms) it covers. */
export interface ChunkMeta {
  mint: number;
  maxt: number;
  /** `segment << 32 | offset` into the chunk segment files. */
  ref: number;
}

export interface IndexSeries {
  labels: Labels;
  chunks: readonly ChunkMeta[];
}

export interface IndexToc {
  symbols: number;
  series: number;
  labelIndices: number;
  labelIndicesTable: number;
  postings: number;
  postingsTable: number;
}

/** Where the index bytes go: a file (FileSink) or memory. */
export interface IndexSink {
  readonly pos: number;
  write(data: Uint8Array): Promise<void>;
}

/** An in-memory IndexSink. */
export class MemorySink implements IndexSink {
  private readonly w = new ByteWriter(1 << 16);

  get pos(): number {
    return this.w.length;
  }

  async write(data: Uint8Array): Promise<void> {
    this.w.putBytes(data);
  }

  bytes(): Buffer {
    return this.w.bytes();
  }
}

/** `writeIndex` hands its buffer to the sink once it holds this many bytes. */
const FLUSH_BYTES = 1 << 18;

/** UTF-16 order equals UTF-8 byte order for strings without surrogates (code points above U+FFFF). */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Symbols and label pairs numbered in order of first appearance (their refs, in UTF-8 order, come
 * once every string is known).
 */
class LabelPairs {
  /** Every distinct string, "" first (the index always holds it). */
  readonly symbols: string[] = [''];
  readonly symbolIds = new Map<string, number>([['', 0]]);
  /** Some symbol holds a surrogate: sort with `compareUtf8`, not by UTF-16 code units. */
  surrogates = false;
  private readonly nameIds = new Map<string, number>();
  /** Per name id: its symbol id and its values' pair ids. */
  readonly nameSymbol: number[] = [];
  readonly nameValues: Array<Map<string, number>> = [];
  /** Per pair id: its name id, its value's symbol id and how many series have it. */
  readonly pairName: number[] = [];
  readonly pairValue: number[] = [];
  readonly pairSeries: number[] = [];

  symbol(str: string): number {
    let id = this.symbolIds.get(str);
    if (id === undefined) {
      id = this.symbols.length;
      this.symbols.push(str);
      this.symbolIds.set(str, id);
      if (!this.surrogates && SURROGATE.test(str)) this.surrogates = true;
    }
    return id;
  }

  name(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.nameSymbol.length;
      this.nameIds.set(name, id);
      this.nameSymbol.push(this.symbol(name));
      this.nameValues.push(new Map());
    }
    return id;
  }

  pair(nameId: number, value: string): number {
    const byValue = this.nameValues[nameId];
    let p = byValue.get(value);
    if (p === undefined) {
      p = this.pairName.length;
      byValue.set(value, p);
      this.pairName.push(nameId);
      this.pairValue.push(this.symbol(value));
      this.pairSeries.push(0);
    }
    return p;
  }
}

/** What `IndexBuilder.add` keeps for writing: everything in typed arrays, no series objects. */
interface CollectedSeries {
  pairs: LabelPairs;
  /** The pair id of every label of every series, series after series. */
  labelPair: Uint32Array;
  /** Per series: the end of its labels in `labelPair` and of its encoded chunk metas in `chunkMetas`. */
  labelEnd: Uint32Array;
  chunkMetas: Buffer;
  chunkMetasEnd: Uint32Array;
}

/**
 * An index built from series added one at a time in label order (`add`), then written once
 * (`write`); `writeIndex` in two steps. `add` is the only step that reads the series' objects: it
 * checks them (sorted, no duplicates, chunks present, in order and not overlapping; throws like
 * `writeIndex`), numbers symbols and label pairs and encodes the chunk metas, so `BlockWriter`
 * can do that work as series arrive, while their labels are still in the CPU cache. A label equal
 * to the previous series' label at the same position (sorted series share prefixes; interned
 * strings compare by reference) reuses its pair without a lookup.
 */
export class IndexBuilder {
  private readonly pairs = new LabelPairs();
  private labelPair: Uint32Array;
  private labelEnd: Uint32Array;
  private chunkMetasEnd: Uint32Array;
  private readonly chunkMetas: ByteWriter;
  private prev: Labels = [];
  private prevAt = 0;
  private numLabels = 0;
  private numSeries = 0;

  /** `expectedSeries`: a sizing hint; more series are fine. */
  constructor(expectedSeries = 256) {
    const n = Math.max(16, expectedSeries);
    this.labelPair = new Uint32Array(8 * n);
    this.labelEnd = new Uint32Array(n);
    this.chunkMetasEnd = new Uint32Array(n);
    this.chunkMetas = new ByteWriter(16 * n);
  }

  /** Whether a series with `labels` may be added next: it sorts strictly after the last one. */
  follows(labels: Labels): boolean {
    return this.numSeries === 0 || compareLabels(this.prev, labels) < 0;
  }

  /** Adds the next series. `labels` and `chunks` are read now and not kept. */
  add(labels: Labels, chunks: readonly ChunkMeta[]): void {
    const i = this.numSeries;
    const prev = this.prev;
    if (i > 0 && compareLabels(prev, labels) >= 0) {
      throw new ValidationError(
        'series_not_sorted',
        `index series must be sorted by labels without duplicates; ${labelsString(labels)} comes after ${labelsString(prev)}`,
      );
    }
    if (chunks.length === 0) {
      throw new ValidationError('series_without_chunks', `series ${labelsString(labels)} has no chunks`);
    }
    const len = labels.length;
    const at = this.numLabels;
    if (i === this.labelEnd.length) {
      this.labelEnd = grown(this.labelEnd, i + 1);
      this.chunkMetasEnd = grown(this.chunkMetasEnd, i + 1);
    }
    if (at + len > this.labelPair.length) this.labelPair = grown(this.labelPair, at + len);
    encodeChunkMetas(this.chunkMetas, labels, chunks);
    this.chunkMetasEnd[i] = this.chunkMetas.length;

    const pairs = this.pairs;
    const pairName = pairs.pairName;
    const pairSeries = pairs.pairSeries;
    const labelPair = this.labelPair;
    const prevAt = this.prevAt;
    const prevLen = prev.length;
    for (let k = 0; k < len; k++) {
      const label = labels[k];
      const name = label[0];
      const value = label[1];
      let p: number;
      if (k < prevLen && prev[k][0] === name) {
        const same = labelPair[prevAt + k];
        p = prev[k][1] === value ? same : pairs.pair(pairName[same], value);
      } else {
        p = pairs.pair(pairs.name(name), value);
      }
      labelPair[at + k] = p;
      pairSeries[p]++;
    }
    this.prev = labels;
    this.prevAt = at;
    this.numLabels = at + len;
    this.labelEnd[i] = at + len;
    this.numSeries = i + 1;
  }

  /** Writes the index of the series added so far. Call it once, after the last `add`. */
  async write(sink: IndexSink): Promise<IndexToc> {
    const n = this.numSeries;
    return writeLayout(
      sink,
      new IndexLayout({
        pairs: this.pairs,
        labelPair: this.labelPair.subarray(0, this.numLabels),
        labelEnd: this.labelEnd.subarray(0, n),
        chunkMetas: this.chunkMetas.bytes(),
        chunkMetasEnd: this.chunkMetasEnd.subarray(0, n),
      }),
    );
  }
}

/** A copy of `a` with room for at least `need` elements. */
function grown(a: Uint32Array, need: number): Uint32Array {
  const out = new Uint32Array(Math.max(need, 2 * a.length));
  out.set(a);
  return out;
}

/**
 * Where everything goes. Symbol refs are positions in UTF-8 order; label pairs are ranked by
 * (name ref, value ref), the order of the label indices, the postings lists and their offset table.
 * The postings of every pair share one array, laid out in rank order by counting: pair p's list
 * fills `postingRefs` from `next[p]` as the series are written (series refs ascend).
 */
class IndexLayout {
  readonly numSymbols: number;
  /** Every symbol as `len <uvarint> | bytes`, in ref order; symbol r is `symbolEnc[symbolStart[r], symbolStart[r + 1])`. */
  readonly symbolEnc: Buffer;
  readonly symbolStart: Uint32Array;
  /** Per label name, in ref order: its symbol ref and the end of its pairs' ranks. */
  readonly nameRef: Uint32Array;
  readonly nameRankEnd: Uint32Array;
  /** Per pair rank: its name and value refs and where its postings start in `postingRefs` (one more: the end). */
  readonly rankNameRef: Uint32Array;
  readonly rankValueRef: Uint32Array;
  readonly rankStart: Uint32Array;
  /** Per pair id: name and value refs (the series section writes them by pair id), and the postings fill position. */
  readonly pairNameRef: Uint32Array;
  readonly pairValueRef: Uint32Array;
  readonly next: Uint32Array;
  readonly postingRefs: Uint32Array;
  /** Series refs in series order: the all-series postings list. */
  readonly all: Uint32Array;

  constructor(readonly c: CollectedSeries) {
    const { symbols, symbolIds, nameSymbol, nameValues, pairName, pairValue, pairSeries } = c.pairs;
    const numSymbols = symbols.length;
    const numPairs = pairName.length;
    this.numSymbols = numSymbols;

    const sorted = symbols.slice();
    if (c.pairs.surrogates) sorted.sort(compareUtf8);
    else sorted.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const refOf = new Uint32Array(numSymbols);
    const enc = new ByteWriter(16 * numSymbols + 64);
    this.symbolStart = new Uint32Array(numSymbols + 1);
    for (let r = 0; r < numSymbols; r++) {
      refOf[symbolIds.get(sorted[r])!] = r;
      this.symbolStart[r] = enc.length;
      enc.putUvarintStr(sorted[r]);
    }
    this.symbolStart[numSymbols] = enc.length;
    this.symbolEnc = enc.bytes();

    this.pairNameRef = new Uint32Array(numPairs);
    this.pairValueRef = new Uint32Array(numPairs);
    for (let p = 0; p < numPairs; p++) {
      this.pairNameRef[p] = refOf[nameSymbol[pairName[p]]];
      this.pairValueRef[p] = refOf[pairValue[p]];
    }

    const names = nameSymbol.map((_, id) => id).sort((a, b) => refOf[nameSymbol[a]] - refOf[nameSymbol[b]]);
    this.nameRef = new Uint32Array(names.length);
    this.nameRankEnd = new Uint32Array(names.length);
    this.rankNameRef = new Uint32Array(numPairs);
    this.rankValueRef = new Uint32Array(numPairs);
    this.rankStart = new Uint32Array(numPairs + 1);
    this.next = new Uint32Array(numPairs);
    const pairOfValueRef = new Uint32Array(numSymbols);
    let rank = 0;
    let fill = 0;
    for (let i = 0; i < names.length; i++) {
      const byValue = nameValues[names[i]];
      const nameRef = refOf[nameSymbol[names[i]]];
      const valueRefs = new Uint32Array(byValue.size);
      let k = 0;
      for (const p of byValue.values()) {
        valueRefs[k++] = this.pairValueRef[p];
        pairOfValueRef[this.pairValueRef[p]] = p;
      }
      valueRefs.sort();
      for (let j = 0; j < valueRefs.length; j++, rank++) {
        const p = pairOfValueRef[valueRefs[j]];
        this.rankNameRef[rank] = nameRef;
        this.rankValueRef[rank] = valueRefs[j];
        this.rankStart[rank] = fill;
        this.next[p] = fill;
        fill += pairSeries[p];
      }
      this.nameRef[i] = nameRef;
      this.nameRankEnd[i] = rank;
    }
    this.rankStart[numPairs] = fill;
    this.postingRefs = new Uint32Array(fill);
    this.all = new Uint32Array(c.labelEnd.length);
  }
}

/**
 * Writes series from `i` on until `w` holds FLUSH_BYTES or none is left; returns the next series.
 * `base` is the file offset of `w`'s first byte. Fills the postings with each series' ref.
 */
function writeSeriesBatch(w: ByteWriter, base: number, l: IndexLayout, i: number): number {
  const { labelPair, labelEnd, chunkMetas, chunkMetasEnd } = l.c;
  const { pairNameRef, pairValueRef, next, postingRefs, all } = l;
  for (; i < all.length && w.length < FLUSH_BYTES; i++) {
    w.pad(16, base);
    const ref = (base + w.length) / 16;
    if (ref > 0xffffffff) {
      throw new ValidationError('index_too_large', 'index series section exceeds 64 GiB; write a smaller block');
    }
    all[i] = ref;
    const start = w.length;
    const from = i === 0 ? 0 : labelEnd[i - 1];
    const to = labelEnd[i];
    w.putUvarint(to - from);
    for (let k = from; k < to; k++) {
      const p = labelPair[k];
      w.putUvarint(pairNameRef[p]);
      w.putUvarint(pairValueRef[p]);
      postingRefs[next[p]++] = ref;
    }
    w.putSlice(chunkMetas, i === 0 ? 0 : chunkMetasEnd[i - 1], chunkMetasEnd[i]);
    const len = w.length - start;
    w.insertUvarint(start, len);
    w.putCrc32c(w.length - len);
  }
  return i;
}

/** Label indices of names `i`… (their sorted values as symbol refs), as far as FLUSH_BYTES; returns the next name. */
function writeLabelIndicesBatch(w: ByteWriter, base: number, l: IndexLayout, i: number, offsets: Float64Array): number {
  for (; i < l.nameRef.length && w.length < FLUSH_BYTES; i++) {
    const from = i === 0 ? 0 : l.nameRankEnd[i - 1];
    const count = l.nameRankEnd[i] - from;
    w.pad(4, base);
    offsets[i] = base + w.length;
    const start = w.length;
    w.putBE32(8 + 4 * count);
    w.putBE32(1);
    w.putBE32(count);
    w.putBE32s(l.rankValueRef, from, l.nameRankEnd[i]);
    w.putCrc32c(start + 4);
  }
  return i;
}

/** Postings lists of ranks `r`…, as far as FLUSH_BYTES; returns the next rank. */
function writePostingsBatch(w: ByteWriter, base: number, l: IndexLayout, r: number, offsets: Float64Array): number {
  const rankStart = l.rankStart;
  for (; r < l.rankNameRef.length && w.length < FLUSH_BYTES; r++) {
    const count = rankStart[r + 1] - rankStart[r];
    offsets[r] = base + w.length;
    const start = w.length;
    w.putBE32(4 + 4 * count);
    w.putBE32(count);
    w.putBE32s(l.postingRefs, rankStart[r], rankStart[r + 1]);
    w.putCrc32c(start + 4);
  }
  return r;
}

/**
 * Writes an index for `series`, which must be sorted by labels (`compareLabels`) with no
 * duplicates, each with at least one chunk, chunks in time order and not overlapping.
 */
export async function writeIndex(sink: IndexSink, series: readonly IndexSeries[]): Promise<IndexToc> {
  const b = new IndexBuilder(series.length);
  for (let i = 0; i < series.length; i++) b.add(series[i].labels, series[i].chunks);
  return b.write(sink);
}

/**
 * Writes the sections from the layout's typed arrays. The loops are small synchronous batch
 * functions (quick for V8 to optimise even on a cold first call), each returning when the buffer
 * holds FLUSH_BYTES so the sink gets large writes. Offsets are `sink.pos + w.length`.
 */
async function writeLayout(sink: IndexSink, l: IndexLayout): Promise<IndexToc> {
  const w = new ByteWriter(FLUSH_BYTES + (FLUSH_BYTES >> 2));
  const flush = async () => {
    await sink.write(w.bytes());
    w.reset();
  };

  w.putBE32(INDEX_MAGIC);
  w.putByte(INDEX_FORMAT_V2);

  // Symbol table.
  const toc: IndexToc = { symbols: sink.pos + w.length, series: 0, labelIndices: 0, labelIndicesTable: 0, postings: 0, postingsTable: 0 };
  let start = w.length;
  w.putBE32(0);
  w.putBE32(l.numSymbols);
  w.putSlice(l.symbolEnc, 0, l.symbolEnc.length);
  w.setBE32(start, w.length - start - 4);
  w.putCrc32c(start + 4);

  // Series, filling postings as refs are assigned.
  toc.series = sink.pos + w.length;
  for (let i = 0; i < l.all.length; ) {
    if (w.length >= FLUSH_BYTES) await flush();
    i = writeSeriesBatch(w, sink.pos, l, i);
  }

  // Label indices: per label name, its sorted values as symbol refs.
  toc.labelIndices = sink.pos + w.length;
  const labelIndexOffsets = new Float64Array(l.nameRef.length);
  for (let i = 0; i < l.nameRef.length; ) {
    if (w.length >= FLUSH_BYTES) await flush();
    i = writeLabelIndicesBatch(w, sink.pos, l, i, labelIndexOffsets);
  }

  // Postings: the all-series list first (it sorts first as ("", "")), then every label pair.
  toc.postings = sink.pos + w.length;
  w.pad(4, sink.pos);
  const allOffset = sink.pos + w.length;
  start = w.length;
  w.putBE32(4 + 4 * l.all.length);
  w.putBE32(l.all.length);
  w.putBE32s(l.all, 0, l.all.length);
  w.putCrc32c(start + 4);
  const postingsOffsets = new Float64Array(l.rankNameRef.length);
  for (let r = 0; r < l.rankNameRef.length; ) {
    if (w.length >= FLUSH_BYTES) await flush();
    r = writePostingsBatch(w, sink.pos, l, r, postingsOffsets);
  }
  if (w.length >= FLUSH_BYTES) await flush();

  // Label offset table.
  toc.labelIndicesTable = sink.pos + w.length;
  start = w.length;
  w.putBE32(0);
  w.putBE32(l.nameRef.length);
  for (let i = 0; i < l.nameRef.length; i++) {
    w.putUvarint(1);
    w.putSlice(l.symbolEnc, l.symbolStart[l.nameRef[i]], l.symbolStart[l.nameRef[i] + 1]);
    w.putUvarint(labelIndexOffsets[i]);
  }
  w.setBE32(start, w.length - start - 4);
  w.putCrc32c(start + 4);
  if (w.length >= FLUSH_BYTES) await flush();

  // Postings offset table.
  toc.postingsTable = sink.pos + w.length;
  writePostingsTable(w, l, allOffset, postingsOffsets);

  // TOC.
  start = w.length;
  w.putBE64(toc.symbols);
  w.putBE64(toc.series);
  w.putBE64(toc.labelIndices);
  w.putBE64(toc.labelIndicesTable);
  w.putBE64(toc.postings);
  w.putBE64(toc.postingsTable);
  w.putCrc32c(start);
  await flush();
  return toc;
}

/** The postings offset table: ("", "") first, then every pair in rank order, with its list's offset. */
function writePostingsTable(w: ByteWriter, l: IndexLayout, allOffset: number, offsets: Float64Array): void {
  const { symbolEnc, symbolStart, rankNameRef, rankValueRef } = l;
  const start = w.length;
  w.putBE32(0);
  w.putBE32(rankNameRef.length + 1);
  w.putUvarint(2);
  w.putUvarintStr('');
  w.putUvarintStr('');
  w.putUvarint(allOffset);
  for (let r = 0; r < rankNameRef.length; r++) {
    w.putUvarint(2);
    w.putSlice(symbolEnc, symbolStart[rankNameRef[r]], symbolStart[rankNameRef[r] + 1]);
    w.putSlice(symbolEnc, symbolStart[rankValueRef[r]], symbolStart[rankValueRef[r] + 1]);
    w.putUvarint(offsets[r]);
  }
  w.setBE32(start, w.length - start - 4);
  w.putCrc32c(start + 4);
}

/** Chunk metas as the series entry holds them; throws unless chunks are in time order without overlap. */
function encodeChunkMetas(out: ByteWriter, labels: Labels, chunks: readonly ChunkMeta[]): void {
  out.putUvarint(chunks.length);
  let prevMaxt = 0;
  let prevRef = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    if (c.maxt < c.mint || (i > 0 && c.mint <= prevMaxt)) {
      throw new ValidationError(
        'chunks_overlap',
        `chunks of series ${labelsString(labels)} must be in time order without overlap; chunk ${i} covers ${c.mint}..${c.maxt}, the previous ended at ${prevMaxt}`,
      );
    }
    if (i === 0) {
      out.putVarint(c.mint);
      out.putUvarint(c.maxt - c.mint);
      out.putUvarint(c.ref);
    } else {
      out.putUvarint(c.mint - prevMaxt);
      out.putUvarint(c.maxt - c.mint);
      out.putVarint(c.ref - prevRef);
    }
    prevMaxt = c.maxt;
    prevRef = c.ref;
  }
}

interface PostingsTableEntry {
  values: string[];
  offsets: number[];
}

/**
 * Reads an index v2 held in memory. Opening checks the magic, version and TOC and reads the
 * symbol table and postings offset table; series and postings are decoded (and their checksums
 * verified) when asked for.
 */
export class IndexReader {
  readonly toc: IndexToc;
  private readonly buf: Buffer;
  private readonly symbolTable: string[];
  private readonly postingsTable = new Map<string, PostingsTableEntry>();

  constructor(
    data: Uint8Array,
    private readonly what = 'index',
  ) {
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.buf.length < 5 + TOC_SIZE) throw new CorruptBlockError(`${what}: file too short (${this.buf.length} bytes)`);
    const magic = this.buf.readUInt32BE(0);
    if (magic !== INDEX_MAGIC) throw new CorruptBlockError(`${what}: bad magic 0x${magic.toString(16)}`);
    const version = this.buf[4];
    if (version !== INDEX_FORMAT_V2) {
      throw new CorruptBlockError(`${what}: index version ${version} is not supported (only version 2)`);
    }
    const tocStart = this.buf.length - TOC_SIZE;
    verifyCrc32c(this.buf, tocStart, tocStart + 48, `${what} TOC`);
    const d = new Decbuf(this.buf, `${what} TOC`, tocStart);
    this.toc = {
      symbols: d.be64(),
      series: d.be64(),
      labelIndices: d.be64(),
      labelIndicesTable: d.be64(),
      postings: d.be64(),
      postingsTable: d.be64(),
    };
    this.symbolTable = this.readSymbols();
    this.readPostingsTable();
  }

  /** Opens a `len <4b> | … | CRC` section at `offset`, verifying its checksum. */
  private section(offset: number, name: string): Decbuf {
    const what = `${this.what} ${name}`;
    if (offset + 4 > this.buf.length) throw new CorruptBlockError(`${what}: offset ${offset} is past the end`);
    const len = this.buf.readUInt32BE(offset);
    verifyCrc32c(this.buf, offset + 4, offset + 4 + len, what);
    return new Decbuf(this.buf, what, offset + 4, offset + 4 + len);
  }

  private readSymbols(): string[] {
    if (this.toc.symbols === 0) return [];
    const d = this.section(this.toc.symbols, 'symbol table');
    const n = d.be32();
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = d.uvarintStr();
    return out;
  }

  private readPostingsTable(): void {
    if (this.toc.postingsTable === 0) return;
    const d = this.section(this.toc.postingsTable, 'postings offset table');
    const n = d.be32();
    for (let i = 0; i < n; i++) {
      const keys = d.uvarint();
      if (keys !== 2) throw new CorruptBlockError(`${this.what} postings offset table: entry ${i} has ${keys} keys, want 2`);
      const name = d.uvarintStr();
      const value = d.uvarintStr();
      const offset = d.uvarint();
      let e = this.postingsTable.get(name);
      if (!e) this.postingsTable.set(name, (e = { values: [], offsets: [] }));
      e.values.push(value);
      e.offsets.push(offset);
    }
  }

  /** The symbol table, sorted. */
  symbols(): readonly string[] {
    return this.symbolTable;
  }

  symbol(ref: number): string {
    const s = this.symbolTable[ref];
    if (s === undefined) throw new CorruptBlockError(`${this.what}: symbol reference ${ref} out of range`);
    return s;
  }

  /** Label names with postings, sorted (the all-series key "" excluded). */
  labelNames(): string[] {
    return [...this.postingsTable.keys()].filter((n) => n !== '').sort(compareUtf8);
  }

  /** Values of a label name, sorted; empty when the name is unknown. */
  labelValues(name: string): readonly string[] {
    return this.postingsTable.get(name)?.values ?? [];
  }

  /** Series refs with the label pair, ascending; empty when there are none. */
  postings(name: string, value: string): Uint32Array {
    const e = this.postingsTable.get(name);
    if (!e) return new Uint32Array(0);
    let lo = 0;
    let hi = e.values.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareUtf8(e.values[mid], value);
      if (c === 0) return this.readPostings(e.offsets[mid]);
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return new Uint32Array(0);
  }

  /** Every series ref, ascending. */
  allPostings(): Uint32Array {
    return this.postings('', '');
  }

  private readPostings(offset: number): Uint32Array {
    const d = this.section(offset, 'postings');
    const n = d.be32();
    if (d.remaining !== n * 4) throw new CorruptBlockError(`${this.what} postings: list at ${offset} has a wrong length`);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = d.be32();
    return out;
  }

  /** The labels and chunk metas of the series at `ref` (offset / 16). */
  series(ref: number): IndexSeries {
    const offset = ref * 16;
    const what = `${this.what} series ${ref}`;
    const head = new Decbuf(this.buf, what, offset);
    const len = head.uvarint();
    const start = head.pos;
    verifyCrc32c(this.buf, start, start + len, what);
    const d = new Decbuf(this.buf, what, start, start + len);
    const nLabels = d.uvarint();
    const labels: Array<[string, string]> = new Array(nLabels);
    for (let i = 0; i < nLabels; i++) labels[i] = [this.symbol(d.uvarint()), this.symbol(d.uvarint())];
    const nChunks = d.uvarint();
    const chunks: ChunkMeta[] = new Array(nChunks);
    let maxt = 0;
    let ref0 = 0;
    for (let i = 0; i < nChunks; i++) {
      let mint: number;
      if (i === 0) {
        mint = d.varint();
        maxt = mint + d.uvarint();
        ref0 = d.uvarint();
      } else {
        mint = maxt + d.uvarint();
        maxt = mint + d.uvarint();
        ref0 += d.varint();
      }
      chunks[i] = { mint, maxt, ref: ref0 };
    }
    return { labels, chunks };
  }
}
