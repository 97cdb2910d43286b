/**
 * Per-series state of the head, struct-of-arrays: series ref r lives in page `r >>> PAGE_BITS`,
 * slot `r & PAGE_MASK`. A page holds typed arrays of its series' hot fields (hash, label offsets,
 * the head chunk's XOR encoder state) and an arena of their interned labels, so an active series
 * costs a few dozen bytes here plus its chunk bytes, with no per-series object or closure.
 *
 * Refs are handed out in ascending order and never reused; a page is dropped when every series
 * in it has been garbage-collected (its labels arena goes with it).
 */
export const PAGE_BITS = 10;
export const PAGE_SIZE = 1 << PAGE_BITS;
export const PAGE_MASK = PAGE_SIZE - 1;

/** Marks "no leading/trailing-zero window yet" in a chunk's XOR state. */
export const NO_WINDOW = 0xff;

/** A completed (immutable) XOR chunk of one series. */
export class MemChunk {
  constructor(
    /** The chunk's bytes, exactly sized; never modified. */
    readonly data: Uint8Array,
    /** First and last sample timestamps, ms, inclusive. */
    readonly minT: number,
    readonly maxT: number,
  ) {}

  get numSamples(): number {
    return (this.data[0] << 8) | this.data[1];
  }
}

const INITIAL_CAPACITY = 16;
const NO_KEY = Buffer.alloc(0);

/** A copy of `a` with room for `capacity` elements (the new ones `fill`ed, else zero). */
export function grown<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(a: T, capacity: number, fill?: number): T {
  const next = new (a.constructor as new (n: number) => T)(capacity);
  next.set(a);
  if (fill !== undefined) next.fill(fill, a.length);
  return next;
}

export class SeriesPage {
  /** Slots handed out so far (refs base … base+used-1). */
  used = 0;
  /** Slots whose series is still alive. */
  live = 0;
  capacity = INITIAL_CAPACITY;

  /** 1 while the series exists, 0 after garbage collection. */
  alive = new Uint8Array(INITIAL_CAPACITY);
  /** The series hash as two words (the 53-bit `seriesHash53` split at 32 bits). */
  hashLo = new Uint32Array(INITIAL_CAPACITY);
  hashHi = new Uint32Array(INITIAL_CAPACITY);
  /**
   * Interned labels: arena[labelOff … labelOff+labelLen) = n0 v0 n1 v1 … (symbol ids). Ids below
   * arenaLen are never rewritten in place (symbol compaction builds a new arena): head captures
   * read the old one.
   */
  labelOff = new Uint32Array(INITIAL_CAPACITY);
  labelLen = new Uint16Array(INITIAL_CAPACITY);
  arena = new Uint32Array(INITIAL_CAPACITY * 8);
  arenaLen = 0;
  /**
   * Canonical keys (series-key.ts): keyArena[keyRange[2i] … keyRange[2i]+keyRange[2i+1]) holds
   * series i's labels as the bytes its hash is computed over, for lookups by a request's bytes
   * (offset and length side by side: one cache line per lookup). Derived from the labels (never
   * in snapshots); the arena is trimmed to size once the page is full.
   */
  keyRange = new Uint32Array(INITIAL_CAPACITY * 2);
  keyArena: Uint8Array = new Uint8Array(INITIAL_CAPACITY * 128);
  /** A view of `keyArena` (replaced with it), for comparing keys four bytes at a time. */
  keyView: DataView = new DataView(this.keyArena.buffer);
  keyArenaLen = 0;

  /** Timestamp (ms) of the newest sample appended; -Infinity before the first. */
  lastT = new Float64Array(INITIAL_CAPACITY).fill(-Infinity);
  /** Bits of the newest sample's value (also the XOR encoder's previous value). */
  lastHi = new Uint32Array(INITIAL_CAPACITY);
  lastLo = new Uint32Array(INITIAL_CAPACITY);

  // The head chunk: its XOR encoder state and bytes. Empty when count is 0.
  /** Samples in the head chunk. */
  count = new Uint16Array(INITIAL_CAPACITY);
  /** Timestamp of the head chunk's first sample. */
  firstT = new Float64Array(INITIAL_CAPACITY);
  /** Previous timestamp delta (for delta-of-delta encoding). */
  tDelta = new Float64Array(INITIAL_CAPACITY);
  leading = new Uint8Array(INITIAL_CAPACITY);
  trailing = new Uint8Array(INITIAL_CAPACITY);
  /** Bits written to the head chunk, the 16-bit sample count header included. */
  bits = new Uint32Array(INITIAL_CAPACITY);
  /**
   * The head chunk's buffer; bytes past `bits` are zero. Reused across chunks unless a head capture
   * may hold it (see `bufEpoch`): appends only add bits past `bits` and rewrite the 2-byte count,
   * so a capture reads its bytes from the live buffer as long as it is not reused.
   */
  buf: Array<Uint8Array | undefined> = [];
  /** The writer's capture epoch when `buf` was allocated (HeadChunkWriter.cut). */
  bufEpoch = new Uint32Array(INITIAL_CAPACITY);
  /** Completed chunks, oldest first, packed (see packed-chunks.ts); undefined when none. */
  done: Array<Uint8Array | undefined> = [];
  /** Number of completed chunks. */
  doneCount = new Uint32Array(INITIAL_CAPACITY);

