/**
 * Small typed arrays carved out of shared slabs. A query makes a few arrays per series (decoded
 * samples, one value and presence slot per step); each `new Float64Array(n)` is an off-heap
 * ArrayBuffer of its own, whose allocation and GC tracking cost more than filling it, and a range
 * query split in k parts makes k times as many. Views of one 256 KiB slab cost a heap object each.
 *
 * Invariants: a view is zeroed when handed out and never handed out twice (slabs are not reused:
 * a full slab is dropped and lives until the last view of it is collected), so views behave as
 * fresh arrays. A view keeps its whole slab alive: use these for arrays that live for one query,
 * never for anything kept longer (results caches, rule state).
 */
const SLAB_ELEMENTS = 32_768;
/** Larger arrays are allocated on their own: they gain nothing from a slab and would waste its tail. */
const MAX_VIEW = 4_096;

let f64 = new Float64Array(0);
let f64Used = 0;
let u8 = new Uint8Array(0);
let u8Used = 0;

/** A zeroed Float64Array of length n (a slab view when small). */
export function slabF64(n: number): Float64Array {
  if (n > MAX_VIEW) return new Float64Array(n);
  if (f64Used + n > f64.length) {
    f64 = new Float64Array(SLAB_ELEMENTS);
    f64Used = 0;
  }
  // The constructor, not subarray(): the same view at half the cost (no species lookup).
  const out = new Float64Array(f64.buffer, f64Used * 8, n);
  f64Used += n;
  return out;
}

/** A zeroed Uint8Array of length n (a slab view when small). */
export function slabU8(n: number): Uint8Array {
  if (n > MAX_VIEW) return new Uint8Array(n);
  if (u8Used + n > u8.length) {
    u8 = new Uint8Array(SLAB_ELEMENTS);
    u8Used = 0;
  }
  const out = new Uint8Array(u8.buffer, u8Used, n);
  u8Used += n;
  return out;
}
