import { Registry } from 'prom-client';
import {
  BlockMeta,
  BlockWriter,
  compareUtf8,
  defaultBlockWriterConfig,
  EncodedChunk,
  Labels,
  labelsString,
  XorChunkEncoder,
  XorChunkIterator,
} from '@panoptes/block-formats';
import { NotFoundError, ValidationError } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import * as proto from '@panoptes/proto';
import { AppendOutcome, AppendTarget, HeadAppender, REJECT_REASONS } from './head-appender';
import { HeadCapture, OooCapture, PageCapture } from './head-capture';
import { HeadChunkWriter } from './head-chunk-writer';
import { HeadConfig } from './head-config';
import { HeadIndex } from './head-index';
import { HeadMetrics } from './head-metrics';
import { selectPostings } from './index-reader';
import { Matcher } from './matcher';
import { packedChunk, packedDropFirst, packedMaxT, packedMinT, packedValid } from './packed-chunks';
import { ChunkSamplesIterator } from './sample-iterator';
import { ChunkBuilder, FoundSample, OooSeries, Samples, findInChunk, mergeChunks } from './ooo-series';
import { MemChunk, PAGE_MASK, SeriesPage } from './series-page';
import { SeriesStore } from './series-store';

// Builtins read once: a global lookup in a hot loop is slow inside vm contexts (Jest).
const { floor, max, min } = Math;
const isInteger = Number.isInteger;

/** Timestamps beyond ±2^51 ms (~71,000 years) would make XOR deltas-of-deltas inexact. */
const MAX_ABS_TIMESTAMP = 2 ** 51;
// Read once: in compiled CommonJS every use of another library's export is a getter call.
const { compareBytes } = proto;
const MAX_HASH = 2 ** 53;
/** Below this many symbols the table is never compacted. */
const MIN_SYMBOLS_TO_COMPACT = 1024;
const MAX_OOO_CAP = 1024;

/** A series selected by `Head.select`: its labels and its chunks overlapping the range. */
export class HeadSeries {
  constructor(
    readonly ref: number,
    /** Sorted `[name, value]` pairs. */
    readonly labels: Labels,
    /**
   * Chunks overlapping [minT, maxT], oldest first, disjoint (the head chunk as a copy; with
   * out-of-order samples, merged chunks encoded for the query).
   */
    readonly chunks: readonly MemChunk[],
    readonly minT: number,
    readonly maxT: number,
  ) {}

  /** A new iterator over the series' samples in [minT, maxT]. */
  iterator(): ChunkSamplesIterator {
    return new ChunkSamplesIterator(this.chunks, this.minT, this.maxT);
  }
}

export interface CutBlockOptions {
  /** `thanos.labels` of the block, e.g. `{ __org_id__: tenant }`. */
  externalLabels?: Record<string, string>;
  /** The block's ULID; a new one when absent. */
  ulid?: string;
}

/**
 * One series of a snapshot being loaded (`Head.restoreSeries`); the reader reuses one object, and
 * byte ranges point into its section buffer (the head copies what it keeps).
 */
export interface RestoredSeries {
  ref: number;
  hashLo: number;
  hashHi: number;
  /** Symbol ids n0 v0 n1 v1 … (of the snapshot's symbol table, loaded in order) in labels[0, labelCount). */
  labels: Uint32Array;
  labelCount: number;
  /** The bytes the ranges below are in. */
  source: Uint8Array;
  /** The open head chunk: source[headAt, headAt+headLen) (headLen 0 when none) and its XOR encoder state. */
  headAt: number;
  headLen: number;
  firstT: number;
  lastT: number;
  tDelta: number;
  lastHi: number;
  lastLo: number;
  leading: number;
  trailing: number;
  bits: number;
  /** Completed chunks, packed (see packed-chunks.ts): source[doneAt, doneAt+doneLen), doneCount of them (0 when none). */
  doneAt: number;
  doneLen: number;
  doneCount: number;
  /** Out-of-order samples (undefined when none): chunks (sorted, disjoint; their data may be views) and the buffer. */
  ooo: { chunks: MemChunk[]; buffer: Samples } | undefined;
}

export interface TruncateResult {
  chunksRemoved: number;
  seriesRemoved: number;
}

/**
 * One tenant's in-memory TSDB head (Prometheus `tsdb/head.go` semantics, without WAL): series
 * found by hash and labels, in-order appends into XOR head chunks, out-of-order appends within
 * `outOfOrderTimeWindowMs`, queries by matchers, blocks cut from a time range, truncation and
 * series garbage collection, and captures of its whole state for snapshots.
 *
 * Invariants:
 * - A series' samples are strictly increasing in time; chunks hold at most `chunkMaxSamples`
 *   samples and never span a multiple of `blockRangeMs`, so a block of aligned range reuses them.
 * - Completed chunks are immutable; queries and block cuts get copies of the open head chunk.
 * - Refs ascend and are never reused; a ref is valid until `truncate` collects its series, so use
 *   refs from `getOrCreateSeries` before the next `truncate`.
 * - Samples older than `max(maxTime - blockRangeMs/2, last truncation point, end of the last block
 *   cut)` are refused, so a block range behind that point can be cut while appends go on, and no
 *   accepted sample falls into a range already cut (where no later block would hold it and
 *   `truncate` would drop it). A forced cut (flush) ends just after the newest sample, so samples
 *   newer than it are still accepted. With an out-of-order window W, samples older than the
 *   series' newest or than `maxTime - blockRangeMs/2` are stored out of order if not older than
 *   `maxTime - W`, the last truncation point, and the end of the last block cut.
 * - No in-order chunk spans the end of the last block cut: `truncate` at that point drops exactly
 *   the samples that are in blocks.
 * - A timestamp is stored at most once per series, in order or out of order; queries and block
 *   cuts merge both into sorted, disjoint chunks.
 *
 * Single-threaded like everything in Node: methods run to completion; `cutBlock` snapshots the
 * range synchronously before its first await.
 */
