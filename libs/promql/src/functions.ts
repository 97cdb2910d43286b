import type { ValueType } from './ast';

/**
 * A PromQL function's signature, as Prometheus's `parser.Function`.
 * `variadic`: 0 = exactly `argTypes.length` arguments; n > 0 = the last argument type may be
 * left out or repeated up to n times in total; -1 = the last argument type repeats without limit.
 * Optional and repeated arguments have the type of the last entry of `argTypes`.
 */
export interface FunctionDef {
  name: string;
  argTypes: readonly ValueType[];
  variadic: number;
  returnType: ValueType;
  /** Needs the experimental-functions option (Prometheus: `--enable-feature=promql-experimental-functions`). */
  experimental: boolean;
}

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

function fn(name: string, argTypes: ValueType[], returnType: ValueType, variadic = 0, experimental = false): FunctionDef {
  return Object.freeze({ name, argTypes: Object.freeze(argTypes), variadic, returnType, experimental });
}

const DEFS: FunctionDef[] = [
  fn('abs', [V], V),
  fn('absent', [V], V),
  fn('absent_over_time', [M], V),
  fn('acos', [V], V),
  fn('acosh', [V], V),
  fn('asin', [V], V),
  fn('asinh', [V], V),
  fn('atan', [V], V),
  fn('atanh', [V], V),
  fn('avg_over_time', [M], V),
  fn('ceil', [V], V),
  fn('changes', [M], V),
  fn('clamp', [V, S, S], V),
  fn('clamp_max', [V, S], V),
  fn('clamp_min', [V, S], V),
  fn('cos', [V], V),
  fn('cosh', [V], V),
  fn('count_over_time', [M], V),
  fn('days_in_month', [V], V, 1),
  fn('day_of_month', [V], V, 1),
  fn('day_of_week', [V], V, 1),
  fn('day_of_year', [V], V, 1),
  fn('deg', [V], V),
  fn('delta', [M], V),
  fn('deriv', [M], V),
  fn('double_exponential_smoothing', [M, S, S], V, 0, true),
  fn('end', [], S),
  fn('exp', [V], V),
  fn('first_over_time', [M], V, 0, true),
  fn('floor', [V], V),
  fn('histogram_avg', [V], V),
  fn('histogram_count', [V], V),
  fn('histogram_fraction', [S, S, V], V),
  fn('histogram_quantile', [S, V], V),
  fn('histogram_quantiles', [V, STR, S], V, -1, true),
  fn('histogram_stddev', [V], V),
  fn('histogram_stdvar', [V], V),
  fn('histogram_sum', [V], V),
  fn('hour', [V], V, 1),
  fn('idelta', [M], V),
  fn('increase', [M], V),
  fn('info', [V, V], V, 1, true),
  fn('irate', [M], V),
  fn('label_join', [V, STR, STR, STR], V, -1),
  fn('label_replace', [V, STR, STR, STR, STR], V),
  fn('last_over_time', [M], V),
  fn('ln', [V], V),
  fn('log10', [V], V),
  fn('log2', [V], V),
  fn('mad_over_time', [M], V, 0, true),
  fn('max_of', [S, S], S),
  fn('max_over_time', [M], V),
  fn('min_of', [S, S], S),
  fn('min_over_time', [M], V),
  fn('minute', [V], V, 1),
  fn('month', [V], V, 1),
  fn('pi', [], S),
  fn('predict_linear', [M, S], V),
  fn('present_over_time', [M], V),
  fn('quantile_over_time', [S, M], V),
  fn('rad', [V], V),
  fn('range', [], S),
  fn('rate', [M], V),
  fn('resets', [M], V),
  fn('round', [V, S], V, 1),
  fn('scalar', [V], S),
  fn('sgn', [V], V),
  fn('sin', [V], V),
  fn('sinh', [V], V),
  fn('sort', [V], V),
  fn('sort_by_label', [V, STR], V, -1, true),
  fn('sort_by_label_desc', [V, STR], V, -1, true),
  fn('sort_desc', [V], V),
  fn('sqrt', [V], V),
  fn('start', [], S),
  fn('start_timestamp', [V], V, 0, true),
  fn('stddev_over_time', [M], V),
  fn('stdvar_over_time', [M], V),
  fn('step', [], S),
  fn('sum_over_time', [M], V),
  fn('tan', [V], V),
  fn('tanh', [V], V),
  fn('time', [], S),
  fn('timestamp', [V], V),
  fn('ts_of_first_over_time', [M], V, 0, true),
  fn('ts_of_last_over_time', [M], V, 0, true),
  fn('ts_of_max_over_time', [M], V, 0, true),
  fn('ts_of_min_over_time', [M], V, 0, true),
  fn('vector', [S], V),
  fn('year', [V], V, 1),
];

/** Every PromQL function of Prometheus 3 (experimental ones flagged), by name. */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(DEFS.map((d) => [d.name, d]));

/** Functions whose result can differ between steps even when their arguments are step invariant. */
export const AT_MODIFIER_UNSAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'hour',
  'minute',
  'month',
  'year',
  'predict_linear',
  'time',
  'timestamp',
  'step',
  'range',
  'start',
  'end',
]);

/** Functions an `anchored` range may be passed to (experimental extended range selectors). */
export const ANCHORED_FUNCTIONS: readonly string[] = ['changes', 'delta', 'increase', 'rate', 'resets'];
/** Functions a `smoothed` range may be passed to. */
export const SMOOTHED_FUNCTIONS: readonly string[] = ['delta', 'increase', 'rate'];
