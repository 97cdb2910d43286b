import { type MatrixResponse, mergeMatrixResponses } from './merge';

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
  response: MatrixResponse;
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

/** The points of `res` with start ≤ t ≤ end (ms); series left without points are dropped. */
export function extractRange(res: MatrixResponse, start: number, end: number): MatrixResponse {
  const lo = start / 1000;
  const hi = end / 1000;
  const result = [];
  for (const s of res.data.result) {
    const values = (s.values ?? []).filter(([t]) => t >= lo && t <= hi);
    if (values.length > 0) result.push({ metric: s.metric, values });
  }
  const out: MatrixResponse = { status: 'success', data: { resultType: 'matrix', result } };
  if (res.warnings?.length) out.warnings = res.warnings;
  if (res.infos?.length) out.infos = res.infos;
  return out;
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
      response: mergeMatrixResponses([last.response, extractRange(e.response, last.end + step, e.end)]),
    };
  }
  return out;
}

/** The last point of the grid through `start` (with `step`) that is at or before `t`; below `start` when none. */
export function gridFloor(start: number, step: number, t: number): number {
  return start + Math.floor((t - start) / step) * step;
}

export function encodeExtents(extents: readonly Extent[]): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, extents }));
}

/** The extents of a cache entry; an entry of another shape (an older version) counts as empty. */
export function decodeExtents(buf: Buffer): Extent[] {
  try {
    const parsed = JSON.parse(buf.toString('utf8')) as { v?: number; extents?: Extent[] };
    return parsed.v === 1 && Array.isArray(parsed.extents) ? parsed.extents : [];
  } catch {
    return [];
  }
}