export class Head implements AppendTarget {
  private index = new HeadIndex();
  private readonly store: SeriesStore;
  private readonly writer = new HeadChunkWriter();
  private readonly metrics: HeadMetrics;
  private minT = Infinity;
  private maxT = -Infinity;
  /** Samples below this were truncated (they are in a block already): appends are refused. */
  private truncatedBefore = -Infinity;
  /** End of the last block cut (ms, exclusive): samples below it are refused. */
  private cutBefore = -Infinity;
  /** Out-of-order window (ms); 0 disables out-of-order ingestion. */
  private readonly oooWindow: number;
  /** Out-of-order samples by series ref: only series that have some (a map keeps the rest free of it). */
  private readonly ooo = new Map<number, OooSeries>();
  // Out-of-order machinery: cold paths only.
  private readonly oooBuilder: ChunkBuilder;
  private readonly oooIt = new XorChunkIterator();
  private readonly oooScratch = new Samples();
  private readonly oooSamples = new Samples();
  private readonly found: FoundSample = { hi: 0, lo: 0 };

  constructor(
    private readonly config: HeadConfig,
    readonly tenant: string,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    const problems: string[] = [];
    if (!(config.chunkMaxSamples >= 1 && config.chunkMaxSamples <= 0xffff)) problems.push(`1 <= chunkMaxSamples <= 65535 (got ${config.chunkMaxSamples})`);
    if (!(config.blockRangeMs > 0)) problems.push(`blockRangeMs > 0 (got ${config.blockRangeMs})`);
    if (!(Number.isSafeInteger(config.outOfOrderTimeWindowMs) && config.outOfOrderTimeWindowMs >= 0)) {
      problems.push(`outOfOrderTimeWindowMs an integer >= 0 (got ${config.outOfOrderTimeWindowMs})`);
    }
    if (!(Number.isInteger(config.outOfOrderCapMax) && config.outOfOrderCapMax >= 1 && config.outOfOrderCapMax <= MAX_OOO_CAP)) {
      problems.push(`1 <= outOfOrderCapMax <= ${MAX_OOO_CAP} (got ${config.outOfOrderCapMax})`);
    }
    if (problems.length > 0) throw new ValidationError('invalid_head_config', `head config of tenant "${tenant}" needs ${problems.join(', ')}`, { tenant });
    this.oooWindow = config.outOfOrderTimeWindowMs;
    this.oooBuilder = new ChunkBuilder(config.chunkMaxSamples, config.blockRangeMs);
    this.store = new SeriesStore(this.index.symbols);
    this.metrics = new HeadMetrics(registry);
  }

  get numSeries(): number {
    return this.store.size;
  }

  /** Oldest sample timestamp in the head (ms); Infinity when it holds no sample. */
  get minTime(): number {
    return this.minT;
  }

  /** Newest sample timestamp ever appended (ms); -Infinity before the first. */
  get maxTime(): number {
    return this.maxT;
  }

  /** End (ms, exclusive) of the last block cut from this head, or -Infinity: older samples are refused. */
  get cutEnd(): number {
    return this.cutBefore;
  }

  /**
   * Records that every sample older than `t` ms is in a block already (cut before a restart whose
   * snapshot predates the cut): appends older than it are refused from now on, as after `cutBlock`.
   */
  markCut(t: number): void {
    if (t > this.cutBefore) this.cutBefore = t;
  }

  /**
   * The ref of the series with these labels, creating it when new. `names`/`values` are the sorted
   * label set (names strictly ascending by UTF-8 bytes, no empty name or value) and `hash` its
   * series hash as a 53-bit integer (`seriesHash53` from `@panoptes/proto`, the decoder's hash); series with equal hashes are told apart by their labels.
   */
  getOrCreateSeries(hash: number, names: readonly string[], values: readonly string[]): number {
    const ref = this.store.find(hash, names, values);
    if (ref !== 0) return ref;
    this.validateNewSeries(hash, names, values);
    return this.indexNew(this.store.create(hash, names, values));
  }

