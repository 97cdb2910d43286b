import { formatGoFloat } from '../../literals';
import { kahanCompensation } from './kahan';
import { quantile, scratchBuffer, variance } from './quantile';
import type { RangeWindow } from './types';

/**
 * The `<aggregation>_over_time` functions over float samples (promql/functions.go). The window
 * always holds at least one sample when the evaluator calls them.
 */

/**
 * avg_over_time: the Kahan-compensated sum divided by the count while the sum stays finite; when
 * it would overflow, switch to the incremental mean (mean = mean·(n-1)/n + x/n), also compensated,
 * so large inputs give a finite mean instead of ±Inf.
 */
export function avgOverTime(w: RangeWindow): number | undefined {
  const { vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  let sum = vs[lo];
  let count = 1;
  let mean = 0;
  let c = 0;
  let incremental = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = vs[i];
    count = i - lo + 1;
    if (!incremental) {
      const newSum = sum + f;
      if (newSum !== Infinity && newSum !== -Infinity) {
        c = kahanCompensation(f, sum, c);
        sum = newSum;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    const inc = f / count;
    const base = q * mean;
    c = kahanCompensation(inc, base, q * c);
    mean = base + inc;
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

/** sum_over_time: Kahan-compensated; an infinite sum is returned without its compensation. */
export function sumOverTime(w: RangeWindow): number | undefined {
  const { vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  let sum = 0;
  let c = 0;
  for (let i = lo; i < hi; i++) {
    c = kahanCompensation(vs[i], sum, c);
    sum += vs[i];
  }
  if (sum === Infinity || sum === -Infinity) return sum;
  return sum + c;
}

export function countOverTime(w: RangeWindow): number | undefined {
  return w.hi > w.lo ? w.hi - w.lo : undefined;
}

export function presentOverTime(w: RangeWindow): number | undefined {
  return w.hi > w.lo ? 1 : undefined;
}

export function lastOverTime(w: RangeWindow): number | undefined {
  return w.hi > w.lo ? w.vs[w.hi - 1] : undefined;
}

export function firstOverTime(w: RangeWindow): number | undefined {
  return w.hi > w.lo ? w.vs[w.lo] : undefined;
}

export function tsOfFirstOverTime(w: RangeWindow): number | undefined {
  return w.hi > w.lo ? w.ts[w.lo] / 1000 : undefined;
}

export function tsOfLastOverTime(w: RangeWindow): number | undefined {
  return w.hi > w.lo ? w.ts[w.hi - 1] / 1000 : undefined;
}

/** max_over_time: a NaN is replaced by any later value, so NaN only wins when every value is NaN. */
export function maxOverTime(w: RangeWindow): number | undefined {
  const { vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  let m = vs[lo];
  for (let i = lo; i < hi; i++) if (vs[i] > m || Number.isNaN(m)) m = vs[i];
  return m;
}

export function minOverTime(w: RangeWindow): number | undefined {
  const { vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  let m = vs[lo];
  for (let i = lo; i < hi; i++) if (vs[i] < m || Number.isNaN(m)) m = vs[i];
  return m;
}

/** ts_of_max_over_time: the timestamp (seconds) of the last sample holding the maximum. */
export function tsOfMaxOverTime(w: RangeWindow): number | undefined {
  const { ts, vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  let m = vs[lo];
  let t = ts[lo];
  for (let i = lo; i < hi; i++) {
    if (vs[i] >= m || Number.isNaN(m)) {
      m = vs[i];
      t = ts[i];
    }
  }
  return t / 1000;
}

/** ts_of_min_over_time: the timestamp (seconds) of the last sample holding the minimum. */
export function tsOfMinOverTime(w: RangeWindow): number | undefined {
  const { ts, vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  let m = vs[lo];
  let t = ts[lo];
  for (let i = lo; i < hi; i++) {
    if (vs[i] <= m || Number.isNaN(m)) {
      m = vs[i];
      t = ts[i];
    }
  }
  return t / 1000;
}

export function stdvarOverTime(w: RangeWindow): number | undefined {
  return w.hi > w.lo ? variance(w.vs, w.lo, w.hi) : undefined;
}

export function stddevOverTime(w: RangeWindow): number | undefined {
  return w.hi > w.lo ? Math.sqrt(variance(w.vs, w.lo, w.hi)) : undefined;
}

/** quantile_over_time(φ, m): warns once per query text when φ is outside [0, 1] or NaN. */
export function quantileOverTime(w: RangeWindow, args: readonly number[]): number | undefined {
  const { vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  const q = args[0];
  if (Number.isNaN(q) || q < 0 || q > 1) w.notes.warn(invalidQuantileMessage(q));
  const n = hi - lo;
  const buf = scratchBuffer(n);
  for (let i = 0; i < n; i++) buf[i] = vs[lo + i];
  return quantile(q, buf, n);
}

/** The text of Prometheus's invalid-quantile warning (`%g` formatting of φ). */
export function invalidQuantileMessage(q: number): string {
  return `quantile value should be between 0 and 1, got ${formatGoFloat(q)}`;
}

/**
 * mad_over_time: the median of the absolute deviations from the median. A NaN sample makes it NaN
 * (Prometheus 3.14, PR #19040: the quantile helper would otherwise sort it away).
 */
export function madOverTime(w: RangeWindow): number | undefined {
  const { vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  const n = hi - lo;
  const buf = scratchBuffer(n);
  for (let i = 0; i < n; i++) {
    const v = vs[lo + i];
    if (Number.isNaN(v)) return NaN;
    buf[i] = v;
  }
  const median = quantile(0.5, buf, n);
  for (let i = 0; i < n; i++) buf[i] = Math.abs(vs[lo + i] - median);
  return quantile(0.5, buf, n);
}
