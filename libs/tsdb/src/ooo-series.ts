import { XorChunkEncoder, XorChunkIterator } from '@panoptes/block-formats';
import { MemChunk } from './series-page';

const { floor } = Math;

/** Samples in parallel arrays (timestamp ms, value as IEEE-754 high/low words), growable. */
export class Samples {
  n = 0;
  t: Float64Array;
  hi: Uint32Array;
  lo: Uint32Array;

  constructor(capacity = 16) {
    this.t = new Float64Array(capacity);
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
  }

  clear(): void {
    this.n = 0;
  }

  push(t: number, hi: number, lo: number): void {
    if (this.n === this.t.length) this.grow(this.n * 2);
    this.t[this.n] = t;
    this.hi[this.n] = hi;
    this.lo[this.n] = lo;
    this.n++;
  }

  /** Appends every sample of an XOR chunk in [minT, maxT]. */
  pushChunk(it: XorChunkIterator, data: Uint8Array, minT = -Infinity, maxT = Infinity): void {
    it.reset(data);
    while (it.next()) if (it.t >= minT && it.t <= maxT) this.push(it.t, it.valueHi, it.valueLo);
  }

  /** Index of the first sample with timestamp >= t (samples sorted). */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(capacity: number): void {
    const t = new Float64Array(capacity);
    const hi = new Uint32Array(capacity);
    const lo = new Uint32Array(capacity);
    t.set(this.t.subarray(0, this.n));
    hi.set(this.hi.subarray(0, this.n));
    lo.set(this.lo.subarray(0, this.n));
    this.t = t;
    this.hi = hi;
    this.lo = lo;
  }
}

/**
 * Encodes ascending samples into new XOR chunks with the head's chunk rules: at most `maxSamples`
 * each, never spanning a multiple of `blockRange`.
 */
export class ChunkBuilder {
  private readonly enc = new XorChunkEncoder();
  private out: MemChunk[] = [];
  private boundary = 0;

  constructor(
    private readonly maxSamples: number,
    private readonly blockRange: number,
  ) {}

  /** Starts a new output list. */
  begin(out: MemChunk[]): void {
    this.out = out;
    this.enc.reset();
  }

  add(t: number, hi: number, lo: number): void {
    const enc = this.enc;
    if (enc.numSamples > 0 && (enc.numSamples >= this.maxSamples || t >= this.boundary)) this.flush();
    if (enc.numSamples === 0) this.boundary = (floor(t / this.blockRange) + 1) * this.blockRange;
    enc.appendBits(t, hi, lo);
  }

  /** Closes the chunk being built, if any. */
  flush(): void {
    const enc = this.enc;
    if (enc.numSamples === 0) return;
    this.out.push(new MemChunk(enc.bytes().slice(), enc.minTime, enc.maxTime));
    enc.reset();
  }
}

/** Where an out-of-order timestamp was found: its value's words. */
export interface FoundSample {
  hi: number;
  lo: number;
}

/**
 * A series' out-of-order samples (Prometheus' OOO head chunk and its m-mapped chunks): a sorted
 * buffer of up to `capacity` samples, and completed XOR chunks. Timestamps are unique across both
 * (and the head keeps them apart from the series' in-order samples too).
 *
 * Invariants: `chunks` is sorted by time with no two chunks overlapping, and is never modified in
 * place (a merge or truncation builds a new array of new chunks), so captures and queries may hold
 * it. The buffer is mutable: captures copy it.
 */
export class OooSeries {
  readonly buffer: Samples;
  chunks: readonly MemChunk[] = [];

  constructor(private readonly capacity: number) {
    this.buffer = new Samples(capacity);
  }

  get empty(): boolean {
    return this.buffer.n === 0 && this.chunks.length === 0;
  }

  get minT(): number {
    const b = this.buffer.n > 0 ? this.buffer.t[0] : Infinity;
    const c = this.chunks.length > 0 ? this.chunks[0].minT : Infinity;
    return b < c ? b : c;
  }