  /**
   * `getOrCreateSeries` for labels given as UTF-8 byte ranges of `buf` (the decoder's layout:
   * `refs[4e..4e+3]` for entries `from..to`, sorted) with their canonical key `buf[keyStart,
   * keyEnd)` (the bytes their hash was computed over, see series-key.ts), which the new series
   * keeps: no string is built for labels the head already knows. `view`: as
   * for `lookupSeriesKey`.
   */
  getOrCreateSeriesFromBytes(
    hash: number,
    buf: Buffer,
    refs: Uint32Array,
    from: number,
    to: number,
    keyStart: number,
    keyEnd: number,
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
  ): number {
    const ref = this.store.findKey(hash, buf, keyStart, keyEnd, view);
    if (ref !== 0) return ref;
    if (!wellFormedLabelBytes(hash, buf, refs, from, to)) {
      // Cold path: the string form says what is wrong (and throws).
      const names: string[] = [];
      const values: string[] = [];
      for (let e = from; e < to; e++) {
        names.push(buf.toString('utf8', refs[4 * e], refs[4 * e] + refs[4 * e + 1]));
        values.push(buf.toString('utf8', refs[4 * e + 2], refs[4 * e + 2] + refs[4 * e + 3]));
      }
      this.validateNewSeries(hash, names, values);
    }
    return this.indexNew(this.store.createFromBytes(hash, buf, refs, from, to, keyStart, keyEnd));
  }

  private indexNew(created: number): number {
    const p = this.store.page(created)!;
    const i = created & PAGE_MASK;
    this.index.add(created, p.arena, p.labelOff[i], p.labelOff[i] + p.labelLen[i]);
    this.metrics.series.inc();
    return created;
  }

  /**
   * The ref of an existing series whose labels are UTF-8 byte ranges of `buf` (the decoder's
   * layout: `refs[4e..4e+3]` for entries `from..to`, sorted), or 0 when the head does not hold it;
   * then call `getOrCreateSeries` with the labels as strings. Builds no string for ASCII labels.
   */
  lookupSeriesBytes(hash: number, buf: Uint8Array, refs: Uint32Array, from: number, to: number): number {
    return this.store.findBytes(hash, buf, refs, from, to);
  }

  /**
   * The ref of an existing series whose canonical key (series-key.ts; the bytes its hash was
   * computed over) is `buf[keyStart, keyEnd)`, or 0. The fastest lookup: remote write 1.0 bodies
   * carry the key contiguously (`DecodedWriteRequest.seriesKeyStart/End`). `view`: optional
   * DataView of exactly `buf`, made once for the many lookups of one request.
   */
  lookupSeriesKey(hash: number, buf: Uint8Array, keyStart: number, keyEnd: number, view?: DataView): number {
    return view === undefined ? this.store.findKey(hash, buf, keyStart, keyEnd) : this.store.findKey(hash, buf, keyStart, keyEnd, view);
  }

  /** The value of label `name` of series `ref`, undefined when it has no such label or is not in the head. */
  labelValue(ref: number, name: string): string | undefined {
    const symbols = this.index.symbols;
    const nameId = symbols.lookup(name);
    const p = this.store.page(ref);
    if (nameId === undefined || p === undefined) return undefined;
    const i = ref & PAGE_MASK;
    const arena = p.arena;
    for (let k = p.labelOff[i], end = k + p.labelLen[i]; k < end; k += 2) if (arena[k] === nameId) return symbols.get(arena[k + 1]);
    return undefined;
  }

  /** How many series have label `name` = `value` (the postings list's length). */
  seriesCountWith(name: string, value: string): number {
    return this.index.postings(name, [value]).length;
  }

  /**
   * A batch appender. Its min valid time is fixed now, as Prometheus' appender does:
   * `max(maxTime - blockRangeMs/2, last truncation point, end of the last block cut)`.
   */
  appender(): HeadAppender {
    return new HeadAppender(this, this.appendableMinValidTime(), this.config.maxAppendErrors);
  }

  private appendableMinValidTime(): number {
    return max(this.maxT - this.config.blockRangeMs / 2, this.truncatedBefore, this.cutBefore);
  }

  /** @internal Called by `HeadAppender`; see its rules. */
  appendSample(ref: number, t: number, hi: number, lo: number, minValidTime: number): AppendOutcome {
    const p = this.store.page(ref);
    if (p === undefined) {
      throw new NotFoundError(
        'series_not_found',
        `series ref ${ref} of tenant "${this.tenant}" does not exist (never created or garbage-collected); call getOrCreateSeries again`,
        { tenant: this.tenant },
      );
    }
    if (!validTimestamp(t)) return AppendOutcome.invalidTimestamp;
    const i = ref & PAGE_MASK;
    if (t < minValidTime) return this.oooWindow === 0 ? AppendOutcome.tooOld : this.appendOutOfOrder(p, i, ref, t, hi, lo);
    const last = p.lastT[i];
    if (t <= last) {
      if (t < last) return this.oooWindow === 0 ? AppendOutcome.outOfOrder : this.appendOutOfOrder(p, i, ref, t, hi, lo);
      return p.lastHi[i] === hi >>> 0 && p.lastLo[i] === lo >>> 0 ? AppendOutcome.duplicateIgnored : AppendOutcome.duplicateTimestamp;
    }
    const n = p.count[i];
    if (n > 0 && (n >= this.config.chunkMaxSamples || t >= this.chunkEnd(p.firstT[i]))) this.writer.cut(p, i);
    this.writer.append(p, i, t, hi, lo);
    if (t > this.maxT) this.maxT = t;
    if (t < this.minT) this.minT = t;
    return AppendOutcome.appended;
  }

