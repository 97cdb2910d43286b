/**
 * Where Panoptes (Prometheus 3 semantics) and Prometheus 2.42 are expected to answer a query of
 * queries.ts differently, keyed by the query as sent to Prometheus, with the reason. The
 * comparison fails on any difference not listed here and on any entry whose query no longer
 * differs, so the table stays exact. `BUG:` kinds are Panoptes bugs waiting for a fix.
 *
 * Prometheus 3 changes that the data set is built not to trigger (see dataset.ts and the phases
 * in the spec), so they have no entry unless a query below provokes them on purpose:
 * - left-open range, lookback and subquery windows: samples sit 5 s past the 15 s grid and range
 *   queries evaluate 7 s past it, so no window boundary meets a sample or a subquery step;
 * - `le`/`quantile` label values normalised to floats ("1" → "1.0"): Prometheus 3 does it when it
 *   parses a scrape; remote-written series keep their labels on both sides;
 * - topk/bottomk among equal values (unspecified; Prometheus picks by storage order): the data has
 *   no ties where those run.
 */

export type DifferenceKind =
  /** Prometheus 3 selects (t − range, t] for a range selector, 2.42 [t − range, t]. */
  | 'left-open range'
  /** Prometheus 3 evaluates a subquery at the steps in (t − range, t], 2.42 in [t − range, t]. */
  | 'left-open subquery'
  /** Prometheus 3 looks back over (t − 5m, t] for an instant selector, 2.42 over [t − 5m, t]. */
  | 'left-open lookback'
  | 'experimental function not enabled'
  | 'stddev/stdvar of NaN or Inf'
  | 'atan2 drops the metric name'
  | 'regex dot matches newline'
  | 'rate extrapolation to zero'
  | `BUG: ${string}`;

export interface KnownDifference {
  kind: DifferenceKind;
  reason: string;
}

const HOLT_WINTERS: KnownDifference = {
  kind: 'experimental function not enabled',
  reason:
    'Prometheus 3 renamed holt_winters to double_exponential_smoothing and made it experimental (--enable-feature=promql-experimental-functions). Panoptes runs the API with experimental functions off and has no option to turn them on, so it refuses the renamed query (400, "function \\"double_exponential_smoothing\\" is not enabled"), as a Prometheus 3 without the flag would.',
};

const LEFT_OPEN_RANGE: KnownDifference = {
  kind: 'left-open range',
  reason:
    'Prometheus 3.0 made range selectors left-open (migration guide, "PromQL: range selectors and the lookback delta are now left-open"). The offset puts t − range exactly on a sample, which 2.42 includes and Prometheus 3 excludes.',
};

const LEFT_OPEN_SUBQUERY: KnownDifference = {
  kind: 'left-open subquery',
  reason:
    'Subqueries evaluate at multiples of their step; Prometheus 3 takes the steps in (t − range, t], 2.42 in [t − range, t]. When t − range is itself a multiple of the step (here always), 2.42 has one more point.',
};

const STDDEV_NAN: KnownDifference = {
  kind: 'stddev/stdvar of NaN or Inf',
  reason:
    'The group holds one series; at steps where its value is NaN or ±Inf, 2.42 answers 0 and Prometheus 3 answers NaN (its aggregators.test: `stddev by (label) (series)` with a lone NaN gives NaN).',
};

const ATAN2_NAME: KnownDifference = {
  kind: 'atan2 drops the metric name',
  reason:
    'Prometheus 3 drops __name__ for atan2 like for every arithmetic operator (operators.test: `trigy atan2 trigx` gives `{}`); 2.42 kept the left-hand side\'s name, so the series differ only by __name__.',
};

const RATE_ZERO_POINT: KnownDifference = {
  kind: 'rate extrapolation to zero',
  reason:
    'At the first step the window starts 58 s before the series\' first sample (2.39, a counter that just started). Prometheus 3 first limits the extrapolation towards the window start to half the average sample interval (7.5 s) when the gap exceeds 1.1 intervals, then limits it to where the counter would reach zero (8.4 s here): 7.5 s. 2.42 applied the zero-point limit first and compared the result (8.4 s) with the threshold (16.5 s), so it extrapolated 8.4 s: its result is 0.05 % higher.',
};

export const KNOWN_DIFFERENCES: Readonly<Record<string, KnownDifference>> = {
  'holt_winters(temperature_celsius[10m], 0.5, 0.5)': HOLT_WINTERS,
  'holt_winters(flaky_gauge[10m], 0.5, 0.5)': HOLT_WINTERS,
  'holt_winters(temperature_celsius[15m], 0.1, 0.9)': HOLT_WINTERS,
  'holt_winters(flaky_gauge[15m], 0.1, 0.9)': HOLT_WINTERS,
  'holt_winters(temperature_celsius[30m], 0.8, 0.2)': HOLT_WINTERS,
  'holt_winters(flaky_gauge[30m], 0.8, 0.2)': HOLT_WINTERS,

  'count_over_time(temperature_celsius[1m] offset 2s)': LEFT_OPEN_RANGE,
  'sum_over_time(temperature_celsius[15s] offset 2s)': LEFT_OPEN_RANGE,
  'count_over_time(temperature_celsius[5m:1m] offset 7s)': LEFT_OPEN_SUBQUERY,
  'max_over_time(avg_over_time(temperature_celsius[5m:1m])[20m:5m])': LEFT_OPEN_SUBQUERY,
  'flaky_gauge{instance=~"edge-1|edge-3"} offset 17s': {
    kind: 'left-open lookback',
    reason:
      'Prometheus 3.0 made the lookback delta left-open too. With this offset one step lands exactly 5m after the last sample before edge-1\'s 10-minute hole: 2.42 still returns that sample there, Prometheus 3 returns nothing.',
  },

  'rate(http_requests_total{job="api"}[30m])': RATE_ZERO_POINT,
  'increase(http_requests_total{job="api"}[30m])': RATE_ZERO_POINT,

  'stddev by (kind) (weird_values)': STDDEV_NAN,
  'stdvar by (kind) (weird_values)': STDDEV_NAN,

  'temperature_celsius atan2 3': ATAN2_NAME,
  '-2.5 atan2 temperature_celsius': ATAN2_NAME,
  'queue_depth atan2 up': ATAN2_NAME,

  'annotation_info{note=~"line one.line two"}': {
    kind: 'regex dot matches newline',
    reason: 'Prometheus 3.0 regexes match `.` against newlines too (migration guide); in 2.42 `.` stops at "\\n" and the selector finds nothing.',
  },
};
