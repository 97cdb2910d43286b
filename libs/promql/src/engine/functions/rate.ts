import { goQuote } from '../../literals';
import type { RangeWindow } from './types';

/**
 * The rate family over float samples, Prometheus 3's `extrapolatedRate` and `instantValue`
 * (promql/functions.go). Anchored/smoothed selectors (experimental `extendedRate`) are not handled
 * here: the window does not say whether the selector had those modifiers.
 */

/** A range's length in seconds as Go's `time.Duration.Seconds()` computes it from whole ms. */
export function rangeSeconds(rangeMs: number): number {
  const sec = Math.trunc(rangeMs / 1000);
  const nsec = (rangeMs - sec * 1000) * 1e6;
  return sec + nsec / 1e9;
}

/**
 * rate/increase/delta: the difference between the first and last sample (plus every value lost to
 * a counter reset when `isCounter`), extrapolated towards the window edges: all the way when the
 * first/last sample is within 110% of the average sample interval of the edge, else by half an
 * interval; counters never extrapolate below zero. Needs two samples.
 */
export function extrapolatedRate(w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  const { ts, vs, lo, hi } = w;
  if (hi - lo < 2) return undefined;
  const last = hi - 1;
  const firstT = ts[lo];
  const lastT = ts[last];
  const firstV = vs[lo];
  let result = vs[last] - firstV;
  if (isCounter && (w.drops === undefined || w.drops[last] !== w.drops[lo])) {
    for (let i = lo + 1; i < hi; i++) {
      if (vs[i] < vs[i - 1]) result += vs[i - 1];
    }
  }
  let durationToStart = (firstT - w.rangeStart) / 1000;
  let durationToEnd = (w.rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (hi - lo - 1);

  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter) {
    // A counter cannot go below zero: stop extrapolating backwards where the slope reaches 0.
    let durationToZero = durationToStart;
    if (result > 0 && firstV >= 0) durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;

  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= rangeSeconds(w.rangeEnd - w.rangeStart);
  return result * factor;
}

/** The range functions that read `RangeWindow.drops`. */
export const COUNTS_DROPS: ReadonlySet<string> = new Set(['rate', 'increase', 'resets']);

let dropsScratch = new Int32Array(1024);

/**
 * `RangeWindow.drops` for a series' values. The array is scratch space shared by every call: valid
 * until the next call, so only for the windows of one series at a time.
 */
export function countDrops(vs: Float64Array): Int32Array {
  if (dropsScratch.length < vs.length) dropsScratch = new Int32Array(Math.max(vs.length, dropsScratch.length * 2));
  const d = dropsScratch;
  let n = 0;
  if (vs.length > 0) d[0] = 0;
  for (let i = 1; i < vs.length; i++) {
    if (vs[i] < vs[i - 1]) n++;
    d[i] = n;
  }
  return d;
}

/**
 * irate/idelta: from the last two samples only. irate treats a drop as a counter reset (the new
 * value is the increase) and divides by their distance in seconds.
 */
export function instantValue(w: RangeWindow, isRate: boolean): number | undefined {
  const { ts, vs, hi } = w;
  if (hi - w.lo < 2) return undefined;
  const interval = ts[hi - 1] - ts[hi - 2];
  if (interval === 0) return undefined;
  const prev = vs[hi - 2];
  const cur = vs[hi - 1];
  let result = cur;
  // `!(cur < prev)` rather than `cur >= prev`: a NaN takes the difference (NaN), as in Prometheus.
  if (!isRate || !(cur < prev)) result = cur - prev;
  if (isRate) result /= interval / 1000;
  return result;
}

/** resets: how often a value is lower than the one before it. */
export function resets(w: RangeWindow): number | undefined {
  const { vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  if (w.drops) return w.drops[hi - 1] - w.drops[lo];
  let n = 0;
  for (let i = lo + 1; i < hi; i++) if (vs[i] < vs[i - 1]) n++;
  return n;
}

/** changes: how often a value differs from the one before it (NaN after NaN is no change). */
export function changes(w: RangeWindow): number | undefined {
  const { vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  let n = 0;
  for (let i = lo + 1; i < hi; i++) {
    const cur = vs[i];
    const prev = vs[i - 1];
    if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) n++;
  }
  return n;
}

let checkedName = '';
let checkedMessage: string | undefined;

/**
 * Prometheus's info for rate()/increase() over a series whose name does not look like a counter.
 * The message of the last name is kept so steady state costs one comparison per window.
 */
export function noteIfNotCounter(w: RangeWindow): void {
  const name = w.metricName;
  if (name === '') return;
  if (name !== checkedName) {
    checkedName = name;
    checkedMessage = looksLikeCounter(name)
      ? undefined
      : `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${goQuote(name)}`;
  }
  if (checkedMessage !== undefined) w.notes.info(checkedMessage);
}

function looksLikeCounter(name: string): boolean {
  return name.endsWith('_total') || name.endsWith('_sum') || name.endsWith('_count') || name.endsWith('_bucket');
}