  /** @internal Called by `HeadAppender.appendRun`: rule 3 only, a run at a time (see `AppendTarget`). */
  appendInOrder(ref: number, ts: Float64Array, bits: Uint32Array, from: number, to: number, minValidTime: number): number {
    const p = this.store.page(ref);
    if (p === undefined) return 0; // appendSample reports it
    const i = ref & PAGE_MASK;
    const maxSamples = this.config.chunkMaxSamples;
    let k = from;
    while (k < to) {
      let n = p.count[i];
      let last = p.lastT[i];
      const t0 = ts[k];
      if (!validTimestamp(t0) || t0 < minValidTime || t0 <= last) break;
      if (n > 0 && (n >= maxSamples || t0 >= this.chunkEnd(p.firstT[i]))) {
        this.writer.cut(p, i);
        n = 0;
      }
      // The run: strictly increasing valid timestamps that fit the current chunk.
      const end = this.chunkEnd(n === 0 ? t0 : p.firstT[i]);
      const room = maxSamples - n;
      let e = k;
      for (; e < to && e - k < room; e++) {
        const t = ts[e];
        if (!validTimestamp(t) || t < minValidTime || t <= last || t >= end) break;
        last = t;
      }
      if (e === k) break; // cannot happen (t0 fits the chunk); appendSample would take over
      this.writer.appendRun(p, i, ts, bits, k, e);
      if (last > this.maxT) this.maxT = last;
      if (t0 < this.minT) this.minT = t0;
      k = e;
    }
    return k - from;
  }

  /** Each symbol's position in UTF-8 byte order (compareUtf8), indexed by symbol id. */
  private symbolRanks(): Uint32Array {
    const symbols = this.index.symbols;
    const order = Array.from({ length: symbols.size }, (_, id) => id);
    order.sort((a, b) => compareUtf8(symbols.get(a), symbols.get(b)));
    const rank = new Uint32Array(symbols.size);
    for (let r = 0; r < order.length; r++) rank[order[r]] = r;
    return rank;
  }

  /**
   * End (ms, exclusive) of a head chunk whose first sample is at `firstT`: no chunk crosses a
   * block boundary, nor the end of a forced (unaligned) cut it started before.
   */
  private chunkEnd(firstT: number): number {
    const range = this.config.blockRangeMs;
    const end = (floor(firstT / range) + 1) * range;
    const cut = this.cutBefore;
    return firstT < cut && cut < end ? cut : end;
  }

  /** The oldest timestamp (ms) an out-of-order sample may have now. */
  private oooMinValidTime(): number {
    return max(this.maxT - this.oooWindow, this.truncatedBefore, this.cutBefore);
  }

  /** Out-of-order rules 7-10 of `HeadAppender` (window > 0). */
  private appendOutOfOrder(p: SeriesPage, i: number, ref: number, t: number, hi: number, lo: number): AppendOutcome {
    if (t < this.oooMinValidTime()) return AppendOutcome.tooOld;
    let ooo = this.ooo.get(ref);
    const found = this.found;
    if (this.findInOrder(p, i, t, found) || (ooo !== undefined && ooo.find(t, this.oooIt, found))) {
      return found.hi === hi >>> 0 && found.lo === lo >>> 0 ? AppendOutcome.duplicateIgnored : AppendOutcome.duplicateTimestamp;
    }
    if (ooo === undefined) this.ooo.set(ref, (ooo = new OooSeries(this.config.outOfOrderCapMax)));
    ooo.insert(t, hi, lo, this.oooBuilder, this.oooIt, this.oooScratch);
    if (t < this.minT) this.minT = t;
    if (t > this.maxT) this.maxT = t;
    return AppendOutcome.appendedOutOfOrder;
  }

  /** Whether slot `i` holds an in-order sample at `t`; its value goes to `found`. */
  private findInOrder(p: SeriesPage, i: number, t: number, found: FoundSample): boolean {
    if (p.count[i] > 0 && t >= p.firstT[i]) return t <= p.lastT[i] && findInChunk(p.buf[i]!, t, this.oooIt, found);
    const done = p.done[i];
    if (done === undefined) return false;
    const n = p.doneCount[i];
    for (let k = n - 1; k >= 0; k--) {
      if (packedMinT(done, k) > t) continue;
      return packedMaxT(done, k) >= t && findInChunk(packedChunk(done, n, k).data, t, this.oooIt, found);
    }
    return false;
  }