  get maxT(): number {
    const b = this.buffer.n > 0 ? this.buffer.t[this.buffer.n - 1] : -Infinity;
    const c = this.chunks.length > 0 ? this.chunks[this.chunks.length - 1].maxT : -Infinity;
    return b > c ? b : c;
  }

  /** The value of the sample at `t`, written to `found`; false when there is none. */
  find(t: number, it: XorChunkIterator, found: FoundSample): boolean {
    const b = this.buffer;
    const k = b.lowerBound(t);
    if (k < b.n && b.t[k] === t) {
      found.hi = b.hi[k];
      found.lo = b.lo[k];
      return true;
    }
    const c = this.chunkAt(t);
    return c !== undefined && findInChunk(c.data, t, it, found);
  }

  /** Inserts a sample whose timestamp is not stored yet; flushes the buffer into chunks when full. */
  insert(t: number, hi: number, lo: number, builder: ChunkBuilder, it: XorChunkIterator, scratch: Samples): void {
    const b = this.buffer;
    const k = b.lowerBound(t);
    b.t.copyWithin(k + 1, k, b.n);
    b.hi.copyWithin(k + 1, k, b.n);
    b.lo.copyWithin(k + 1, k, b.n);
    b.t[k] = t;
    b.hi[k] = hi >>> 0;
    b.lo[k] = lo >>> 0;
    b.n++;
    if (b.n >= this.capacity) this.flush(builder, it, scratch);
  }

  /**
   * Moves the buffer into the chunks: the chunks it overlaps are decoded, merged with it and
   * re-encoded (at most `maxSamples` per chunk, none across a block boundary), so the chunks stay
   * sorted and disjoint.
   */
  flush(builder: ChunkBuilder, it: XorChunkIterator, scratch: Samples): void {
    const b = this.buffer;
    if (b.n === 0) return;
    const first = b.t[0];
    const last = b.t[b.n - 1];
    const chunks = this.chunks;
    let from = 0;
    while (from < chunks.length && chunks[from].maxT < first) from++;
    let to = from;
    while (to < chunks.length && chunks[to].minT <= last) to++;
    scratch.clear();
    for (let c = from; c < to; c++) scratch.pushChunk(it, chunks[c].data);
    const merged: MemChunk[] = chunks.slice(0, from);
    builder.begin(merged);
    mergeSamples(scratch, b, builder);
    builder.flush();
    for (let c = to; c < chunks.length; c++) merged.push(chunks[c]);
    this.chunks = merged;
    b.clear();
  }

  /**
   * Drops samples older than `beforeT` (truncation): whole chunks, the older part of a chunk
   * spanning it (re-encoded), and buffered ones. Returns how many chunks were removed entirely.
   */
  truncate(beforeT: number, builder: ChunkBuilder, it: XorChunkIterator, scratch: Samples): number {
    const b = this.buffer;
    const k = b.lowerBound(beforeT);
    if (k > 0) {
      b.t.copyWithin(0, k, b.n);
      b.hi.copyWithin(0, k, b.n);
      b.lo.copyWithin(0, k, b.n);
      b.n -= k;
    }
    const chunks = this.chunks;
    let drop = 0;
    while (drop < chunks.length && chunks[drop].maxT < beforeT) drop++;
    const spanning = drop < chunks.length && chunks[drop].minT < beforeT;
    if (drop === 0 && !spanning) return 0;
    const rest: MemChunk[] = [];
    if (spanning) {
      scratch.clear();
      scratch.pushChunk(it, chunks[drop].data, beforeT);
      builder.begin(rest);
      for (let s = 0; s < scratch.n; s++) builder.add(scratch.t[s], scratch.hi[s], scratch.lo[s]);
      builder.flush();
    }
    for (let c = drop + (spanning ? 1 : 0); c < chunks.length; c++) rest.push(chunks[c]);
    this.chunks = rest;
    return drop;
  }

