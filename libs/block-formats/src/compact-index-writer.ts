import { open } from 'node:fs/promises';
import { ValidationError } from '@panoptes/common';
import { FileWindow } from './compact-input';
import { crc32c, crc32cUpdate } from './crc32c';
import { ByteWriter, Decbuf, verifyCrc32c } from './encoding';
import { FileSink } from './file-sink';
import { ChunkMeta, INDEX_MAGIC, IndexToc } from './index-format';
import { compareLabels, compareUtf8, Labels, labelsString } from './labels';

const INDEX_FORMAT_V2 = 2;

export interface StreamingIndexWriterOptions {
  /**
   * Most postings entries (series refs, 4 bytes each) held in memory while writing the postings
   * section; label names are processed in batches of about this many entries, each batch one
   * sequential re-read of the series section.
   */
  postingsBatchEntries: number;
  /** Read window for re-reading the series section, bytes. */
  readWindowBytes: number;
}

/** A label name's values and where each value's postings go in the name's postings array. */
interface NameEntry {
  name: number;
  /** Value symbol refs, ascending (= values sorted by UTF-8 bytes). */
  values: Uint32Array;
  /** starts[k]..starts[k+1]: the postings of values[k]; starts[values.length] = total. */
  starts: Uint32Array;
}

/**
 * Writes an index v2 (layout in index-format.ts) whose series arrive one at a time, in label
 * order, with the symbol table known up front: Prometheus' own writer works the same way. The
 * bytes equal `writeIndex`'s for the same series when `symbols` are exactly the series' strings.
 *
 * Memory stays O(symbols + label pairs), never O(series): series stream to the file; postings are
 * built afterwards by re-reading the series section, a batch of label names at a time
 * (`postingsBatchEntries`), the all-series list streaming during the first pass.
 *
 * States: new → open() → addSeries()… → finish() | discard().
 */
export class StreamingIndexWriter {
  private readonly sink: FileSink;
  private readonly symbols: readonly string[];
  private readonly symbolRef = new Map<string, number>();
  /** name ref → value ref → number of series with that pair. */
  private readonly pairCounts = new Map<number, Map<number, number>>();
  private readonly w = new ByteWriter(1 << 16);
  private readonly content = new ByteWriter(256);
  private readonly toc: IndexToc = { symbols: 0, series: 0, labelIndices: 0, labelIndicesTable: 0, postings: 0, postingsTable: 0 };
  private numSeries = 0;
  private prev: Labels | undefined;

  /** `symbols`: sorted by UTF-8 bytes, unique; "" is added when missing (the index always has it). */
  constructor(
    readonly path: string,
    symbols: readonly string[],
    private readonly options: StreamingIndexWriterOptions,
  ) {
    this.sink = new FileSink(path);
    const all = symbols.length > 0 && symbols[0] === '' ? symbols : ['', ...symbols];
    for (let i = 1; i < all.length; i++) {
      if (compareUtf8(all[i - 1], all[i]) >= 0) {
        throw new ValidationError('symbols_not_sorted', `index symbols must be sorted and unique; ${JSON.stringify(all[i])} comes after ${JSON.stringify(all[i - 1])}`);
      }
    }
    this.symbols = all;
    all.forEach((s, i) => this.symbolRef.set(s, i));
  }

  get seriesCount(): number {
    return this.numSeries;
  }

  async open(): Promise<void> {
    await this.sink.open();
    const w = this.w;
    w.putBE32(INDEX_MAGIC);
    w.putByte(INDEX_FORMAT_V2);
    await this.flush();
    this.toc.symbols = this.sink.pos;
    w.putBE32(0);
    w.putBE32(this.symbols.length);
    for (const s of this.symbols) w.putUvarintStr(s);
    w.setBE32(0, w.length - 4);
    w.putCrc32c(4);
    await this.flush();
    this.toc.series = this.sink.pos;
  }

  private async flush(): Promise<void> {
    if (this.w.length === 0) return;
    await this.sink.write(this.w.bytes());
    this.w.reset();
  }

