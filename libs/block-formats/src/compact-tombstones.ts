import { crc32c } from './crc32c';
import { ByteWriter } from './encoding';
import { Tombstone, TOMBSTONES_FORMAT_V1, TOMBSTONES_MAGIC } from './tombstones';

/**
 * Tombstone intervals as the compactor applies them (Prometheus' `tombstones.Intervals`): closed
 * `[mint, maxt]` ranges in ms, per series ref of the block that holds the tombstones. Intervals of
 * one series are kept sorted and merged, adjacent ones too (`[1,5]` + `[6,9]` = `[1,9]`), as
 * Prometheus' `Intervals.Add` does, because "a chunk lies inside one interval" decides whether a
 * chunk is dropped whole or re-encoded.
 */
export interface Interval {
  mint: number;
  maxt: number;
}

/** Adds `iv` to sorted, merged `list` in place, keeping it sorted and merged. */
export function addInterval(list: Interval[], iv: Interval): void {
  let mint = iv.mint;
  let maxt = iv.maxt;
  let i = 0;
  while (i < list.length && list[i].maxt < mint - 1) i++;
  let j = i;
  while (j < list.length && list[j].mint <= maxt + 1) {
    if (list[j].mint < mint) mint = list[j].mint;
    if (list[j].maxt > maxt) maxt = list[j].maxt;
    j++;
  }
  list.splice(i, j - i, { mint, maxt });
}

/** Groups tombstones by series ref, each series' intervals sorted and merged. */
export function tombstonesBySeries(tombstones: readonly Tombstone[]): Map<number, Interval[]> {
  const out = new Map<number, Interval[]>();
  for (const t of tombstones) {
    let list = out.get(t.seriesRef);
    if (!list) out.set(t.seriesRef, (list = []));
    addInterval(list, { mint: t.mint, maxt: t.maxt });
  }
  return out;
}

/** Whether `[mint, maxt]` lies inside one of the intervals (the chunk is deleted whole). */
export function isSubrange(mint: number, maxt: number, intervals: readonly Interval[]): boolean {
  for (const iv of intervals) if (iv.mint <= mint && maxt <= iv.maxt) return true;
  return false;
}

/** Whether `[mint, maxt]` shares at least one timestamp with an interval. */
export function overlapsAny(mint: number, maxt: number, intervals: readonly Interval[]): boolean {
  for (const iv of intervals) if (iv.mint <= maxt && mint <= iv.maxt) return true;
  return false;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * Encodes a `tombstones` file (see tombstones.ts for the layout) with entries in the order given.
 * Timestamps beyond int64 (e.g. ±9.223372036854776e18 read back from Go's MinInt64/MaxInt64) are
 * clamped to int64, so "delete everything" intervals survive a decode/encode round trip.
 *
 * Belongs next to `decodeTombstones` in tombstones.ts once deletion lands; it lives here because
 * the compactor's tests are its only user so far.
 */
export function encodeTombstones(tombstones: readonly Tombstone[]): Uint8Array {
  const w = new ByteWriter(64);
  w.putBE32(TOMBSTONES_MAGIC);
  w.putByte(TOMBSTONES_FORMAT_V1);
  for (const t of tombstones) {
    w.putUvarint(t.seriesRef);
    putVarint64(w, t.mint);
    putVarint64(w, t.maxt);
  }
  const body = w.bytes();
  const crc = crc32c(body, 5, body.length);
  w.putBE32(crc);
  return Buffer.from(w.bytes());
}

function putVarint64(w: ByteWriter, x: number): void {
  if (Number.isSafeInteger(x)) {
    w.putVarint(x);
    return;
  }
  let b = BigInt(Math.trunc(x));
  if (b > INT64_MAX) b = INT64_MAX;
  if (b < INT64_MIN) b = INT64_MIN;
  w.putUvarintBig(b >= 0n ? b << 1n : (-b << 1n) - 1n);
}