  /** Appends this series' samples in [minT, maxT] to `out`, sorted (chunks and buffer merged). */
  samplesIn(minT: number, maxT: number, it: XorChunkIterator, scratch: Samples, out: Samples): void {
    scratch.clear();
    for (const c of this.chunks) if (c.maxT >= minT && c.minT <= maxT) scratch.pushChunk(it, c.data, minT, maxT);
    const b = this.buffer;
    let i = 0;
    let j = b.lowerBound(minT);
    while (i < scratch.n || (j < b.n && b.t[j] <= maxT)) {
      if (j >= b.n || b.t[j] > maxT || (i < scratch.n && scratch.t[i] < b.t[j])) {
        out.push(scratch.t[i], scratch.hi[i], scratch.lo[i]);
        i++;
      } else {
        out.push(b.t[j], b.hi[j], b.lo[j]);
        j++;
      }
    }
  }

  private chunkAt(t: number): MemChunk | undefined {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (chunks[mid].maxT < t) lo = mid + 1;
      else hi = mid;
    }
    return lo < chunks.length && chunks[lo].minT <= t ? chunks[lo] : undefined;
  }
}

/** Whether the XOR chunk holds timestamp `t`; its value goes to `found`. */
export function findInChunk(data: Uint8Array, t: number, it: XorChunkIterator, found: FoundSample): boolean {
  it.reset(data);
  while (it.next()) {
    if (it.t < t) continue;
    if (it.t > t) return false;
    found.hi = it.valueHi;
    found.lo = it.valueLo;
    return true;
  }
  return false;
}

/** Feeds two sorted sample lists to `builder` in time order; on equal timestamps `a` wins. */
function mergeSamples(a: Samples, b: Samples, builder: ChunkBuilder): void {
  let i = 0;
  let j = 0;
  while (i < a.n || j < b.n) {
    if (j >= b.n || (i < a.n && a.t[i] <= b.t[j])) {
      if (j < b.n && a.t[i] === b.t[j]) j++;
      builder.add(a.t[i], a.hi[i], a.lo[i]);
      i++;
    } else {
      builder.add(b.t[j], b.hi[j], b.lo[j]);
      j++;
    }
  }
}

/**
 * The in-order chunks of a series merged with its out-of-order samples `ooo` (sorted; those in the
 * queried range): chunks no out-of-order sample falls into are kept as they are, the others are
 * decoded, merged and re-encoded, and out-of-order samples between chunks become chunks of their
 * own. The result is sorted and disjoint, like a block's chunks. On equal timestamps (which the
 * append rules prevent) the in-order sample wins.
 */
export function mergeChunks(inOrder: readonly MemChunk[], ooo: Samples, builder: ChunkBuilder, it: XorChunkIterator, scratch: Samples): MemChunk[] {
  const out: MemChunk[] = [];
  builder.begin(out);
  let k = 0;
  for (const c of inOrder) {
    while (k < ooo.n && ooo.t[k] < c.minT) {
      builder.add(ooo.t[k], ooo.hi[k], ooo.lo[k]);
      k++;
    }
    let end = k;
    while (end < ooo.n && ooo.t[end] <= c.maxT) end++;
    if (end === k) {
      builder.flush();
      out.push(c);
      continue;
    }
    scratch.clear();
    scratch.pushChunk(it, c.data);
    let i = 0;
    while (i < scratch.n || k < end) {
      if (k >= end || (i < scratch.n && scratch.t[i] <= ooo.t[k])) {
        if (k < end && scratch.t[i] === ooo.t[k]) k++;
        builder.add(scratch.t[i], scratch.hi[i], scratch.lo[i]);
        i++;
      } else {
        builder.add(ooo.t[k], ooo.hi[k], ooo.lo[k]);
        k++;
      }
    }
  }
  while (k < ooo.n) {
    builder.add(ooo.t[k], ooo.hi[k], ooo.lo[k]);
    k++;
  }
  builder.flush();
  return out;
}