  /** Appends a series (after every series added before it in label order); returns its ref. */
  async addSeries(labels: Labels, chunks: readonly ChunkMeta[]): Promise<number> {
    if (this.prev && compareLabels(this.prev, labels) >= 0) {
      throw new ValidationError(
        'series_not_sorted',
        `index series must be sorted by labels without duplicates; ${labelsString(labels)} comes after ${labelsString(this.prev)}`,
      );
    }
    if (chunks.length === 0) throw new ValidationError('series_without_chunks', `series ${labelsString(labels)} has no chunks`);
    this.prev = labels;
    const w = this.w;
    w.pad(16, this.sink.pos);
    const ref = (this.sink.pos + w.length) / 16;
    if (ref > 0xffffffff) throw new ValidationError('index_too_large', 'index series section exceeds 64 GiB; write a smaller block');
    const c = this.content;
    c.reset();
    c.putUvarint(labels.length);
    for (const [n, v] of labels) {
      const nr = this.symbolRef.get(n);
      const vr = this.symbolRef.get(v);
      if (nr === undefined || vr === undefined) {
        throw new ValidationError('symbol_missing', `series ${labelsString(labels)} uses a string missing from the index symbols`);
      }
      c.putUvarint(nr);
      c.putUvarint(vr);
      let byValue = this.pairCounts.get(nr);
      if (!byValue) this.pairCounts.set(nr, (byValue = new Map()));
      byValue.set(vr, (byValue.get(vr) ?? 0) + 1);
    }
    putChunkMetas(c, labels, chunks);
    const bytes = c.bytes();
    w.putUvarint(bytes.length);
    w.putBytes(bytes);
    w.putBE32(crc32c(bytes));
    if (w.length >= 1 << 16) await this.flush();
    this.numSeries++;
    return ref;
  }

  /** Writes label indices, postings, offset tables and TOC, then fsyncs and closes the file. */
  async finish(): Promise<IndexToc> {
    const w = this.w;
    const toc = this.toc;
    const sym = this.symbols;
    const names = Uint32Array.from(this.pairCounts.keys()).sort();
    const entries: NameEntry[] = [];

    // Label indices (deprecated, still written for old readers). Each name's value counts move
    // from the map into flat arrays, which postings use below.
    toc.labelIndices = this.sink.pos + w.length;
    const labelIndexOffsets: number[] = [];
    for (const name of names) {
      const counts = this.pairCounts.get(name)!;
      this.pairCounts.delete(name);
      const values = Uint32Array.from(counts.keys()).sort();
      const starts = new Uint32Array(values.length + 1);
      for (let k = 0; k < values.length; k++) starts[k + 1] = starts[k] + counts.get(values[k])!;
      entries.push({ name, values, starts });
      w.pad(4, this.sink.pos);
      labelIndexOffsets.push(this.sink.pos + w.length);
      const start = w.length;
      w.putBE32(8 + 4 * values.length);
      w.putBE32(1);
      w.putBE32(values.length);
      for (let k = 0; k < values.length; k++) w.putBE32(values[k]);
      w.putCrc32c(start + 4);
      if (w.length >= 1 << 16) await this.flush();
    }

    // Postings, the all-series list first.
    toc.postings = this.sink.pos + w.length;
    w.pad(4, this.sink.pos);
    await this.flush();
    await this.sink.flush();
    const table = new ByteWriter(1 << 12);
    let tableEntries = 0;
    const addTableEntry = (name: string, value: string, offset: number) => {
      table.putUvarint(2);
      table.putUvarintStr(name);
      table.putUvarintStr(value);
      table.putUvarint(offset);
      tableEntries++;
    };

    const batches = this.nameBatches(entries);
    const fh = await open(this.path, 'r');
    try {
      const window = new FileWindow(fh, this.sink.pos, this.options.readWindowBytes, `${this.path} series (re-read)`);
      for (let b = 0; b < batches.length; b++) {
        // This pass' postings: one flat array per name, filled value by value through `fill`.
        const batch = batches[b].map((e) => ({ ...e, postings: new Uint32Array(e.starts[e.values.length]), fill: e.starts.slice(0, e.values.length) }));
        const byName = new Map(batch.map((e) => [e.name, e]));
        let allCrc = 0;
        if (b === 0) {
          addTableEntry('', '', this.sink.pos);
          w.putBE32(4 + 4 * this.numSeries);
          const start = w.length;
          w.putBE32(this.numSeries);
          allCrc = crc32cUpdate(0, w.bytes(), start, w.length);
          await this.flush();
        }
        await this.scanSeries(window, async (ref, pairs, n) => {
          for (let i = 0; i < n; i += 2) {
            const e = byName.get(pairs[i]);
            if (!e) continue;
            const k = indexOf(e.values, pairs[i + 1]);
            e.postings[e.fill[k]++] = ref;
          }
          if (b === 0) {
            const at = w.length;
            w.putBE32(ref);
            allCrc = crc32cUpdate(allCrc, w.bytes(), at, w.length);
            if (w.length >= 1 << 16) await this.flush();
          }
        });
        if (b === 0) {
          w.putBE32(allCrc);
          await this.flush();
        }
        for (const e of batch) {
          for (let k = 0; k < e.values.length; k++) {
            addTableEntry(sym[e.name], sym[e.values[k]], this.sink.pos + w.length);
            const from = e.starts[k];
            const to = e.starts[k + 1];
            if (e.fill[k] !== to) throw new Error(`index writer: postings count mismatch for ${sym[e.name]}=${sym[e.values[k]]}`);
            const start = w.length;
            w.putBE32(4 + 4 * (to - from));
            w.putBE32(to - from);
            for (let i = from; i < to; i++) w.putBE32(e.postings[i]);
            w.putCrc32c(start + 4);
            if (w.length >= 1 << 16) await this.flush();
          }
        }
      }
    } finally {
      await fh.close();
    }

    // Label offset table.
    await this.flush();
    toc.labelIndicesTable = this.sink.pos;
    w.putBE32(0);
    w.putBE32(names.length);
    names.forEach((name, i) => {
      w.putUvarint(1);
      w.putUvarintStr(sym[name]);
      w.putUvarint(labelIndexOffsets[i]);
    });
    w.setBE32(0, w.length - 4);
    w.putCrc32c(4);
    await this.flush();

    // Postings offset table.
    toc.postingsTable = this.sink.pos;
    w.putBE32(0);
    w.putBE32(tableEntries);
    w.putBytes(table.bytes());
    w.setBE32(0, w.length - 4);
    w.putCrc32c(4);
    await this.flush();

    w.putBE64(toc.symbols);
    w.putBE64(toc.series);
    w.putBE64(toc.labelIndices);
    w.putBE64(toc.labelIndicesTable);
    w.putBE64(toc.postings);
    w.putBE64(toc.postingsTable);
    w.putCrc32c(0);
    await this.flush();
    await this.sink.close();
    return toc;
  }

