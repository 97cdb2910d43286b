import { goQuote } from '../../literals';
import type { FunctionNotes } from './types';

/**
 * Classic-histogram quantiles (`histogram_quantile` over `le` buckets), Prometheus 3's
 * `BucketQuantile` (promql/quantile.go): sort by upper bound, merge equal bounds, ignore relative
 * differences below 1e-12 between neighbours (float noise, silently), force the counts to be
 * monotonic (reported), then interpolate linearly inside the bucket holding the rank.
 */

/** Relative difference below which neighbouring bucket counts count as equal (Prometheus's smallDeltaTolerance). */
const SMALL_DELTA_TOLERANCE = 1e-12;
const MIN_NORMAL = 2.2250738585072014e-308;

/** Go's `almost.Equal`: relative comparison, absolute near zero, NaN equals NaN. */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** What one monotonicity fix changed: upper bounds of the lowest and highest raised bucket, largest raise. */
export interface MonotonicityFix {
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
}

/**
 * An annotation sink that also takes the details of forced monotonicity. Without
 * `forcedMonotonicity`, `bucketQuantile` reports the fix as the plain info text.
 */
export interface BucketQuantileNotes extends FunctionNotes {
  forcedMonotonicity?(metricName: string, t: number, fix: MonotonicityFix): void;
}

const FORCED_MONOTONICITY =
  'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)';

/** The info text without details: `... (see ...) for metric name "x"` (the name part only when there is one). */
export function forcedMonotonicityMessage(metricName: string): string {
  return metricName === '' ? FORCED_MONOTONICITY : `${FORCED_MONOTONICITY} for metric name ${goQuote(metricName)}`;
}

const fix: MonotonicityFix = { minBucket: 0, maxBucket: 0, maxDiff: 0 };

/**
 * The q-quantile of the classic histogram whose first `n` buckets are (upperBounds[i], counts[i]),
 * in any order. Reorders and merges those entries in place (callers pass scratch arrays).
 * NaN for q = NaN, fewer than 2 distinct bounds, no +Inf bucket or zero observations; -Inf for
 * q < 0 and +Inf for q > 1. A rank in the +Inf bucket gives the second-highest bound; a rank in a
 * lowest bucket with bound ≤ 0 gives that bound; otherwise the lowest bucket starts at 0.
 * `t` (ms) is the step, for the detailed monotonicity annotation.
 */
export function bucketQuantile(
  q: number,
  upperBounds: Float64Array,
  counts: Float64Array,
  n: number,
  notes: BucketQuantileNotes,
  metricName: string,
  t = NaN,
): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (n === 0) return NaN;
  sortBuckets(upperBounds, counts, n);
  if (upperBounds[n - 1] !== Infinity) return NaN;
  n = coalesceBuckets(upperBounds, counts, n);
  if (ensureMonotonic(upperBounds, counts, n)) {
    if (notes.forcedMonotonicity) notes.forcedMonotonicity(metricName, t, fix);
    else notes.info(forcedMonotonicityMessage(metricName));
  }
  if (n < 2) return NaN;
  const observations = counts[n - 1];
  if (observations === 0) return NaN;
  let rank = q * observations;
  // Go's sort.Search over the first n-1 buckets: the first with count >= rank.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (counts[mid] >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;
  if (b === n - 1) return upperBounds[n - 2];
  if (b === 0 && upperBounds[0] <= 0) return upperBounds[0];
  let bucketStart = 0;
  const bucketEnd = upperBounds[b];
  let count = counts[b];
  if (b > 0) {
    bucketStart = upperBounds[b - 1];
    count -= counts[b - 1];
    rank -= counts[b - 1];
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** Sorts the pairs by upper bound: insertion sort for the usual few buckets, heapsort beyond. */
export function sortBuckets(ub: Float64Array, c: Float64Array, n: number): void {
  if (n <= 32) {
    for (let i = 1; i < n; i++) {
      const u = ub[i];
      const x = c[i];
      let j = i - 1;
      while (j >= 0 && ub[j] > u) {
        ub[j + 1] = ub[j];
        c[j + 1] = c[j];
        j--;
      }
      ub[j + 1] = u;
      c[j + 1] = x;
    }
    return;
  }
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(ub, c, i, n);
  for (let end = n - 1; end > 0; end--) {
    swapPair(ub, c, 0, end);
    siftDown(ub, c, 0, end);
  }
}

function siftDown(ub: Float64Array, c: Float64Array, root: number, end: number): void {
  for (;;) {
    let child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && ub[child] < ub[child + 1]) child++;
    if (!(ub[root] < ub[child])) return;
    swapPair(ub, c, root, child);
    root = child;
  }
}

function swapPair(ub: Float64Array, c: Float64Array, i: number, j: number): void {
  const u = ub[i];
  ub[i] = ub[j];
  ub[j] = u;
  const x = c[i];
  c[i] = c[j];
  c[j] = x;
}

/** Merges neighbours with equal upper bounds (summing counts); returns the new length. */
export function coalesceBuckets(ub: Float64Array, c: Float64Array, n: number): number {
  let out = 0;
  let lastU = ub[0];
  let lastC = c[0];
  for (let i = 1; i < n; i++) {
    if (ub[i] === lastU) {
      lastC += c[i];
    } else {
      ub[out] = lastU;
      c[out] = lastC;
      out++;
      lastU = ub[i];
      lastC = c[i];
    }
  }
  ub[out] = lastU;
  c[out] = lastC;
  return out + 1;
}

/**
 * Prometheus's ensureMonotonicAndIgnoreSmallDeltas: a count within 1e-12 (relative) of the last
 * accepted one is set to it; a lower count is raised to it (a forced fix, recorded in `fix`).
 * Returns whether any fix was forced.
 */
function ensureMonotonic(ub: Float64Array, c: Float64Array, n: number): boolean {
  let forced = false;
  let prev = c[0];
  for (let i = 1; i < n; i++) {
    const curr = c[i];
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      c[i] = prev;
      continue;
    }
    if (curr < prev) {
      const diff = prev - curr;
      if (!forced) {
        forced = true;
        fix.minBucket = ub[i];
        fix.maxDiff = diff;
      } else if (diff > fix.maxDiff) {
        fix.maxDiff = diff;
      }
      fix.maxBucket = ub[i];
      c[i] = prev;
      continue;
    }
    prev = curr;
  }
  return forced;
}
