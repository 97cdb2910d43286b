import { seededRandom } from '@panoptes/common';
import type { Dataset, FamilyType, MetricFamily } from '../series-model';

/**
 * The query benchmark's data: what a dashboard over a small Kubernetes cluster reads. Exactly
 * `series` series, one sample every 15 s for `samplesPerSeries` scrapes, deterministic from the
 * seed. Families, in this order (the last one is cut or padded to hit the series count):
 *
 * - `http_request_duration_seconds` classic histogram: job × instance × handler, 11 `le` buckets
 *   (10 finite + `+Inf`) plus `_sum` and `_count` (13 series per combination); buckets are
 *   cumulative in `le` and `_count` equals the `+Inf` bucket at every scrape;
 * - `http_requests_total` counter: job × instance × handler × code;
 * - `node_cpu_seconds_total` counter: node × cpu × mode;
 * - `node_memory_MemAvailable_bytes`, `node_memory_MemTotal_bytes` gauges per node;
 * - `container_cpu_usage_seconds_total` counter and `container_memory_working_set_bytes` gauge:
 *   namespace × pod × container, with the pod's node;
 * - `kube_pod_info` (constant 1) per pod, with `node` and `created_by_kind`: the right-hand side
 *   of `group_left` joins;
 * - `up` and `process_resident_memory_bytes` per scrape target, then
 *   `node_filesystem_avail_bytes` per node × mountpoint to fill up to `series`.
 *
 * Every series carries `cluster`; the values never reset, so `rate` is the same on both sides
 * whatever the extrapolation details, and every counter grows by a positive amount per scrape.
 */
export interface QueryDatasetOptions {
  /** Number of series, exactly. */
  series: number;
  /** Scrapes per series, 15 s apart. */
  samplesPerSeries: number;
  seed: number;
  /** Scrape window start, ms since the epoch: sample k of a target is at startMs + offset + k·15 s, offset < 15 s. */
  startMs: number;
}

export const SCRAPE_INTERVAL_MS = 15_000;

export const JOBS = ['api', 'web', 'auth', 'billing', 'search'] as const;
export const HANDLERS = ['/', '/login', '/search', '/checkout', '/api/items'] as const;
export const CODES = ['200', '404', '500', '503'] as const;
export const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'] as const;
export const CPU_MODES = ['user', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'nice'] as const;
export const NAMESPACES = ['default', 'kube-system', 'monitoring', 'payments', 'search', 'frontend', 'backend', 'data', 'batch', 'ingress'] as const;
export const MOUNTPOINTS = ['/', '/var', '/home', '/data', '/boot', '/tmp'] as const;

export interface QueryDatasetShape {
  instancesPerJob: number;
  nodes: number;
  cpusPerNode: number;
  podsPerNamespace: number;
  containersPerPod: number;
}

/**
 * The cluster's size for `series` series: 10 000 series are 8 instances per job, 40 nodes and
 * 100 pods per namespace (9840 series before the filler); fewer or more scale each count
 * (rounded down, at least 1), so every family is present from about 1100 series on.
 */
export function shapeFor(series: number): QueryDatasetShape {
  const f = series / 10_000;
  const scaled = (n: number): number => Math.max(1, Math.floor(n * f));
  return { instancesPerJob: scaled(8), nodes: scaled(40), cpusPerNode: 4, podsPerNamespace: scaled(100), containersPerPod: 2 };
}

type Rnd = () => number;
type Labels = Record<string, string>;

const CLUSTER = 'prod-eu-1';

class Builder {
  private readonly families: MetricFamily[] = [];
  private readonly familyIndex = new Map<string, number>();
  readonly series: Dataset['series'] = [];
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly rnd: Rnd;
  readonly n: number;

  constructor(private readonly options: QueryDatasetOptions) {
    this.rnd = seededRandom(options.seed);
    this.n = options.samplesPerSeries;
    this.timestamps = new Float64Array(options.series * this.n);
    this.values = new Float64Array(options.series * this.n);
  }

  get full(): boolean {
    return this.series.length >= this.options.series;
  }

  /** Scrape times of one target: a fixed offset inside the interval, no jitter. */
  clock(): Float64Array {
    const offset = Math.floor(this.rnd() * SCRAPE_INTERVAL_MS);
    const t = new Float64Array(this.n);
    for (let k = 0; k < this.n; k++) t[k] = this.options.startMs + offset + k * SCRAPE_INTERVAL_MS;
    return t;
  }

  /** Adds one series (ignored once full); `values` has one value per scrape. */
  add(family: string, type: FamilyType, name: string, labels: Labels, times: Float64Array, values: Float64Array): void {
    if (this.full) return;
    const all: Labels = { __name__: name, cluster: CLUSTER, ...labels };
    const names = Object.keys(all).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const i = this.series.length;
    this.series.push({ names, values: names.map((l) => all[l]), family: this.family(family, type) });
    this.timestamps.set(times, i * this.n);
    this.values.set(values, i * this.n);
  }