  /** Closes the file without finishing it (the caller removes it). */
  async discard(): Promise<void> {
    await this.sink.discard();
  }

  /** Groups label names (in order) so that each group's postings fit `postingsBatchEntries`. */
  private nameBatches(entries: readonly NameEntry[]): NameEntry[][] {
    const batches: NameEntry[][] = [[]];
    let inBatch = 0;
    for (const e of entries) {
      const total = e.starts[e.values.length];
      if (inBatch > 0 && inBatch + total > this.options.postingsBatchEntries) {
        batches.push([]);
        inBatch = 0;
      }
      inBatch += total;
      batches[batches.length - 1].push(e);
    }
    return batches;
  }

  /**
   * Re-reads the series section written so far, calling `fn(ref, [name, value, …] symbol refs,
   * 2 * #labels)` per series in order.
   */
  private async scanSeries(window: FileWindow, fn: (ref: number, pairs: Uint32Array, n: number) => Promise<void>): Promise<void> {
    let pairs = new Uint32Array(64);
    let pos = this.toc.series;
    const end = this.toc.labelIndices;
    const what = `${this.path} series (re-read)`;
    for (let i = 0; i < this.numSeries; i++) {
      pos = Math.ceil(pos / 16) * 16;
      if (pos >= end) throw new Error(`index writer: series section ended after ${i} of ${this.numSeries} series`);
      await window.ensure(pos, 10, true);
      const head = new Decbuf(window.buf, what, pos - window.start, window.end - window.start);
      const len = head.uvarint();
      const lenBytes = head.pos - (pos - window.start);
      await window.ensure(pos, lenBytes + len + 4);
      const start = pos - window.start + lenBytes;
      verifyCrc32c(window.buf, start, start + len, what);
      const d = new Decbuf(window.buf, what, start, start + len);
      const n = d.uvarint() * 2;
      if (n > pairs.length) pairs = new Uint32Array(n * 2);
      for (let k = 0; k < n; k++) pairs[k] = d.uvarint();
      await fn(pos / 16, pairs, n);
      pos += lenBytes + len + 4;
    }
  }
}

/** Position of `x` in the ascending `sorted` (which holds it). */
function indexOf(sorted: Uint32Array, x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function putChunkMetas(out: ByteWriter, labels: Labels, chunks: readonly ChunkMeta[]): void {
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