  /**
   * `previous`: the page before this one. When it is full, this one is sized like it from the
   * start (every slot, arenas an eighth over its sizes) instead of doubling from 16 slots: the
   * tenant has thousands of series, and doubling ~20 arrays and two arenas costs a copy of each.
   */
  constructor(
    readonly base: number,
    previous?: SeriesPage,
  ) {
    if (previous === undefined || !previous.full) return;
    this.grow(PAGE_SIZE);
    // At least the usual first sizes: an arena grows by doubling, which an empty one cannot.
    this.arena = new Uint32Array(Math.max(INITIAL_CAPACITY * 8, previous.arenaLen + (previous.arenaLen >>> 3)));
    this.setKeyArena(new Uint8Array(Math.max(INITIAL_CAPACITY * 128, previous.keyArenaLen + (previous.keyArenaLen >>> 3))));
    this.buf = new Array<Uint8Array | undefined>(PAGE_SIZE).fill(undefined);
    this.done = new Array<Uint8Array | undefined>(PAGE_SIZE).fill(undefined);
  }

  /**
   * Takes slot `i` (at or after every slot taken so far) for a series with interned labels
   * labels[0, n) and canonical key key[keyFrom, keyTo).
   */
  allocate(
    i: number,
    hashLo: number,
    hashHi: number,
    labels: ArrayLike<number>,
    n = labels.length,
    key: Buffer = NO_KEY,
    keyFrom = 0,
    keyTo = key.length,
  ): void {
    if (i >= this.capacity) {
      let capacity = this.capacity * 2;
      while (capacity <= i) capacity *= 2;
      this.grow(Math.min(PAGE_SIZE, capacity));
    }
    if (this.arenaLen + n > this.arena.length) {
      let size = this.arena.length * 2;
      while (size < this.arenaLen + n) size *= 2;
      this.arena = grown(this.arena, size);
    }
    for (let k = 0; k < n; k++) this.arena[this.arenaLen + k] = labels[k];
    this.labelOff[i] = this.arenaLen;
    this.labelLen[i] = n;
    this.arenaLen += n;
    const keyLen = keyTo - keyFrom;
    if (this.keyArenaLen + keyLen > this.keyArena.length) {
      let size = this.keyArena.length * 2;
      while (size < this.keyArenaLen + keyLen) size *= 2;
      this.setKeyArena(grown(this.keyArena, size));
    }
    key.copy(this.keyArena, this.keyArenaLen, keyFrom, keyTo);
    this.keyRange[2 * i] = this.keyArenaLen;
    this.keyRange[2 * i + 1] = keyLen;
    this.keyArenaLen += keyLen;
    this.hashLo[i] = hashLo;
    this.hashHi[i] = hashHi;
    this.alive[i] = 1;
    while (this.buf.length <= i) {
      this.buf.push(undefined);
      this.done.push(undefined);
    }
    this.used = i + 1;
    this.live++;
    if (this.used === PAGE_SIZE) {
      // No series is added to a full page: give back the arenas' doubling slack.
      this.setKeyArena(this.keyArena.slice(0, this.keyArenaLen));
      this.arena = this.arena.slice(0, this.arenaLen);
    }
  }

  labels(i: number): Uint32Array {
    return this.arena.subarray(this.labelOff[i], this.labelOff[i] + this.labelLen[i]);
  }

  /** Forgets a series' samples and marks it dead (its slot is never reused). */
  release(i: number): void {
    this.alive[i] = 0;
    this.buf[i] = undefined;
    this.done[i] = undefined;
    this.doneCount[i] = 0;
    this.count[i] = 0;
    this.live--;
  }

  get full(): boolean {
    return this.used === PAGE_SIZE;
  }

  private setKeyArena(arena: Uint8Array): void {
    this.keyArena = arena;
    this.keyView = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
  }

  private grow(capacity: number): void {
    this.alive = grown(this.alive, capacity);
    this.hashLo = grown(this.hashLo, capacity);
    this.hashHi = grown(this.hashHi, capacity);
    this.labelOff = grown(this.labelOff, capacity);
    this.labelLen = grown(this.labelLen, capacity);
    this.keyRange = grown(this.keyRange, capacity * 2);
    this.lastT = grown(this.lastT, capacity, -Infinity);
    this.lastHi = grown(this.lastHi, capacity);
    this.lastLo = grown(this.lastLo, capacity);
    this.count = grown(this.count, capacity);
    this.firstT = grown(this.firstT, capacity);
    this.tDelta = grown(this.tDelta, capacity);
    this.leading = grown(this.leading, capacity);
    this.trailing = grown(this.trailing, capacity);
    this.bits = grown(this.bits, capacity);
    this.bufEpoch = grown(this.bufEpoch, capacity);
    this.doneCount = grown(this.doneCount, capacity);
    this.capacity = capacity;
  }
}