  /** @internal Called by `HeadAppender` for the first few refusals of a batch. */
  rejectionError(outcome: AppendOutcome, ref: number, t: number, minValidTime: number): ValidationError {
    const p = this.store.page(ref)!;
    const series = labelsString(this.store.labels(ref));
    const last = p.lastT[ref & PAGE_MASK];
    const at = `${t} ms${fmtTime(t)}`;
    const of = `series ${series} of tenant "${this.tenant}"`;
    let message: string;
    switch (outcome) {
      case AppendOutcome.outOfOrder:
        message = `out-of-order sample for ${of}: timestamp ${at} is older than the series' newest sample at ${last} ms${fmtTime(last)}; send each series' samples in time order (out-of-order ingestion is disabled)`;
        break;
      case AppendOutcome.duplicateTimestamp:
        message = `duplicate sample for timestamp ${at} with a different value for ${of}; a series holds one value per timestamp: drop the duplicate, or give the writers distinct labels (or HA deduplication)`;
        break;
      case AppendOutcome.tooOld:
        if (this.oooWindow === 0) {
          message = `sample for ${of} at ${at} is too old: the head accepts samples from ${minValidTime} ms${fmtTime(minValidTime)} on (newest sample minus half the block range, or the end of the last block cut or truncation); older data can only be backfilled as blocks`;
        } else {
          const from = this.oooMinValidTime();
          message = `sample for ${of} at ${at} is too old: with the out-of-order window of ${this.oooWindow} ms the head accepts samples from ${from} ms${fmtTime(from)} on (newest sample minus the window, or the end of the last block cut or truncation); older data can only be backfilled as blocks`;
        }
        break;
      default:
        message = `sample for ${of} has timestamp ${t}; timestamps must be integer milliseconds within ±2^51`;
    }
    return new ValidationError(REJECT_REASONS[outcome as 2 | 3 | 4 | 5], message, { tenant: this.tenant });
  }

  /** @internal Called by `HeadAppender.commit`. */
  recordBatch(appended: number, appendedOutOfOrder: number, rejectedByOutcome: Uint32Array): void {
    if (appended > 0) this.metrics.appended.inc(appended);
    if (appendedOutOfOrder > 0) this.metrics.appendedOutOfOrder.inc(appendedOutOfOrder);
    for (const [outcome, reason] of Object.entries(REJECT_REASONS)) {
      const n = rejectedByOutcome[Number(outcome)];
      if (n > 0) this.metrics.rejected.inc({ reason }, n);
    }
  }

  /**
   * The series matching all `matchers` (Prometheus semantics) with samples in [minT, maxT] ms,
   * inclusive, in ascending ref order. Labels are materialised per series as it is yielded.
   */
  *select(matchers: Matcher[], minT: number, maxT: number): Generator<HeadSeries> {
    const refs = selectPostings(this.index, matchers);
    for (let k = 0; k < refs.length; k++) {
      const ref = refs[k];
      const p = this.store.page(ref);
      if (p === undefined) continue;
      const chunks = this.chunksIn(p, ref & PAGE_MASK, ref, minT, maxT);
      if (chunks.length === 0) continue;
      yield new HeadSeries(ref, this.store.labels(ref), chunks, minT, maxT);
    }
  }

  /** Label names of the series matching `matchers` (all series when none), sorted. */
  labelNames(matchers: Matcher[] = []): string[] {
    if (matchers.length === 0) return this.index.labelNames().sort(compareUtf8);
    const ids = new Set<number>();
    this.forSelected(matchers, (labels) => {
      for (let k = 0; k < labels.length; k += 2) ids.add(labels[k]);
    });
    return this.sortedSymbols(ids);
  }

  /** Values of label `name` among the series matching `matchers` (all series when none), sorted. */
  labelValues(name: string, matchers: Matcher[] = []): string[] {
    if (matchers.length === 0) return [...this.index.labelValues(name)].sort(compareUtf8);
    const nameId = this.index.symbols.lookup(name);
    if (nameId === undefined) return [];
    const ids = new Set<number>();
    this.forSelected(matchers, (labels) => {
      for (let k = 0; k < labels.length; k += 2) if (labels[k] === nameId) ids.add(labels[k + 1]);
    });
    return this.sortedSymbols(ids);
  }

