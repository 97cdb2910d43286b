import {
  avgOverTime,
  countOverTime,
  firstOverTime,
  lastOverTime,
  madOverTime,
  maxOverTime,
  minOverTime,
  presentOverTime,
  quantileOverTime,
  stddevOverTime,
  stdvarOverTime,
  sumOverTime,
  tsOfFirstOverTime,
  tsOfLastOverTime,
  tsOfMaxOverTime,
  tsOfMinOverTime,
} from './over-time';
import { changes, extrapolatedRate, instantValue, noteIfNotCounter, resets } from './rate';
import { deriv, doubleExponentialSmoothing, predictLinear } from './regression';
import type { RangeFunction } from './types';

function rate(w: Parameters<RangeFunction>[0]): number | undefined {
  const v = extrapolatedRate(w, true, true);
  if (v !== undefined) noteIfNotCounter(w);
  return v;
}

function increase(w: Parameters<RangeFunction>[0]): number | undefined {
  const v = extrapolatedRate(w, true, false);
  if (v !== undefined) noteIfNotCounter(w);
  return v;
}

/**
 * Every range-vector function of Prometheus 3 except absent_over_time (which looks at all series
 * at once and lives in the evaluator), by name.
 */
export const RANGE_FUNCTIONS: Readonly<Record<string, RangeFunction>> = Object.freeze({
  rate,
  increase,
  delta: (w) => extrapolatedRate(w, false, false),
  irate: (w) => instantValue(w, true),
  idelta: (w) => instantValue(w, false),
  deriv,
  predict_linear: predictLinear,
  double_exponential_smoothing: doubleExponentialSmoothing,
  resets,
  changes,
  avg_over_time: avgOverTime,
  min_over_time: minOverTime,
  max_over_time: maxOverTime,
  sum_over_time: sumOverTime,
  count_over_time: countOverTime,
  last_over_time: lastOverTime,
  first_over_time: firstOverTime,
  present_over_time: presentOverTime,
  stddev_over_time: stddevOverTime,
  stdvar_over_time: stdvarOverTime,
  quantile_over_time: quantileOverTime,
  mad_over_time: madOverTime,
  ts_of_first_over_time: tsOfFirstOverTime,
  ts_of_last_over_time: tsOfLastOverTime,
  ts_of_max_over_time: tsOfMaxOverTime,
  ts_of_min_over_time: tsOfMinOverTime,
});
