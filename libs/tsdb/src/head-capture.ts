import { OooSeries, Samples } from './ooo-series';
import { MemChunk, SeriesPage } from './series-page';

/** A series' out-of-order samples when captured: its chunks (shared, immutable) and a copy of its buffer. */
export class OooCapture {
  readonly chunks: readonly MemChunk[];
  readonly buffer: Samples;

  constructor(o: OooSeries) {
    this.chunks = o.chunks;
    const b = (this.buffer = new Samples(Math.max(1, o.buffer.n)));
    for (let k = 0; k < o.buffer.n; k++) b.push(o.buffer.t[k], o.buffer.hi[k], o.buffer.lo[k]);
  }
}
import { SymbolTable } from './symbols';

/**
 * One page of series as they were when the head was captured. Fields that later appends or
 * truncations change are copied (a few dozen bytes per series, typed-array copies per page);
 * everything else is shared with the page, so a capture takes milliseconds for 100k series:
 *
 * - hashes, label offsets and lengths: written once when a slot is allocated; growing a page
 *   copies them into new arrays and leaves the old ones as they were;
 * - the labels arena: appended to past `arenaLen`, and replaced (never rewritten) by symbol
 *   compaction, so its ids keep pointing into the captured `SymbolTable`;
 * - completed chunks: packed arrays that are never modified (adding or dropping chunks builds new
 *   ones);
 * - open head chunk buffers: later appends only set bits past the captured `bits` and rewrite the
 *   2-byte sample count, and the chunk writer never reuses a buffer allocated before a capture
 *   (`HeadChunkWriter.beginCapture`), so `headChunk` rebuilds the captured bytes from the captured
 *   count and bit length;
 * - out-of-order chunk lists: replaced, never modified; out-of-order buffers are copied.
 */
export class PageCapture {
  /** Slots captured: base … base+used-1. */
  readonly used: number;
  readonly alive: Uint8Array;
  readonly hashLo: Uint32Array;
  readonly hashHi: Uint32Array;
  readonly labelOff: Uint32Array;
  readonly labelLen: Uint16Array;
  readonly arena: Uint32Array;
  // The open head chunk's encoder state (see SeriesPage).
  readonly count: Uint16Array;
  readonly lastT: Float64Array;
  readonly lastHi: Uint32Array;
  readonly lastLo: Uint32Array;
  readonly firstT: Float64Array;
  readonly tDelta: Float64Array;
  readonly leading: Uint8Array;
  readonly trailing: Uint8Array;
  readonly bits: Uint32Array;
  /** Open head chunk buffers (shared: read through `headChunk`). */
  private readonly buf: ReadonlyArray<Uint8Array | undefined>;
  /** Completed chunks, packed (shared, immutable). */
  readonly done: ReadonlyArray<Uint8Array | undefined>;
  readonly doneCount: Uint32Array;

  constructor(
    readonly base: number,
    p: SeriesPage,
  ) {
    const used = (this.used = p.used);
    this.alive = p.alive.slice(0, used);
    this.hashLo = p.hashLo;
    this.hashHi = p.hashHi;
    this.labelOff = p.labelOff;
    this.labelLen = p.labelLen;
    this.arena = p.arena;
    this.count = p.count.slice(0, used);
    this.lastT = p.lastT.slice(0, used);
    this.lastHi = p.lastHi.slice(0, used);
    this.lastLo = p.lastLo.slice(0, used);
    this.firstT = p.firstT.slice(0, used);
    this.tDelta = p.tDelta.slice(0, used);
    this.leading = p.leading.slice(0, used);
    this.trailing = p.trailing.slice(0, used);
    this.bits = p.bits.slice(0, used);
    this.buf = p.buf.slice(0, used);
    this.done = p.done.slice(0, used);
    this.doneCount = p.doneCount.slice(0, used);
  }

  labels(i: number): Uint32Array {
    return this.arena.subarray(this.labelOff[i], this.labelOff[i] + this.labelLen[i]);
  }

  /** Writes slot i's open head chunk as captured ((bits+7)/8 bytes) into `out` at `at`; count must be > 0. */
  headChunk(i: number, out: Uint8Array, at: number): void {
    const buf = this.buf[i]!;
    const bits = this.bits[i];
    const n = (bits + 7) >>> 3;
    out[at] = this.count[i] >>> 8;
    out[at + 1] = this.count[i] & 0xff;
    out.set(buf.subarray(2, n - 1), at + 2);
    // The last byte may have gained low bits from later appends.
    const partial = bits & 7;
    out[at + n - 1] = partial === 0 ? buf[n - 1] : buf[n - 1] & (0xff << (8 - partial));
  }
}

/**
 * A head's complete state at one instant (`Head.capture()`), unaffected by anything the head does
 * afterwards: what a snapshot file is written from. Holds the completed chunks by reference.
 */
export class HeadCapture {
  constructor(
    readonly tenant: string,
    /** Head min/max sample time (ms), ±Infinity when empty. */
    readonly minTime: number,
    readonly maxTime: number,
    /** The last truncation point (ms); -Infinity before the first truncation. */
    readonly truncatedBefore: number,
    /** The end of the last block cut (ms); -Infinity before the first. */
    readonly cutBefore: number,
    /** The ref the next new series gets. */
    readonly nextRef: number,
    readonly numSeries: number,
    /** The symbol table labels refer to, and how many of its symbols existed (later ones are ignored). */
    readonly symbols: SymbolTable,
    readonly numSymbols: number,
    /** Pages with at least one live series, in ascending ref order. */
    readonly pages: readonly PageCapture[],
    /** Out-of-order samples by series ref (only series that have some). */
    readonly ooo: ReadonlyMap<number, OooCapture>,
  ) {}
}