  /**
   * Writes every sample in [minT, maxT) ms into a Prometheus block under `dir` and returns its
   * meta, or undefined when the range holds no sample. Chunks entirely in the range are written as
   * they are; chunks crossing its edges, and chunks merged with out-of-order samples, are
   * re-encoded with only their samples inside. The head keeps everything: `truncate` drops it
   * afterwards; samples older than `maxT` are refused from now on (in order or out of order), so
   * `maxT` may be any time up to just after the newest sample (a forced cut: later samples are
   * still accepted, into chunks that start at `maxT`).
   */
  async cutBlock(minT: number, maxT: number, dir: string, options: CutBlockOptions = {}): Promise<BlockMeta | undefined> {
    // Snapshot synchronously: completed chunks are immutable, head chunks are copied.
    if (maxT > this.cutBefore) this.cutBefore = maxT;
    const series: Array<{ ref: number; ids: Uint32Array; chunks: MemChunk[] }> = [];
    this.store.forEach((p, i, ref) => {
      const chunks = this.chunksIn(p, i, ref, minT, maxT - 1);
      if (chunks.length > 0) series.push({ ref, ids: p.labels(i), chunks });
    });
    if (series.length === 0) return undefined;
    // In the index's order (compareLabels), compared as symbol ranks: one string sort of the
    // symbols instead of string comparisons in every comparison of the series sort.
    const rank = this.symbolRanks();
    series.sort((a, b) => compareRanked(a.ids, b.ids, rank));
    // Labels as strings now, before the first await: a series may be collected meanwhile.
    const labels = series.map((s) => this.store.labels(s.ref));

    const started = Date.now();
    const writer = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: options.ulid, externalLabels: options.externalLabels });
    const iterator = new XorChunkIterator();
    const encoder = new XorChunkEncoder();
    let written = 0;
    try {
      for (let k = 0; k < series.length; k++) {
        const s = series[k];
        const encoded: EncodedChunk[] = [];
        for (const c of s.chunks) {
          if (c.minT >= minT && c.maxT < maxT) {
            encoded.push({ data: c.data, mint: c.minT, maxt: c.maxT });
            continue;
          }
          encoder.reset();
          iterator.reset(c.data);
          while (iterator.next()) {
            if (iterator.t >= minT && iterator.t < maxT) encoder.appendBits(iterator.t, iterator.valueHi, iterator.valueLo);
          }
          if (encoder.numSamples > 0) encoded.push({ data: encoder.bytes().slice(), mint: encoder.minTime, maxt: encoder.maxTime });
        }
        if (encoded.length === 0) continue;
        await writer.addSeriesChunks(labels[k], encoded);
        written++;
      }
      if (written === 0) {
        await writer.abort();
        return undefined;
      }
      const meta = await writer.finish();
      this.logger.info('block cut', {
        block: meta.ulid,
        min_time: meta.minTime,
        max_time: meta.maxTime,
        series: meta.stats.numSeries,
        samples: meta.stats.numSamples,
        chunks: meta.stats.numChunks,
        duration_ms: Date.now() - started,
      });
      return meta;
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  /**
   * Drops chunks whose samples are all older than `beforeT` ms, refuses later appends older than
   * it, and garbage-collects series left without samples (removing them from the index). Call it
   * after the block holding [.., beforeT) is safely written.
   */
  truncate(beforeT: number): TruncateResult {
    if (beforeT > this.truncatedBefore) this.truncatedBefore = beforeT;
    const removed = new Set<number>();
    let chunksRemoved = 0;
    let minT = Infinity;
    this.store.forEach((p, i, ref) => {
      const done = p.done[i];
      const n = p.doneCount[i];
      if (done !== undefined) {
        let k = 0;
        while (k < n && packedMaxT(done, k) < beforeT) k++;
        if (k > 0) {
          p.done[i] = packedDropFirst(done, n, k);
          p.doneCount[i] = n - k;
          chunksRemoved += k;
        }
      }
      if (p.count[i] > 0 && p.lastT[i] < beforeT) {
        this.writer.drop(p, i);
        chunksRemoved++;
      }
      const ooo = this.ooo.size === 0 ? undefined : this.ooo.get(ref);
      let hasOoo = false;
      if (ooo !== undefined) {
        chunksRemoved += ooo.truncate(beforeT, this.oooBuilder, this.oooIt, this.oooScratch);
        if (ooo.empty) this.ooo.delete(ref);
        else minT = min(minT, ooo.minT);
        hasOoo = !ooo.empty;
      }
      const rest = p.done[i];
      if (rest !== undefined) minT = min(minT, packedMinT(rest, 0));
      else if (p.count[i] > 0) minT = min(minT, p.firstT[i]);
      else if (!hasOoo) removed.add(ref);
    });
    for (const ref of removed) this.store.delete(ref);
    this.index.remove(removed);
    this.minT = minT;
    this.metrics.series.set(this.store.size);
    if (removed.size > 0) this.maybeCompactSymbols();
    if (chunksRemoved > 0 || removed.size > 0) {
      this.logger.info('head truncated', { before: beforeT, chunks_removed: chunksRemoved, series_removed: removed.size, series: this.store.size });
    }
    return { chunksRemoved, seriesRemoved: removed.size };
  }

  /**
   * The head's complete state now, synchronously: every series (ref, hash, labels), its completed
   * chunks, its open head chunk with the encoder state, and the head's time bounds and truncation
   * point. Nothing the head does afterwards changes it. A snapshot file is written from it
   * (`writeHeadSnapshot`). It copies a few dozen bytes per series and shares the rest (see
   * `PageCapture`).
   */
  capture(): HeadCapture {
    this.writer.beginCapture();
    const pages: PageCapture[] = [];
    this.store.forEachPage((p) => {
      if (p.live > 0) pages.push(new PageCapture(p.base, p));
    });
    const ooo = new Map<number, OooCapture>();
    for (const [ref, o] of this.ooo) ooo.set(ref, new OooCapture(o));
    const symbols = this.index.symbols;
    return new HeadCapture(this.tenant, this.minT, this.maxT, this.truncatedBefore, this.cutBefore, this.store.nextSeriesRef, this.store.size, symbols, symbols.size, pages, ooo);
  }

  /**
   * @internal Loading a snapshot into a new head: the snapshot's symbols, in order (so its label
   * ids are this head's), before any series.
   */
  restoreSymbols(strings: readonly string[]): void {
    const symbols = this.index.symbols;
    for (const s of strings) {
      const expected = symbols.size;
      if (symbols.intern(s) !== expected) throw new RangeError(`symbol ${JSON.stringify(s)} appears twice`);
    }
  }

  /** @internal Loading a snapshot: one series, in ascending ref order. */
  restoreSeries(s: RestoredSeries): void {
    const numSymbols = this.index.symbols.size;
    const labels = s.labels;
    const n = s.labelCount;
    if (n === 0 || n % 2 !== 0) throw new RangeError(`series ${s.ref} has ${n} label ids`);
    for (let k = 0; k < n; k++) {
      if (labels[k] >= numSymbols) throw new RangeError(`series ${s.ref} refers to symbol ${labels[k]} of ${numSymbols}`);
    }
    const src = s.source;
    const done = s.doneCount > 0 ? src.slice(s.doneAt, s.doneAt + s.doneLen) : undefined;
    if (done !== undefined && !packedValid(done, s.doneCount)) throw new RangeError(`series ${s.ref} has malformed completed chunks`);
    const headLen = s.headLen;
    const count = headLen >= 2 ? (src[s.headAt] << 8) | src[s.headAt + 1] : 0;
    if (headLen > 0 && (count === 0 || (s.bits + 7) >>> 3 !== headLen)) throw new RangeError(`series ${s.ref} has a malformed head chunk`);
    const p = this.store.restore(s.ref, s.hashLo, s.hashHi, labels, n);
    const i = s.ref & PAGE_MASK;
    if (done !== undefined) {
      p.done[i] = done;
      p.doneCount[i] = s.doneCount;
    }
    if (s.ooo !== undefined) {
      const ooo = new OooSeries(this.config.outOfOrderCapMax);
      const chunks = s.ooo.chunks;
      for (let k = 0; k < chunks.length; k++) {
        const c = chunks[k];
        if (!(c.minT <= c.maxT && (k === 0 || chunks[k - 1].maxT < c.minT) && c.data.length >= 3)) throw new RangeError(`series ${s.ref} has malformed out-of-order chunks`);
        chunks[k] = new MemChunk(c.data.slice(), c.minT, c.maxT);
      }
      ooo.chunks = chunks;
      const b = s.ooo.buffer;
      for (let k = 0; k < b.n; k++) {
        if (k > 0 && !(b.t[k - 1] < b.t[k])) throw new RangeError(`series ${s.ref} has unsorted out-of-order samples`);
        ooo.buffer.push(b.t[k], b.hi[k], b.lo[k]);
      }
      // A smaller outOfOrderCapMax than the writer's: encode the surplus now.
      if (ooo.buffer.n >= this.config.outOfOrderCapMax) ooo.flush(this.oooBuilder, this.oooIt, this.oooScratch);
      if (!ooo.empty) this.ooo.set(s.ref, ooo);
    }
    if (headLen > 0) {
      p.buf[i] = src.slice(s.headAt, s.headAt + headLen);
      p.count[i] = count;
      p.firstT[i] = s.firstT;
      p.lastT[i] = s.lastT;
      p.tDelta[i] = s.tDelta;
      p.lastHi[i] = s.lastHi;
      p.lastLo[i] = s.lastLo;
      p.leading[i] = s.leading;
      p.trailing[i] = s.trailing;
      p.bits[i] = s.bits;
    }
    this.index.add(s.ref, p.labels(i));
  }

  /** @internal Loading a snapshot: the head-wide state, after the series. */
  restoreBounds(minT: number, maxT: number, truncatedBefore: number, cutBefore: number, nextRef: number): void {
    this.minT = minT;
    this.maxT = maxT;
    this.truncatedBefore = truncatedBefore;
    this.cutBefore = cutBefore;
    this.store.advanceNextRef(nextRef);
    this.metrics.series.set(this.store.size);
  }

  /** Removes the head's metrics from its registry: call it when throwing the head away. */
  unregisterMetrics(): void {
    this.metrics.unregister();
  }

  /** Symbols in the table (interned label names and values, live or not yet compacted away). */
  get numSymbols(): number {
    return this.index.symbols.size;
  }

  /**
   * The chunks of slot `i` with samples possibly in [minT, maxT], sorted and disjoint (the head
   * chunk as a copy; merged with the out-of-order samples in the range when there are some).
   */
  private chunksIn(p: SeriesPage, i: number, ref: number, minT: number, maxT: number): MemChunk[] {
    const inOrder = this.inOrderChunksIn(p, i, minT, maxT);
    const ooo = this.ooo.size === 0 ? undefined : this.ooo.get(ref);
    if (ooo === undefined || ooo.maxT < minT || ooo.minT > maxT) return inOrder;
    const samples = this.oooSamples;
    samples.clear();
    ooo.samplesIn(minT, maxT, this.oooIt, this.oooScratch, samples);
    if (samples.n === 0) return inOrder;
    return mergeChunks(inOrder, samples, this.oooBuilder, this.oooIt, this.oooScratch);
  }

  private inOrderChunksIn(p: SeriesPage, i: number, minT: number, maxT: number): MemChunk[] {
    const out: MemChunk[] = [];
    const done = p.done[i];
    if (done !== undefined) {
      const n = p.doneCount[i];
      for (let k = 0; k < n; k++) {
        if (packedMaxT(done, k) >= minT && packedMinT(done, k) <= maxT) out.push(packedChunk(done, n, k));
      }
    }
    if (p.count[i] > 0 && p.lastT[i] >= minT && p.firstT[i] <= maxT) out.push(this.writer.snapshot(p, i)!);
    return out;
  }

  private forSelected(matchers: Matcher[], fn: (labels: Uint32Array) => void): void {
    const refs = selectPostings(this.index, matchers);
    for (let k = 0; k < refs.length; k++) {
      const p = this.store.page(refs[k]);
      if (p !== undefined) fn(p.labels(refs[k] & PAGE_MASK));
    }
  }

  private sortedSymbols(ids: Set<number>): string[] {
    return [...ids].map((id) => this.index.symbols.get(id)).sort(compareUtf8);
  }

  /**
   * Interned strings are never freed while in use, so series churn (pod names…) would grow the
   * symbol table forever. When fewer than half the symbols are still used, rebuild the index with
   * a fresh table and rewrite the series' ids.
   */
  private maybeCompactSymbols(): void {
    const old = this.index.symbols;
    if (old.size < MIN_SYMBOLS_TO_COMPACT) return;
    const used = new Uint8Array(old.size);
    let live = 0;
    this.store.forEach((p, i) => {
      const ids = p.labels(i);
      for (let k = 0; k < ids.length; k++) {
        if (used[ids[k]] === 0) {
          used[ids[k]] = 1;
          live++;
        }
      }
    });
    if (live * 2 > old.size) return;
    const index = new HeadIndex();
    const remap = new Uint32Array(old.size);
    for (let id = 0; id < old.size; id++) if (used[id] === 1) remap[id] = index.symbols.intern(old.get(id));
    this.store.remapSymbols(remap, index.symbols);
    this.store.forEach((p, i, ref) => index.add(ref, p.labels(i)));
    this.index = index;
    this.logger.info('head symbols compacted', { before: old.size, after: index.symbols.size });
  }

  private validateNewSeries(hash: number, names: readonly string[], values: readonly string[]): void {
    let problem: string | undefined;
    if (!Number.isInteger(hash) || hash < 0 || hash >= MAX_HASH) problem = `its hash ${hash} is not a 53-bit integer (seriesHash53 of the decoder's series hash)`;
    else if (names.length === 0) problem = 'it has no labels';
    else if (names.length !== values.length) problem = `it has ${names.length} names but ${values.length} values`;
    else if (names.length > 0x7fff) problem = `it has ${names.length} labels`;
    else {
      for (let k = 0; k < names.length && problem === undefined; k++) {
        if (names[k] === '' || values[k] === '') problem = `label ${k} has an empty name or value`;
        else if (k > 0 && compareUtf8(names[k - 1], names[k]) >= 0) problem = `its names are not sorted or repeat ("${names[k - 1]}", "${names[k]}")`;
      }
    }
    if (problem !== undefined) {
      const labels = labelsString(names.map((n, k) => [n, values[k] ?? ''] as const));
      throw new ValidationError(
        'series_invalid_labels',
        `series ${labels} of tenant "${this.tenant}" cannot be stored: ${problem}; labels must be sorted by name, unique and non-empty`,
        { tenant: this.tenant },
      );
    }
  }
}

