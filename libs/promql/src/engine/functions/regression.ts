import { PromQLExecutionError } from '../../errors';
import { kahanCompensation } from './kahan';
import type { RangeWindow } from './types';

let slope = 0;
let intercept = 0;

/**
 * Least-squares fit of the window's samples against time in seconds relative to `interceptTime`
 * (ms), Kahan-compensated as Prometheus's `linearRegression`. Sets the module's `slope` and
 * `intercept` (the value at `interceptTime`) instead of returning a pair. A constant series has
 * slope 0 (NaN for a constant ±Inf).
 */
function linearRegression(w: RangeWindow, interceptTime: number): void {
  const { ts, vs, lo, hi } = w;
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = vs[lo];
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = vs[i];
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[i] - interceptTime) / 1e3;
    cX = kahanCompensation(x, sumX, cX);
    sumX += x;
    cY = kahanCompensation(y, sumY, cY);
    sumY += y;
    const xy = x * y;
    cXY = kahanCompensation(xy, sumXY, cXY);
    sumXY += xy;
    const x2 = x * x;
    cX2 = kahanCompensation(x2, sumX2, cX2);
    sumX2 += x2;
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) {
      slope = NaN;
      intercept = NaN;
    } else {
      slope = 0;
      intercept = initY;
    }
    return;
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  slope = covXY / varX;
  intercept = sumY / n - (slope * sumX) / n;
}

/** deriv: the per-second slope of the least-squares line; needs two samples. */
export function deriv(w: RangeWindow): number | undefined {
  if (w.hi - w.lo < 2) return undefined;
  // Fitting around the first sample keeps x small, avoiding float cancellation on epoch times.
  linearRegression(w, w.ts[w.lo]);
  return slope;
}

/** predict_linear(m, t): the least-squares line's value t seconds after the evaluation time. */
export function predictLinear(w: RangeWindow, args: readonly number[]): number | undefined {
  if (w.hi - w.lo < 2) return undefined;
  linearRegression(w, w.evalT);
  return slope * args[0] + intercept;
}

/**
 * double_exponential_smoothing(m, sf, tf) (Holt's linear method): fails the query when a factor is
 * outside (0, 1) (a NaN factor passes, as in Prometheus); needs two samples.
 */
export function doubleExponentialSmoothing(w: RangeWindow, args: readonly number[]): number | undefined {
  const sf = args[0];
  const tf = args[1];
  if (sf <= 0 || sf >= 1) {
    throw new PromQLExecutionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${formatGoFixed6(sf)}`);
  }
  if (tf <= 0 || tf >= 1) {
    throw new PromQLExecutionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${formatGoFixed6(tf)}`);
  }
  const { vs, lo, hi } = w;
  const l = hi - lo;
  if (l < 2) return undefined;
  let s0 = 0;
  let s1 = vs[lo];
  let b = vs[lo + 1] - vs[lo];
  for (let i = 1; i < l; i++) {
    const x = sf * vs[lo + i];
    // The trend: the raw first difference at the start, then smoothed towards the last step.
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

/** Go's `%f` (six decimals, no exponent): `1.000000`, `-0.500000`, `NaN`, `+Inf`. */
export function formatGoFixed6(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Math.abs(v) >= 1e21) return `${BigInt(v).toString()}.000000`;
  const s = v.toFixed(6);
  return Object.is(v, -0) || (v < 0 && !s.startsWith('-')) ? `-${s}` : s;
}