  finish(): Dataset {
    return { families: this.families, series: this.series, samplesPerSeries: this.n, timestamps: this.timestamps, values: this.values };
  }

  private family(name: string, type: FamilyType): number {
    let f = this.familyIndex.get(name);
    if (f === undefined) {
      f = this.families.length;
      this.families.push({ name, type });
      this.familyIndex.set(name, f);
    }
    return f;
  }
}

/** A counter starting at `start`, growing by `perScrape` × (0.5…1.5) at every scrape after the first. */
function counter(rnd: Rnd, n: number, start: number, perScrape: number, integer: boolean): Float64Array {
  const out = new Float64Array(n);
  let v = start;
  for (let k = 0; k < n; k++) {
    if (k > 0) v += integer ? Math.round(perScrape * (0.5 + rnd())) : perScrape * (0.5 + rnd());
    out[k] = v;
  }
  return out;
}

/** A gauge wandering around `mid` by up to ±`spread`, integer-valued when `integer`. */
function gauge(rnd: Rnd, n: number, mid: number, spread: number, integer: boolean): Float64Array {
  const out = new Float64Array(n);
  let v = mid + (rnd() - 0.5) * spread;
  for (let k = 0; k < n; k++) {
    v += (rnd() - 0.5) * spread * 0.1;
    v = Math.min(mid + spread, Math.max(mid - spread, v));
    out[k] = integer ? Math.round(v) : v;
  }
  return out;
}

function constant(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v);
}

/** Upper bounds of BUCKETS as numbers (`+Inf` = Infinity). */
const BUCKET_BOUNDS = BUCKETS.map(Number);

/**
 * One classic histogram (job, instance, handler): requests per scrape drawn around `rps`·15, each
 * scrape's requests spread over the buckets by a latency profile with median `median` seconds.
 */
function addHistogram(b: Builder, labels: Labels, times: Float64Array, rps: number, median: number): void {
  const n = b.n;
  const cumulative = BUCKETS.map(() => new Float64Array(n));
  const sum = new Float64Array(n);
  // Share of requests at or below each bound: a log-logistic curve around the median.
  const share = BUCKET_BOUNDS.map((le) => (le === Infinity ? 1 : 1 / (1 + (median / le) ** 2.5)));
  const totals = new Float64Array(BUCKETS.length);
  let s = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0) {
      const requests = Math.round(rps * 15 * (0.5 + b.rnd()));
      let below = 0;
      for (let j = 0; j < BUCKETS.length; j++) {
        // Cumulative counts per bucket: never fewer than the bucket below (monotonic in le).
        const c = Math.max(below, Math.round(requests * share[j]));
        totals[j] += j === BUCKETS.length - 1 ? requests : c;
        below = c;
      }
      s += requests * median * (0.8 + 0.4 * b.rnd());
    }
    for (let j = 0; j < BUCKETS.length; j++) cumulative[j][k] = totals[j];
    sum[k] = s;
  }
  BUCKETS.forEach((le, j) => b.add('http_request_duration_seconds', 'histogram', 'http_request_duration_seconds_bucket', { ...labels, le }, times, cumulative[j]));
  b.add('http_request_duration_seconds', 'histogram', 'http_request_duration_seconds_sum', labels, times, sum);
  const count = new Float64Array(n);
  count.set(cumulative[BUCKETS.length - 1]);
  b.add('http_request_duration_seconds', 'histogram', 'http_request_duration_seconds_count', labels, times, count);
}

