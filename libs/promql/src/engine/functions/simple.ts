import { dayOfMonth, dayOfWeek, dayOfYear, daysInMonth, hourOf, minuteOf, monthOf, yearOf } from './date';
import type { SimpleFunction } from './types';

/**
 * Element-wise functions on one float, with Go's `math` semantics where they differ from
 * JavaScript's `Math`: `math.Max`/`math.Min` let an infinity win over NaN, `math.Log2` is exact for
 * powers of two and `math.Log10` is derived from it.
 */

/** Go's math.Max: +Inf beats NaN, NaN beats everything else. */
export function goMax(x: number, y: number): number {
  if (x === Infinity || y === Infinity) return Infinity;
  return Math.max(x, y);
}

/** Go's math.Min: -Inf beats NaN, NaN beats everything else. */
export function goMin(x: number, y: number): number {
  if (x === -Infinity || y === -Infinity) return -Infinity;
  return Math.min(x, y);
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Index of the 32-bit word holding sign and exponent (the high word) on this machine.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const SMALLEST_NORMAL = 2.2250738585072014e-308;
const INV_LN2 = 1.4426950408889634; // Go's 1/Ln2 constant, correctly rounded
const LN2_OVER_LN10 = 0.3010299956639812; // Go's Ln2/Ln10 constant, correctly rounded

/** Go's math.Log2: frexp, exact for powers of two. */
export function goLog2(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return Math.log(x) * INV_LN2;
  let exp = 0;
  if (Math.abs(x) < SMALLEST_NORMAL) {
    x *= 2 ** 52;
    exp = -52;
  }
  F64[0] = x;
  exp += ((U32[HI] >>> 20) & 0x7ff) - 1022;
  U32[HI] = (U32[HI] & 0x800fffff) | (1022 << 20);
  const frac = F64[0];
  if (frac === 0.5) return exp - 1;
  return Math.log(frac) * INV_LN2 + exp;
}

export function goLog10(x: number): number {
  return goLog2(x) * LN2_OVER_LN10;
}

/** round(v, toNearest=1): ties round up; dividing by the inverse keeps decimal steps exact more often. */
function round(v: number, args: readonly number[]): number {
  const toNearest = args.length > 0 ? args[0] : 1;
  const inverse = 1 / toNearest;
  return Math.floor(v * inverse + 0.5) / inverse;
}

/** clamp(v, min, max) gives no sample at all when max < min; the evaluator checks this first. */
export function clampGivesNoSample(min: number, max: number): boolean {
  return max < min;
}

/** Element-wise functions by Prometheus name. */
export const SIMPLE_FUNCTIONS: Readonly<Record<string, SimpleFunction>> = Object.freeze({
  abs: (v) => Math.abs(v),
  ceil: (v) => Math.ceil(v),
  floor: (v) => Math.floor(v),
  exp: (v) => Math.exp(v),
  ln: (v) => Math.log(v),
  log2: (v) => goLog2(v),
  log10: (v) => goLog10(v),
  sqrt: (v) => Math.sqrt(v),
  sgn: (v) => (v < 0 ? -1 : v > 0 ? 1 : v),
  round,
  clamp: (v, a) => goMax(a[0], goMin(a[1], v)),
  clamp_min: (v, a) => goMax(a[0], goMin(Infinity, v)),
  clamp_max: (v, a) => goMax(-Infinity, goMin(a[0], v)),
  acos: (v) => Math.acos(v),
  acosh: (v) => Math.acosh(v),
  asin: (v) => Math.asin(v),
  asinh: (v) => Math.asinh(v),
  atan: (v) => Math.atan(v),
  atanh: (v) => Math.atanh(v),
  cos: (v) => Math.cos(v),
  cosh: (v) => Math.cosh(v),
  sin: (v) => Math.sin(v),
  sinh: (v) => Math.sinh(v),
  tan: (v) => Math.tan(v),
  tanh: (v) => Math.tanh(v),
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
  day_of_month: dayOfMonth,
  day_of_week: dayOfWeek,
  day_of_year: dayOfYear,
  days_in_month: daysInMonth,
  hour: hourOf,
  minute: minuteOf,
  month: monthOf,
  year: yearOf,
});