/**
 * What `validateNewSeries` checks, over label byte ranges (UTF-8 byte order is code point order):
 * a 53-bit hash, 1..0x7fff labels, no empty name or value, names strictly ascending.
 */
function wellFormedLabelBytes(hash: number, buf: Uint8Array, refs: Uint32Array, from: number, to: number): boolean {
  if (!isInteger(hash) || hash < 0 || hash >= MAX_HASH) return false;
  if (to <= from || to - from > 0x7fff) return false;
  for (let e = from; e < to; e++) {
    const r = 4 * e;
    if (refs[r + 1] === 0 || refs[r + 3] === 0) return false;
    if (e > from && compareBytes(buf, refs[r - 4], refs[r - 3], refs[r], refs[r + 1]) >= 0) return false;
  }
  return true;
}

/** `compareLabels` of two interned label sets (n0 v0 n1 v1 … ids), through symbol ranks. */
function compareRanked(a: Uint32Array, b: Uint32Array, rank: Uint32Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let k = 0; k < n; k++) {
    if (a[k] !== b[k]) return rank[a[k]] - rank[b[k]];
  }
  return a.length - b.length;
}

/** An integer millisecond timestamp within what the chunk encodings hold (±2^51 ms). */
function validTimestamp(t: number): boolean {
  return isInteger(t) && t <= MAX_ABS_TIMESTAMP && t >= -MAX_ABS_TIMESTAMP;
}

function fmtTime(t: number): string {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? ` (${new Date(t).toISOString()})` : '';
}
