import { ValidationError } from '@panoptes/common';
import { crc32c } from './crc32c';
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

/**
 * Writes an index for `series`, which must be sorted by labels (`compareLabels`) with no
 * duplicates, each with at least one chunk, chunks in time order and not overlapping.
 */
export async function writeIndex(sink: IndexSink, series: readonly IndexSeries[]): Promise<IndexToc> {
  const w = new ByteWriter(4096);
  const content = new ByteWriter(256);
  const flush = async () => {
    await sink.write(w.bytes());
    w.reset();
  };

  w.putBE32(INDEX_MAGIC);
  w.putByte(INDEX_FORMAT_V2);
  await flush();

  // Symbol table.
  const symbolSet = new Set<string>(['']);
  for (const s of series) {
    for (const [n, v] of s.labels) {
      symbolSet.add(n);
      symbolSet.add(v);
    }
  }
  const symbols = [...symbolSet].sort(compareUtf8);
  const symbolRef = new Map<string, number>();
  symbols.forEach((s, i) => symbolRef.set(s, i));
  const toc: IndexToc = { symbols: sink.pos, series: 0, labelIndices: 0, labelIndicesTable: 0, postings: 0, postingsTable: 0 };
  w.putBE32(0);
  w.putBE32(symbols.length);
  for (const s of symbols) w.putUvarintStr(s);
  w.setBE32(0, w.length - 4);
  w.putCrc32c(4);
  await flush();

  // Series, collecting postings as refs are assigned.
  toc.series = sink.pos;
  const postings = new Map<string, Map<string, number[]>>();
  const all: number[] = [];
  let prev: Labels | undefined;
  for (const s of series) {
    if (prev && compareLabels(prev, s.labels) >= 0) {
      throw new ValidationError(
        'series_not_sorted',
        `index series must be sorted by labels without duplicates; ${labelsString(s.labels)} comes after ${labelsString(prev)}`,
      );
    }
    prev = s.labels;
    if (s.chunks.length === 0) {
      throw new ValidationError('series_without_chunks', `series ${labelsString(s.labels)} has no chunks`);
    }
    w.pad(16, sink.pos);
    const offset = sink.pos + w.length;
    const ref = offset / 16;
    if (ref > 0xffffffff) {
      throw new ValidationError('index_too_large', 'index series section exceeds 64 GiB; write a smaller block');
    }
    all.push(ref);
    content.reset();
    content.putUvarint(s.labels.length);
    for (const [n, v] of s.labels) {
      content.putUvarint(symbolRef.get(n)!);
      content.putUvarint(symbolRef.get(v)!);
      let byValue = postings.get(n);
      if (!byValue) postings.set(n, (byValue = new Map()));
      let list = byValue.get(v);
      if (!list) byValue.set(v, (list = []));
      list.push(ref);
    }
    encodeChunkMetas(content, s);
    const c = content.bytes();
    w.putUvarint(c.length);
    w.putBytes(c);
    w.putBE32(crc32c(c));
    await flush();
  }

  // Label indices: per label name, its sorted values as symbol refs.
  toc.labelIndices = sink.pos;
  const names = [...postings.keys()].sort(compareUtf8);
  const sortedValues = new Map<string, string[]>();
  const labelIndexOffsets: number[] = [];
  for (const name of names) {
    const values = [...postings.get(name)!.keys()].sort(compareUtf8);
    sortedValues.set(name, values);
    w.pad(4, sink.pos);
    labelIndexOffsets.push(sink.pos + w.length);
    const start = w.length;
    w.putBE32(8 + 4 * values.length);
    w.putBE32(1);
    w.putBE32(values.length);
    for (const v of values) w.putBE32(symbolRef.get(v)!);
    w.putCrc32c(start + 4);
    await flush();
  }

  // Postings: the all-series list first (it sorts first as ("", "")), then every label pair.
  toc.postings = sink.pos;
  w.pad(4, sink.pos);
  const postingsEntries: Array<[string, string, number]> = [];
  const writePostings = async (name: string, value: string, refs: readonly number[]) => {
    postingsEntries.push([name, value, sink.pos + w.length]);
    const start = w.length;
    w.putBE32(4 + 4 * refs.length);
    w.putBE32(refs.length);
    for (const r of refs) w.putBE32(r);
    w.putCrc32c(start + 4);
    await flush();
  };
  await writePostings('', '', all);
  for (const name of names) {
    const byValue = postings.get(name)!;
    for (const value of sortedValues.get(name)!) await writePostings(name, value, byValue.get(value)!);
  }

  // Label offset table.
  toc.labelIndicesTable = sink.pos;
  w.putBE32(0);
  w.putBE32(names.length);
  names.forEach((name, i) => {
    w.putUvarint(1);
    w.putUvarintStr(name);
    w.putUvarint(labelIndexOffsets[i]);
  });
  w.setBE32(0, w.length - 4);
  w.putCrc32c(4);
  await flush();

  // Postings offset table.
  toc.postingsTable = sink.pos;
  w.putBE32(0);
  w.putBE32(postingsEntries.length);
  for (const [name, value, off] of postingsEntries) {
    w.putUvarint(2);
    w.putUvarintStr(name);
    w.putUvarintStr(value);
    w.putUvarint(off);
  }
  w.setBE32(0, w.length - 4);
  w.putCrc32c(4);
  await flush();

  // TOC.
  w.putBE64(toc.symbols);
  w.putBE64(toc.series);
  w.putBE64(toc.labelIndices);
  w.putBE64(toc.labelIndicesTable);
  w.putBE64(toc.postings);
  w.putBE64(toc.postingsTable);
  w.putCrc32c(0);
  await flush();
  return toc;
}

function encodeChunkMetas(out: ByteWriter, s: IndexSeries): void {
  const chunks = s.chunks;
  out.putUvarint(chunks.length);
  let prevMaxt = 0;
  let prevRef = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    if (c.maxt < c.mint || (i > 0 && c.mint <= prevMaxt)) {
      throw new ValidationError(
        'chunks_overlap',
        `chunks of series ${labelsString(s.labels)} must be in time order without overlap; chunk ${i} covers ${c.mint}..${c.maxt}, the previous ended at ${prevMaxt}`,
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
