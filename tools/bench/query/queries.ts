/**
 * The dashboard the benchmark replays: range queries a Grafana overview of the cluster in
 * dataset.ts sends, each over the whole data range at a 60 s step. `name` is the table's row
 * label (short, unique); `expr` is sent as is to both servers.
 */
export interface BenchQuery {
  name: string;
  expr: string;
  /**
   * The same query in Prometheus 2's semantics, sent instead of `expr` to a Prometheus older than
   * 3.0: its range selectors and subqueries include the sample at the window's start (Prometheus 3
   * and Panoptes exclude it), and a subquery's points always fall on that start.
   */
  prometheus2Expr?: string;
}

export const DASHBOARD_QUERIES: readonly BenchQuery[] = [
  { name: 'sum-rate', expr: 'sum(rate(http_requests_total[5m]))' },
  { name: 'sum-by-job-rate', expr: 'sum by (job) (rate(http_requests_total[5m]))' },
  { name: 'error-ratio', expr: 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))' },
  { name: 'p99-latency', expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))' },
  { name: 'p90-by-handler', expr: 'histogram_quantile(0.9, sum by (handler, le) (rate(http_request_duration_seconds_bucket[5m])))' },
  { name: 'avg-latency', expr: 'sum by (job) (rate(http_request_duration_seconds_sum[5m])) / sum by (job) (rate(http_request_duration_seconds_count[5m]))' },
  { name: 'topk-pod-cpu', expr: 'topk(10, sum by (namespace, pod) (rate(container_cpu_usage_seconds_total[5m])))' },
  { name: 'node-cpu-busy', expr: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))' },
  {
    name: 'subquery-max',
    expr: 'max by (job) (max_over_time(rate(http_requests_total[5m])[30m:1m]))',
    prometheus2Expr: 'max by (job) (max_over_time(rate(http_requests_total[5m])[29m59s999ms:1m]))',
  },
  { name: 'avg-mem-by-ns', expr: 'avg by (namespace) (container_memory_working_set_bytes)' },
  { name: 'count-by-node', expr: 'count by (node) (kube_pod_info)' },
  { name: 'group-left-join', expr: 'sum by (created_by_kind) (container_memory_working_set_bytes * on (namespace, pod) group_left (created_by_kind) kube_pod_info)' },
];
