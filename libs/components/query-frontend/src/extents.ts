import { ByteWriter, Decbuf } from '@panoptes/block-formats';
import { type MatrixSlices, type RenderedMatrix, concatMatrices, extractRange, readMatrix, readMatrixSlices, skipMatrix, writeMatrix } from './matrix';

/**
 * A stretch of one query's results held in the results cache: every point of the query's step
 * grid from `start` to `end` (ms, both on the grid, inclusive). A cache entry holds a split's
 * extents, sorted and apart by more than a step, so a request for another window over the same
 * data (a dashboard refresh moving its range on) reuses what overlaps and asks the queriers only
 * for the gaps, as Mimir's results cache does.
 */
export interface Extent {
  start: number;
  end: number;
  matrix: RenderedMatrix;
}

/** A time range on a step grid, ms, inclusive. */
export interface GridRange {
  start: number;
  end: number;
}

/** The parts of [start, end] (on the grid of `step`) no extent covers, in order. */
export function gapsOf(extents: readonly Extent[], start: number, end: number, step: number): GridRange[] {
  const gaps: GridRange[] = [];
  let from = start;
  for (const e of extents) {
    if (e.end < from) continue;
    if (e.start > end) break;
    if (e.start > from) gaps.push({ start: from, end: Math.min(end, e.start - step) });
    from = Math.max(from, e.end + step);
    if (from > end) return gaps;
  }
  if (from <= end) gaps.push({ start: from, end });
  return gaps;
}

/**
 * `extents` sorted by start, with those that overlap or touch (apart by one step at most) joined:
 * a later extent contributes only its points after the earlier one's end (both came from the same
 * query on the same grid, so shared points are equal).
 */
export function mergeExtents(extents: readonly Extent[], step: number): Extent[] {
  const sorted = [...extents].sort((a, b) => a.start - b.start);
  const out: Extent[] = [];
  for (const e of sorted) {
    const last = out[out.length - 1];
    if (last === undefined || e.start > last.end + step) {
      out.push(e);
      continue;
    }
    if (e.end <= last.end) continue;
    out[out.length - 1] = {
      start: last.start,
      end: e.end,
      matrix: concatMatrices([last.matrix, extractRange(e.matrix, last.end + step, e.end)]),
    };
  }
  return out;
}

/** The last point of the grid through `start` (with `step`) that is at or before `t`; below `start` when none. */
export function gridFloor(start: number, step: number, t: number): number {
  return start + Math.floor((t - start) / step) * step;
}

/** First byte of a cache entry in this format; an entry of another format counts as empty. */
const ENTRY_FORMAT = 3;

/**
 * A cache entry: the format byte, the extent count, then each extent's start and end (ms) and its
 * rendered matrix (`writeMatrix`): reading it back parses no point.
 */
export function encodeExtents(extents: readonly Extent[]): Buffer {
  const w = new ByteWriter();
  w.putByte(ENTRY_FORMAT);
  w.putUvarint(extents.length);
  for (const e of extents) {
    w.putVarint(e.start);
    w.putVarint(e.end);
    writeMatrix(w, e.matrix);
  }
  return Buffer.from(w.bytes());
}

/** The extents of a cache entry; an entry of another format (an older version) or a damaged one counts as empty. */
export function decodeExtents(buf: Buffer): Extent[] {
  try {
    const d = new Decbuf(buf, 'results cache entry');
    if (d.byte() !== ENTRY_FORMAT) return [];
    const count = d.uvarint();
    const out: Extent[] = [];
    for (let i = 0; i < count; i++) out.push({ start: d.varint(), end: d.varint(), matrix: readMatrix(d) });
    return d.remaining === 0 ? out : [];
  } catch {
    return [];
  }
}

/**
 * The extent of a cache entry that covers [start, end] by itself, read as views into the entry
 * (`readMatrixSlices`), the others skipped unread; undefined when none does (or the entry is of
 * another format or damaged): the caller then takes the general path, which fetches the gaps.
 */
export function coveringExtentSlices(buf: Buffer, start: number, end: number): MatrixSlices | undefined {
  try {
    const d = new Decbuf(buf, 'results cache entry');
    if (d.byte() !== ENTRY_FORMAT) return undefined;
    const count = d.uvarint();
    let found: MatrixSlices | undefined;
    for (let i = 0; i < count; i++) {
      const s = d.varint();
      const e = d.varint();
      if (found === undefined && s <= start && e >= end) found = readMatrixSlices(d);
      else skipMatrix(d);
    }
    // As `decodeExtents`: an entry with bytes left over is damaged and counts as empty.
    return d.remaining === 0 ? found : undefined;
  } catch {
    return undefined;
  }
}
