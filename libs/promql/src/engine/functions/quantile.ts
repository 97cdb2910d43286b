import { kahanCompensation } from './kahan';

/** A mutable array of floats: the evaluator's typed arrays or plain arrays in tests. */
export type FloatArray = Float64Array | number[];

/**
 * The φ-quantile of the first `n` entries of `values`, Prometheus's `quantile` helper (used by the
 * `quantile` aggregation and `quantile_over_time`): sorts them in place (NaN first, as Prometheus's
 * `vectorByValueHeap` orders them), then interpolates linearly between the two closest ranks.
 * n = 0 or q = NaN → NaN; q < 0 → -Inf; q > 1 → +Inf.
 */
export function quantile(q: number, values: FloatArray, n: number): number {
  if (n === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  sortFloats(values, n);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

/** Sorts values[0, n) ascending in place with every NaN first. No allocation. */
export function sortFloats(values: FloatArray, n: number): void {
  let nans = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i])) {
      values[i] = values[nans];
      values[nans] = NaN;
      nans++;
    }
  }
  quicksort(values, nans, n - 1);
}

function quicksort(a: FloatArray, lo: number, hi: number): void {
  while (hi - lo > 16) {
    // Median of three as pivot; recurse into the smaller side to bound the stack depth.
    const mid = lo + ((hi - lo) >> 1);
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const x = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > x) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
}

function swap(a: FloatArray, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Population variance of vs[lo, hi) the way `stddev_over_time`/`stdvar_over_time` compute it:
 * Welford's running mean and sum of squared deviations, both Kahan-compensated.
 */
export function variance(vs: Float64Array, lo: number, hi: number): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = lo; i < hi; i++) {
    const f = vs[i];
    count++;
    const delta = f - (mean + cMean);
    const incMean = delta / count;
    cMean = kahanCompensation(incMean, mean, cMean);
    mean += incMean;
    const incAux = delta * (f - (mean + cMean));
    cAux = kahanCompensation(incAux, aux, cAux);
    aux += incAux;
  }
  return (aux + cAux) / count;
}

let scratch = new Float64Array(256);

/**
 * A module-owned buffer of at least `n` floats for sorting copies of window values. Valid until
 * the next call; single-threaded JS makes sharing it between windows safe.
 */
export function scratchBuffer(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  return scratch;
}