export function generateQueryDataset(options: QueryDatasetOptions, shape: QueryDatasetShape = shapeFor(options.series)): Dataset {
  if (!Number.isInteger(options.series) || options.series < 1) throw new RangeError(`series must be a positive integer, got ${options.series}`);
  if (!Number.isInteger(options.samplesPerSeries) || options.samplesPerSeries < 1) {
    throw new RangeError(`samplesPerSeries must be a positive integer, got ${options.samplesPerSeries}`);
  }
  const b = new Builder(options);
  const n = b.n;
  const rnd = b.rnd;

  // Instrumented services: one scrape target per (job, instance).
  const targets: Array<{ job: string; instance: string; times: Float64Array }> = [];
  for (const job of JOBS) {
    for (let i = 0; i < shape.instancesPerJob; i++) targets.push({ job, instance: `10.1.${JOBS.indexOf(job)}.${i + 10}:8080`, times: b.clock() });
  }
  for (const t of targets) {
    for (const handler of HANDLERS) {
      const rps = 1 + rnd() * 50;
      addHistogram(b, { job: t.job, instance: t.instance, handler }, t.times, rps, 0.02 + rnd() * 0.3);
    }
  }
  for (const t of targets) {
    for (const handler of HANDLERS) {
      for (const code of CODES) {
        const perScrape = code === '200' ? 15 * (1 + rnd() * 50) : 15 * rnd() * (code === '404' ? 2 : 0.3);
        b.add('http_requests_total', 'counter', 'http_requests_total', { job: t.job, instance: t.instance, handler, code }, t.times, counter(rnd, n, Math.floor(rnd() * 1e6), perScrape, true));
      }
    }
  }

  // Nodes: node exporter targets.
  const nodes = Array.from({ length: shape.nodes }, (_, i) => ({ node: `node-${String(i).padStart(3, '0')}`, instance: `10.0.0.${i + 10}:9100`, times: b.clock() }));
  for (const nd of nodes) {
    for (let cpu = 0; cpu < shape.cpusPerNode; cpu++) {
      for (const mode of CPU_MODES) {
        const busy = mode === 'idle' ? 0.3 + rnd() * 0.6 : mode === 'user' || mode === 'system' ? rnd() * 0.3 : rnd() * 0.02;
        const times = nd.times;
        // USER_HZ precision, as node exporter reports it.
        const v = counter(rnd, n, rnd() * 1e6, 15 * busy, false).map((x) => Math.round(x * 100) / 100);
        b.add('node_cpu_seconds_total', 'counter', 'node_cpu_seconds_total', { job: 'node-exporter', instance: nd.instance, node: nd.node, cpu: String(cpu), mode }, times, v);
      }
    }
  }
  for (const nd of nodes) {
    const totalBytes = 64 * 2 ** 30;
    b.add('node_memory_MemAvailable_bytes', 'gauge', 'node_memory_MemAvailable_bytes', { job: 'node-exporter', instance: nd.instance, node: nd.node }, nd.times, gauge(rnd, n, totalBytes * (0.2 + rnd() * 0.6), totalBytes * 0.1, true));
    b.add('node_memory_MemTotal_bytes', 'gauge', 'node_memory_MemTotal_bytes', { job: 'node-exporter', instance: nd.instance, node: nd.node }, nd.times, constant(n, totalBytes));
  }

  // Pods, from cAdvisor (one target per node) and kube-state-metrics (one target).
  const ksm = b.clock();
  const pods: Array<{ namespace: string; pod: string; node: (typeof nodes)[number]; kind: string }> = [];
  for (const namespace of NAMESPACES) {
    for (let p = 0; p < shape.podsPerNamespace; p++) {
      const kind = p % 10 === 0 ? 'StatefulSet' : p % 7 === 0 ? 'DaemonSet' : 'ReplicaSet';
      pods.push({ namespace, pod: `${namespace}-${kind.toLowerCase()}-${p.toString(36).padStart(3, '0')}`, node: nodes[Math.floor(rnd() * nodes.length)], kind });
    }
  }
  for (const p of pods) {
    for (let c = 0; c < shape.containersPerPod; c++) {
      const labels = { job: 'cadvisor', namespace: p.namespace, pod: p.pod, container: c === 0 ? 'app' : 'sidecar', node: p.node.node };
      b.add('container_cpu_usage_seconds_total', 'counter', 'container_cpu_usage_seconds_total', labels, p.node.times, counter(rnd, n, rnd() * 1e5, 15 * rnd() * (c === 0 ? 2 : 0.1), false));
    }
  }
  for (const p of pods) {
    for (let c = 0; c < shape.containersPerPod; c++) {
      const labels = { job: 'cadvisor', namespace: p.namespace, pod: p.pod, container: c === 0 ? 'app' : 'sidecar', node: p.node.node };
      const mid = (c === 0 ? 512 : 32) * 2 ** 20 * (0.5 + rnd());
      b.add('container_memory_working_set_bytes', 'gauge', 'container_memory_working_set_bytes', labels, p.node.times, gauge(rnd, n, mid, mid * 0.3, true));
    }
  }
  for (const p of pods) {
    b.add('kube_pod_info', 'gauge', 'kube_pod_info', { job: 'kube-state-metrics', namespace: p.namespace, pod: p.pod, node: p.node.node, created_by_kind: p.kind }, ksm, constant(n, 1));
  }

  for (const t of targets) b.add('up', 'gauge', 'up', { job: t.job, instance: t.instance }, t.times, constant(n, 1));
  for (const t of targets) {
    b.add('process_resident_memory_bytes', 'gauge', 'process_resident_memory_bytes', { job: t.job, instance: t.instance }, t.times, gauge(rnd, n, 300 * 2 ** 20, 100 * 2 ** 20, true));
  }
  // Filler up to the series count: filesystems of every node, then of extra mount points.
  for (let round = 0; !b.full; round++) {
    for (const nd of nodes) {
      for (const mp of MOUNTPOINTS) {
        const mountpoint = round === 0 ? mp : `${mp === '/' ? '' : mp}/vol${round}`;
        b.add('node_filesystem_avail_bytes', 'gauge', 'node_filesystem_avail_bytes', { job: 'node-exporter', instance: nd.instance, node: nd.node, mountpoint }, nd.times, gauge(rnd, n, 100 * 2 ** 30, 20 * 2 ** 30, true));
      }
    }
  }
  return b.finish();
}
