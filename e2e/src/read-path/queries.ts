/**
 * The PromQL queries the comparison runs, generated systematically over the data set of
 * dataset.ts: every aggregation with and without grouping, every binary operator and matching
 * modifier, every function Prometheus 2.42 and 3 share, offset, @, subqueries and nested
 * combinations, plus a few queries made to land on the 2 → 3 semantic changes on purpose.
 *
 * Invariants
 * - Expressions are unique (the known-differences table is keyed by them).
 * - Every expression is valid PromQL for Prometheus 2.42; `panoptesExpr` is set only where
 *   Prometheus 3 spells the same query differently (a renamed function).
 */

export interface CompareQuery {
  /** Which part of the language the query exercises, for the summary. */
  group: string;
  /** The query sent to Prometheus 2.42. */
  expr: string;
  /** The query sent to Panoptes when Prometheus 3 spells it differently. */
  panoptesExpr?: string;
}

export interface QueryContext {
  /** Start of the range queries (ms); `@` literals are placed relative to it. */
  startMs: number;
}

const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk(2, ', 'bottomk(2, ', 'quantile(0.25, ', 'quantile(0.9, '];
const ARITHMETIC = ['+', '-', '*', '/', '%', '^', 'atan2'];
const COMPARISONS = ['==', '!=', '>', '<', '>=', '<='];
const SET_OPS = ['and', 'or', 'unless'];
const OVER_TIME = ['avg', 'min', 'max', 'sum', 'count', 'stddev', 'stdvar', 'last', 'present'];
const MATH = ['abs', 'ceil', 'floor', 'round', 'exp', 'ln', 'log2', 'log10', 'sqrt', 'sgn'];
const TRIG = ['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'deg', 'rad'];
const DATE = ['minute', 'hour', 'day_of_week', 'day_of_month', 'day_of_year', 'days_in_month', 'month', 'year'];

/** `op(expr)` or `op(param, expr)` with the grouping clause, for the aggregation list above. */
function aggregate(op: string, grouping: string, expr: string): string {
  const call = op.endsWith(', ') ? `${op}${expr})` : `${op}(${expr})`;
  if (grouping === '') return call;
  const name = op.endsWith(', ') ? op.slice(0, op.indexOf('(')) : op;
  return `${name} ${grouping} ${call.slice(name.length)}`;
}

export function compareQueries(ctx: QueryContext): CompareQuery[] {
  const out: CompareQuery[] = [];
  const add = (group: string, ...exprs: string[]): void => {
    for (const expr of exprs) out.push({ group, expr });
  };

  add(
    'selector',
    'temperature_celsius',
    'http_requests_total{job="api",method="GET"}',
    'http_requests_total{path=~"/api.*"}',
    'http_requests_total{path!~"/|/login",method!="POST"}',
    'up{group!="canary"}',
    '{__name__=~"disk_bytes_.*"}',
    '{job="edge"}',
    'flaky_gauge',
    'batch_last_success_timestamp_seconds',
    'weird_values',
    'http_requests_total{instance=~"10\\\\.0\\\\.1\\\\..*",path="/"}',
    'http_request_duration_seconds_bucket{le="+Inf"}',
    'event_time_seconds',
    'annotation_info{note=~"(?s)line one.line two"}',
  );

  // Aggregations: each operator over a gauge and over rates, with each kind of grouping.
  const aggInputs: [string, string[]][] = [
    ['temperature_celsius', ['', 'by (job)', 'without (instance)', 'by (group, sensor)']],
    ['rate(http_requests_total[5m])', ['', 'by (job)', 'without (instance, method)', 'by (path)']],
  ];
  for (const [input, groupings] of aggInputs) {
    for (const op of AGGREGATIONS) for (const g of groupings) add('aggregation', aggregate(op, g, input));
  }
  for (const input of ['queue_depth', 'up']) for (const g of ['', 'by (job)']) add('aggregation', aggregate('count_values("value", ', g, input));
  // count_values prints values into a label (Go's shortest 'f' format: no exponent, unlike JavaScript).
  add('aggregation', 'count_values("v", round(temperature_celsius, 0.1))', 'count_values("v", error_ratio)', 'count_values("v", disk_bytes_total)');
  for (const op of ['sum', 'avg', 'min', 'max', 'stddev', 'stdvar', 'quantile(0.5, ']) add('aggregation', aggregate(op, 'by (kind)', 'weird_values'));
  add(
    'aggregation',
    'sum(disk_bytes_free)',
    'avg(error_ratio)',
    'stddev(error_ratio)',
    'sum by (job) (error_ratio)',
    'quantile(1.5, temperature_celsius)',
    'quantile(-1, temperature_celsius)',
    'topk(scalar(count(up)) - 10, temperature_celsius)',
    'count without () (up)',
    'sum by () (queue_depth)',
    'max by (job) (flaky_gauge)',
    'min(batch_last_success_timestamp_seconds)',
  );

  // Binary operators.
  for (const op of ARITHMETIC) {
    add(
      'binary arithmetic',
      `temperature_celsius ${op} 3`,
      `-2.5 ${op} temperature_celsius`,
      `queue_depth ${op} up`,
      `rate(http_requests_total[5m]) ${op} on (job, instance) group_left queue_depth`,
    );
  }
  for (const op of COMPARISONS) {
    add(
      'binary comparison',
      `temperature_celsius ${op} 10`,
      `temperature_celsius ${op} bool 10`,
      `queue_depth ${op} up`,
      `queue_depth ${op} bool up`,
      `scalar(queue_depth{instance="10.0.0.1:9100"}) ${op} bool 2`,
    );
  }
  for (const op of SET_OPS) {
    add(
      'binary set',
      `temperature_celsius ${op} temperature_celsius > 20`,
      `up ${op} on (job) (queue_depth > 3)`,
      `up ${op} ignoring (version, revision) build_info`,
      `rate(http_requests_total[5m]) ${op} on (instance) (up == 0)`,
    );
  }
  add(
    'binary matching',
    'sum by (job, instance) (rate(http_requests_total[5m])) / on (job, instance) group_left (version) build_info',
    'rate(http_requests_total[5m]) * on (job, instance) group_left (version, revision) build_info',
    'build_info * on (job, instance) group_right (version) rate(http_requests_total[5m])',
    'rate(http_requests_total[5m]) / ignoring (path, method) group_left rate(process_cpu_seconds_total[5m])',
    'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes',
    'node_memory_MemAvailable_bytes / ignoring (job) node_memory_MemTotal_bytes',
    'sum without (sensor) (temperature_celsius) - on (job, instance, group) temperature_celsius{sensor="cpu"}',
    'http_request_duration_seconds_sum / http_request_duration_seconds_count',
    'rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])',
    'up == on (job, instance) group_left (version) build_info',
    'up > bool on (job, instance) group_left (version) (build_info * 0.5)',
    'disk_bytes_free / disk_bytes_total',
    '(1 - disk_bytes_free / disk_bytes_total) * 100 > 50',
    'queue_depth + ignoring (group) group_right up',
    '-temperature_celsius',
    '+temperature_celsius',
    '-temperature_celsius ^ 2',
    '2 * temperature_celsius ^ 2 - 1',
    '2 ^ 3 ^ 2 + temperature_celsius',
    '(temperature_celsius > 0) % 7',
    'weird_values * 2',
    'weird_values > 0',
    'weird_values == bool weird_values',
  );

  // Range functions over counters and gauges.
  for (const fn of ['rate', 'irate', 'increase', 'resets', 'changes']) {
    for (const range of ['1m', '5m', '30m']) add('function: counter', `${fn}(http_requests_total{job="api"}[${range}])`);
  }
  add('function: counter', 'rate(process_cpu_seconds_total[2m])', 'increase(http_request_duration_seconds_count[10m])', 'irate(http_request_duration_seconds_sum[1m])');
  for (const fn of ['delta', 'idelta', 'deriv', 'changes']) {
    add('function: gauge', `${fn}(temperature_celsius[5m])`, `${fn}(flaky_gauge[10m])`);
  }
  add(
    'function: gauge',
    'predict_linear(temperature_celsius[10m], 600)',
    'predict_linear(flaky_gauge[5m], -300)',
    'predict_linear(disk_bytes_free[30m], 3600)',
    'deriv(process_cpu_seconds_total[15m])',
    'delta(error_ratio[2m])',
  );
  for (const [range, sf, tf] of [
    ['10m', '0.5', '0.5'],
    ['15m', '0.1', '0.9'],
    ['30m', '0.8', '0.2'],
  ]) {
    for (const input of ['temperature_celsius', 'flaky_gauge']) {
      out.push({
        group: 'function: holt_winters',
        expr: `holt_winters(${input}[${range}], ${sf}, ${tf})`,
        panoptesExpr: `double_exponential_smoothing(${input}[${range}], ${sf}, ${tf})`,
      });
    }
  }
  for (const input of ['temperature_celsius[5m]', 'flaky_gauge[10m]', 'weird_values[5m]', 'batch_last_success_timestamp_seconds[10m]']) {
    for (const fn of OVER_TIME) add('function: over_time', `${fn}_over_time(${input})`);
    add('function: over_time', `quantile_over_time(0.5, ${input})`, `quantile_over_time(0.95, ${input})`);
  }
  add(
    'function: over_time',
    'sum_over_time(disk_bytes_free[10m])',
    'avg_over_time(error_ratio[10m])',
    'quantile_over_time(2, temperature_celsius[5m])',
    'absent_over_time(nonexistent_metric[5m])',
    'absent_over_time(flaky_gauge{instance="edge-1"}[1m])',
    'absent_over_time(batch_last_success_timestamp_seconds{instance="b1"}[5m])',
    'absent_over_time(up[5m])',
  );

  // Instant functions.
  for (const fn of MATH) add('function: math', `${fn}(temperature_celsius)`, `${fn}(weird_values)`);
  add(
    'function: math',
    'round(temperature_celsius, 0.5)',
    'round(temperature_celsius, 5)',
    'round(error_ratio, 0.000001)',
    'ln(error_ratio)',
    'log10(disk_bytes_free)',
    'log2(node_memory_MemTotal_bytes)',
    'exp(-temperature_celsius)',
    'sqrt(queue_depth)',
    'ln(queue_depth)',
  );
  for (const fn of TRIG) add('function: trig', `${fn}(temperature_celsius / 40)`);
  add('function: trig', 'acosh(temperature_celsius)', 'atanh(weird_values / 10)', 'sin(weird_values)', 'pi()', 'pi() * temperature_celsius');
  add(
    'function: clamp',
    'clamp(temperature_celsius, -5, 20)',
    'clamp(temperature_celsius, 20, -5)',
    'clamp_max(temperature_celsius, 0)',
    'clamp_min(temperature_celsius, 0)',
    'clamp(weird_values, -1, 1)',
    'clamp_min(weird_values, 0)',
  );
  for (const fn of DATE) add('function: date', `${fn}()`, `${fn}(event_time_seconds)`);
  add(
    'function: date',
    'time()',
    'timestamp(temperature_celsius)',
    'timestamp(flaky_gauge)',
    'timestamp(batch_last_success_timestamp_seconds)',
    'hour(batch_last_success_timestamp_seconds)',
    'day_of_week(vector(time()))',
    'time() - batch_last_success_timestamp_seconds',
  );
  add(
    'function: vector/scalar',
    'vector(1)',
    'vector(time())',
    'scalar(up{instance="10.0.0.1:9100"})',
    'scalar(up)',
    'scalar(sum(up)) * temperature_celsius',
    'vector(scalar(sum(queue_depth)))',
  );
  add(
    'function: labels',
    'label_replace(up, "host", "$1", "instance", "(.*):\\\\d+")',
    'label_replace(up, "host", "$1", "instance", "nomatch(.*)")',
    'label_replace(up, "group", "", "", "")',
    'label_replace(temperature_celsius, "where", "$2-$1", "job", "(c)(.*)")',
    'label_replace(rate(http_requests_total[5m]), "route", "${1}_x", "path", "/(api)/.*")',
    'label_join(up, "target", "/", "job", "instance")',
    'label_join(up, "job", "", "group")',
    'label_join(build_info, "id", "-", "version", "revision", "group")',
  );
  add('function: sort', 'sort(temperature_celsius)', 'sort_desc(temperature_celsius)', 'sort(sum by (job) (up))', 'sort_desc(weird_values)');
  add(
    'function: absent',
    'absent(nonexistent_metric)',
    'absent(nonexistent_metric{job="x",foo=~"bar"})',
    'absent(up)',
    'absent(flaky_gauge{instance="edge-1"})',
    'absent(batch_last_success_timestamp_seconds{instance="b1"})',
    'absent(up{job="api"} == 0)',
  );
  for (const q of ['0', '0.25', '0.5', '0.9', '0.99', '1', '-0.5', '1.5']) {
    add('function: histogram', `histogram_quantile(${q}, rate(http_request_duration_seconds_bucket[5m]))`);
  }
  add(
    'function: histogram',
    'histogram_quantile(0.9, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.5, sum by (le) (increase(http_request_duration_seconds_bucket[10m])))',
    'histogram_quantile(0.5, http_request_duration_seconds_bucket)',
    'histogram_quantile(0.75, rate(http_request_duration_seconds_bucket{group="canary"}[10m]))',
    'histogram_quantile(0.9, sum without (le) (rate(http_request_duration_seconds_bucket[5m])))',
    'histogram_count(temperature_celsius)',
    'histogram_sum(temperature_celsius)',
    'histogram_fraction(0, 0.5, temperature_celsius)',
  );

  // offset and @.
  const at = (ctx.startMs + 20 * 60_000) / 1000;
  add(
    'offset/@',
    'temperature_celsius offset 5m',
    'temperature_celsius offset 1h',
    'temperature_celsius offset -2m',
    'rate(http_requests_total{job="db"}[5m] offset 10m)',
    'sum(up offset 30m)',
    'flaky_gauge offset 3m',
    'temperature_celsius @ start()',
    'temperature_celsius @ end()',
    'rate(http_requests_total{job="db"}[5m] @ end())',
    `temperature_celsius @ ${at}`,
    'temperature_celsius @ end() offset 10m',
    'max_over_time(temperature_celsius[10m] @ start() offset -5m)',
    `sum(rate(http_requests_total[5m] @ ${at})) - sum(rate(http_requests_total[5m]))`,
  );

  // Subqueries.
  add(
    'subquery',
    'max_over_time(rate(http_requests_total{job="api"}[1m])[10m:1m])',
    'avg_over_time(temperature_celsius[30m:30s])',
    'min_over_time(sum by (job) (temperature_celsius)[15m:])',
    'deriv(sum(process_cpu_seconds_total)[15m:1m])',
    'rate(sum(http_requests_total)[10m:15s])',
    'max_over_time(deriv(temperature_celsius[5m])[20m:2m])',
    'avg_over_time(temperature_celsius[10m:1m] offset 10m)',
    'sum_over_time(up[30m:1m] @ end())',
    // The outer subquery evaluates the inner one at multiples of 5m, so the inner window's start
    // is always on its own 1m grid (a known difference); a 290s window never is.
    'max_over_time(avg_over_time(temperature_celsius[5m:1m])[20m:5m])',
    'max_over_time(avg_over_time(temperature_celsius[290s:1m])[20m:5m])',
    'quantile_over_time(0.5, rate(http_requests_total{job="cache"}[5m])[30m:5m])',
    'count_over_time(flaky_gauge[20m:1m])',
    'last_over_time(batch_last_success_timestamp_seconds[20m:1m])',
    'changes(up[30m:1m])',
    'resets(sum(http_requests_total)[30m:1m])',
    'stddev_over_time(rate(http_requests_total{job="db"}[1m])[10m:1m])',
  );

  // Nested combinations.
  add(
    'nested',
    'topk(3, sum by (instance) (rate(http_requests_total[5m])))',
    'sum by (job) (rate(http_requests_total[5m])) / on (job) group_left sum by (job) (rate(process_cpu_seconds_total[5m]))',
    'histogram_quantile(0.9, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5',
    'sort_desc(sum by (path) (increase(http_requests_total[10m])))',
    'label_replace(sum by (instance) (up), "host", "$1", "instance", "(.*):\\\\d+")',
    'count(count by (version) (build_info))',
    'scalar(sum(up)) / count(up)',
    'avg by (job) (predict_linear(temperature_celsius[15m], 900))',
    'sum by (path) (rate(http_requests_total{job="api"}[5m])) / ignoring (path) group_left sum(rate(http_requests_total{job="api"}[5m]))',
    'max by (job) (abs(deriv(temperature_celsius[10m])))',
    'vector(1) + on () group_left sum(up)',
    'clamp_min(rate(http_requests_total{job="api"}[5m]), 1) * on () group_left vector(2)',
    'time() - batch_last_success_timestamp_seconds > 60',
    'day_of_week(batch_last_success_timestamp_seconds) == bool 3',
    'round(sum by (job) (up) / count by (job) (up), 0.01)',
    'sum by (job) (queue_depth) unless on (job) sum by (job) (up) < 4',
    '-sum(temperature_celsius) % 7',
    'bottomk(1, avg_over_time(temperature_celsius[10m])) * on (job, instance, group) group_left (version) build_info',
    'sum(increase(http_request_duration_seconds_bucket{le="0.5"}[10m])) / sum(increase(http_request_duration_seconds_count[10m]))',
    'count by (group) (rate(http_requests_total[5m]) > 20) or vector(0)',
    'absent_over_time(rate(flaky_gauge[1m])[5m:1m])',
    'sum by (kind) (count_over_time(weird_values[10m]) * 2) and on (kind) count by (kind) (weird_values)',
  );

  // Made to land on Prometheus 3 changes, listed in KNOWN_DIFFERENCES: left-open windows (samples
  // sit 5 s past the 15 s grid; these offsets shift the evaluation time onto that phase; one of the
  // four lookback offsets meets the end of edge-1's hole) and `.` matching a newline.
  add(
    'boundary',
    'count_over_time(temperature_celsius[1m] offset 2s)',
    'sum_over_time(temperature_celsius[15s] offset 2s)',
    'count_over_time(temperature_celsius[5m:1m] offset 7s)',
    'annotation_info{note=~"line one.line two"}',
    ...['2s', '17s', '32s', '47s'].map((o) => `flaky_gauge{instance=~"edge-1|edge-3"} offset ${o}`),
  );
  return out;
}
