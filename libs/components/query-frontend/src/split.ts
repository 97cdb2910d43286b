/** A range query as the frontend handles it: times in ms. */
export interface RangeRequest {
  query: string;
  start: number;
  end: number;
  step: number;
}

/**
 * The last step of `start`'s grid before the next multiple of `interval` (Mimir's
 * nextIntervalBoundary): splits end there so every split keeps the original step grid.
 */
function nextIntervalBoundary(t: number, step: number, interval: number): number {
  const nextInterval = (Math.floor(t / interval) + 1) * interval;
  let target = nextInterval - ((nextInterval - t) % step);
  if (target === nextInterval) target -= step;
  return target;
}

/**
 * Splits a range query at multiples of `interval` (UTC days by default). Each split evaluates the
 * same steps the whole query would, so concatenating the splits' results gives the whole result.
 */
export function splitByInterval(r: RangeRequest, interval: number): RangeRequest[] {
  if (interval <= 0) return [r];
  const out: RangeRequest[] = [];
  for (let start = r.start; start <= r.end; ) {
    let end = nextIntervalBoundary(start, r.step, interval);
    if (end + r.step >= r.end || end < start) end = r.end;
    out.push({ query: r.query, start, end, step: r.step });
    start = end + r.step;
  }
  return out;
}

/** Start and end moved down onto multiples of the step, so results are cacheable (`-query-frontend.align-queries-with-step`). */
export function alignToStep(r: RangeRequest): RangeRequest {
  return { ...r, start: Math.floor(r.start / r.step) * r.step, end: Math.floor(r.end / r.step) * r.step };
}
