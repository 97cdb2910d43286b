import { seededRandom } from '@panoptes/common';

/**
 * A deterministic, realistic metrics data set for the ingest benchmark: the series a Prometheus
 * scraping a Kubernetes cluster sends (node exporter, cAdvisor, kube-state-metrics, instrumented
 * services), 8-12 labels each, scraped every 15 s, with values shaped like the real thing
 * (counters that only grow, at the precision their exporters use; gauges that wander; and the
 * many series that never change). Same options, same bytes: everything comes from one
 * `seededRandom` stream consumed in a fixed order.
 */

export const SCRAPE_INTERVAL_MS = 15_000;
const BLOCK_RANGE_MS = 2 * 3600 * 1000;

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'unknown';

/** A metric family as OpenMetrics declares it (`# TYPE <name> <type>`). */
export interface MetricFamily {
  name: string;
  type: FamilyType;
}

export interface GeneratedSeries {
  /** Label names, sorted by byte order (`__name__` first), as remote write requires. */
  names: string[];
  /** Label values, parallel to `names`. */
  values: string[];
  /** Index into `Dataset.families`. */
  family: number;
}

export interface Dataset {
  families: MetricFamily[];
  series: GeneratedSeries[];
  samplesPerSeries: number;
  /** Timestamp of sample k of series i at `[i * samplesPerSeries + k]`, ms since the epoch, increasing per series. */
  timestamps: Float64Array;
  /** Value of sample k of series i at `[i * samplesPerSeries + k]`; always finite. */
  values: Float64Array;
}

export interface DatasetOptions {
  /** Number of series (exact: the last target is cut short). */
  series: number;
  /** Samples per series, one per scrape. */
  samplesPerSeries: number;
  seed: number;
  /** Earliest scrape time, ms since the epoch (targets add an offset below one interval). */
  startMs: number;
}

/**
 * A start time so that every sample lies in the past of `nowMs` and, when the span fits, inside
 * one 2 h block range: both sides then cut one block from it, and block sizes compare like for
 * like. The span covers the per-target scrape offset (up to one interval).
 */
export function chooseStartMs(nowMs: number, samplesPerSeries: number): number {
  const span = (samplesPerSeries + 1) * SCRAPE_INTERVAL_MS;
  const end = Math.floor(nowMs / SCRAPE_INTERVAL_MS) * SCRAPE_INTERVAL_MS;
  const start = end - span;
  const boundary = Math.floor((end - 1) / BLOCK_RANGE_MS) * BLOCK_RANGE_MS;
  if (start >= boundary || span > BLOCK_RANGE_MS) return start;
  return boundary - span;
}

/** Number of series whose samples all have the same value. */
export function constantSeriesCount(ds: Dataset): number {
  const n = ds.samplesPerSeries;
  let count = 0;
  for (let i = 0; i < ds.series.length; i++) {
    const first = ds.values[i * n];
    let same = true;
    for (let k = 1; k < n && same; k++) same = ds.values[i * n + k] === first;
    if (same) count++;
  }
  return count;
}

export function generateDataset(options: DatasetOptions): Dataset {
  if (!Number.isInteger(options.series) || options.series < 1) throw new RangeError(`series must be a positive integer, got ${options.series}`);
  if (!Number.isInteger(options.samplesPerSeries) || options.samplesPerSeries < 1) {
    throw new RangeError(`samplesPerSeries must be a positive integer, got ${options.samplesPerSeries}`);
  }
  const b = new DatasetBuilder(options);
  for (let node = 0; !b.full; node++) addNode(b, node);
  return b.finish();
}

// ---- building ------------------------------------------------------------------------------------

type Rnd = () => number;
type Labels = Record<string, string>;

/** Scrape times of one target: a fixed offset within the interval plus a few ms of jitter. */
class TargetClock {
  readonly times: Float64Array;
  constructor(rnd: Rnd, startMs: number, n: number) {
    const offset = Math.floor(rnd() * SCRAPE_INTERVAL_MS);
    this.times = new Float64Array(n);
    for (let k = 0; k < n; k++) this.times[k] = startMs + offset + k * SCRAPE_INTERVAL_MS + Math.floor(rnd() * 5);
  }
}

/** Fills `out[0..n)` with a series' values; `times` are its scrape times. */
type ValueModel = (rnd: Rnd, out: Float64Array, times: Float64Array) => void;

class DatasetBuilder {
  readonly rnd: Rnd;
  readonly n: number;
  private readonly families: MetricFamily[] = [];
  private readonly familyIndex = new Map<string, number>();
  private readonly series: GeneratedSeries[] = [];
  private readonly timestamps: Float64Array;
  private readonly values: Float64Array;
  private readonly scratch: Float64Array;

  constructor(private readonly options: DatasetOptions) {
    this.rnd = seededRandom(options.seed);
    this.n = options.samplesPerSeries;
    this.timestamps = new Float64Array(options.series * this.n);
    this.values = new Float64Array(options.series * this.n);
    this.scratch = new Float64Array(this.n);
  }

  get full(): boolean {
    return this.series.length >= this.options.series;
  }

  clock(): TargetClock {
    return new TargetClock(this.rnd, this.options.startMs, this.n);
  }

  /** Adds one series (ignored once the data set is full). `name` is the sample name (`x_total`, `x_bucket`). */
  add(family: string, type: FamilyType, name: string, labels: Labels, clock: TargetClock, model: ValueModel): void {
    if (this.full) return;
    const all: Labels = { __name__: name, ...labels };
    const names = Object.keys(all).sort(byteOrder);
    const i = this.series.length;
    this.series.push({ names, values: names.map((l) => all[l]), family: this.family(family, type) });
    model(this.rnd, this.scratch, clock.times);
    this.values.set(this.scratch, i * this.n);
    this.timestamps.set(clock.times, i * this.n);
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
    } else if (this.families[f].type !== type) {
      throw new Error(`metric family ${name} declared as ${this.families[f].type} and ${type}`);
    }
    return f;
  }
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- value models ---------------------------------------------------------------------------------

function constant(v: number): ValueModel {
  return (_rnd, out) => out.fill(v);
}

/** An integer counter (bytes, packets, requests) growing by about `perScrape` per scrape. */
function counterInt(start: number, perScrape: number): ValueModel {
  return (rnd, out) => {
    let v = Math.round(start);
    for (let k = 0; k < out.length; k++) {
      if (k > 0) v += Math.round(perScrape * (0.5 + rnd()));
      out[k] = v;
    }
  };
}

/** A seconds counter at 1/scale precision (node exporter's CPU seconds: scale 100, USER_HZ). */
function counterFixed(start: number, perScrape: number, scale: number): ValueModel {
  return (rnd, out) => {
    let units = Math.round(start * scale);
    for (let k = 0; k < out.length; k++) {
      if (k > 0) units += Math.round(perScrape * scale * (0.7 + 0.6 * rnd()));
      out[k] = units / scale;
    }
  };
}

/** A counter at full double precision (cAdvisor CPU seconds from nanoseconds, latency sums). */
function counterFloat(start: number, perScrape: number): ValueModel {
  return (rnd, out) => {
    let v = start;
    for (let k = 0; k < out.length; k++) {
      if (k > 0) v += perScrape * (0.5 + rnd());
      out[k] = v;
    }
  };
}

/** An integer gauge wandering by up to `step` units of `unit` per scrape (memory pages, bytes). */
function gaugeWalk(start: number, step: number, unit: number): ValueModel {
  return (rnd, out) => {
    let v = Math.round(start / unit);
    for (let k = 0; k < out.length; k++) {
      if (k > 0) v = Math.max(0, v + Math.round((rnd() - 0.5) * 2 * step));
      out[k] = v * unit;
    }
  };
}

/** A gauge noisy around `base`, rounded to `decimals` places (load averages), or full precision when undefined. */
function gaugeNoise(base: number, spread: number, decimals?: number): ValueModel {
  const f = decimals === undefined ? 0 : 10 ** decimals;
  return (rnd, out) => {
    for (let k = 0; k < out.length; k++) {
      const v = Math.max(0, base + (rnd() - 0.5) * spread);
      out[k] = f ? Math.round(v * f) / f : v;
    }
  };
}

/** The scrape time itself, in seconds: whole (cAdvisor's container_last_seen) or with sub-second noise (node_time_seconds). */
function scrapeTimeSeconds(whole: boolean): ValueModel {
  return (rnd, out, times) => {
    for (let k = 0; k < out.length; k++) out[k] = whole ? Math.floor(times[k] / 1000) : times[k] / 1000 + rnd() * 1e-3;
  };
}

/** A counter that grows by floor(increments[k] * fraction) (histogram buckets: monotone in `le`). */
function counterOf(start: number, increments: Float64Array, fraction: number): ValueModel {
  return (_rnd, out) => {
    let v = Math.round(start * fraction);
    for (let k = 0; k < out.length; k++) {
      if (k > 0) v += Math.floor(increments[k] * fraction);
      out[k] = v;
    }
  };
}

// ---- topology -------------------------------------------------------------------------------------

const CLUSTERS = ['prod-eu-west-1', 'prod-us-east-1', 'prod-ap-south-1', 'staging-eu-west-1'];
const NODES_PER_CLUSTER = 40;
const APPS = ['api-gateway', 'checkout', 'payments', 'cart', 'search', 'catalog', 'auth', 'notifications', 'orders', 'inventory', 'recommendation', 'shipping'];
const TEAMS = ['storefront', 'payments', 'platform', 'growth'];
const HASH_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const CPU_MODES: Array<[mode: string, share: number]> = [
  ['idle', 0.7], ['iowait', 0.01], ['irq', 0], ['nice', 0], ['softirq', 0.005], ['steal', 0], ['system', 0.06], ['user', 0.2],
];
const MOUNTS: Array<[device: string, fstype: string, mountpoint: string]> = [
  ['/dev/nvme0n1p1', 'ext4', '/'],
  ['/dev/nvme1n1', 'xfs', '/var/lib/kubelet'],
  ['tmpfs', 'tmpfs', '/run'],
];
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const GIB = 1024 ** 3;

function pick<T>(rnd: Rnd, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

/** Kubernetes' random name suffix alphabet (no vowels, no look-alikes). */
function hashSuffix(rnd: Rnd, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += HASH_CHARS[Math.floor(rnd() * HASH_CHARS.length)];
  return s;
}

function hex(rnd: Rnd, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += Math.floor(rnd() * 16).toString(16);
  return s;
}

/** One node: its node exporter, then its pods (cAdvisor, kube-state-metrics and, for half of them, the service's own metrics). */
function addNode(b: DatasetBuilder, node: number): void {
  const rnd = b.rnd;
  const c = Math.floor(node / NODES_PER_CLUSTER) % CLUSTERS.length;
  const cluster = CLUSTERS[c];
  const region = cluster.slice(cluster.indexOf('-') + 1);
  const ip = `10.${c}.${(node >> 8) & 255}.${node & 255}`;
  const nodeName = `ip-${ip.replace(/\./g, '-')}.${region}.compute.internal`;
  addNodeExporter(b, cluster, ip, nodeName);
  const pods = 10 + Math.floor(rnd() * 10);
  for (let p = 0; p < pods && !b.full; p++) addPod(b, cluster, ip, nodeName, node * 64 + p);
}

function addScrapeSeries(b: DatasetBuilder, target: Labels, clock: TargetClock, samples: number): void {
  const rnd = b.rnd;
  b.add('up', 'gauge', 'up', target, clock, constant(1));
  b.add('scrape_duration_seconds', 'gauge', 'scrape_duration_seconds', target, clock, gaugeNoise(0.01 + rnd() * 0.05, 0.01));
  b.add('scrape_samples_scraped', 'gauge', 'scrape_samples_scraped', target, clock, constant(samples));
  b.add('scrape_series_added', 'gauge', 'scrape_series_added', target, clock, constant(0));
}

function addNodeExporter(b: DatasetBuilder, cluster: string, ip: string, nodeName: string): void {
  const rnd = b.rnd;
  const target: Labels = {
    cluster,
    instance: `${ip}:9100`,
    job: 'node-exporter',
    namespace: 'monitoring',
    node: nodeName,
    pod: `node-exporter-${hashSuffix(rnd, 5)}`,
    service: 'node-exporter',
  };
  const clock = b.clock();
  const uptime = 86_400 * (1 + rnd() * 60);
  const cpus = pick(rnd, [4, 8, 16]);
  const memTotal = cpus * 4 * GIB;
  for (let cpu = 0; cpu < cpus; cpu++) {
    for (const [mode, share] of CPU_MODES) {
      const s = share * (0.5 + rnd());
      b.add('node_cpu_seconds', 'counter', 'node_cpu_seconds_total', { ...target, cpu: String(cpu), mode }, clock, counterFixed(uptime * s, 15 * s, 100));
    }
  }
  b.add('node_memory_MemTotal_bytes', 'gauge', 'node_memory_MemTotal_bytes', target, clock, constant(memTotal));
  for (const [name, share] of [['MemAvailable', 0.55], ['MemFree', 0.2], ['Cached', 0.3], ['Buffers', 0.02], ['Active', 0.4]] as const) {
    b.add(`node_memory_${name}_bytes`, 'gauge', `node_memory_${name}_bytes`, target, clock, gaugeWalk(memTotal * share, 200, 4096));
  }
  for (const [name, base] of [['node_load1', cpus * 0.3], ['node_load5', cpus * 0.3], ['node_load15', cpus * 0.3]] as const) {
    b.add(name, 'gauge', name, target, clock, gaugeNoise(base, name === 'node_load1' ? base : base / 4, 2));
  }
  for (const [device, fstype, mountpoint] of MOUNTS) {
    const fs = { ...target, device, fstype, mountpoint };
    const size = device === 'tmpfs' ? memTotal / 10 : (device.includes('nvme0') ? 100 : 500) * GIB;
    const files = Math.round(size / 16384);
    b.add('node_filesystem_size_bytes', 'gauge', 'node_filesystem_size_bytes', fs, clock, constant(size));
    b.add('node_filesystem_avail_bytes', 'gauge', 'node_filesystem_avail_bytes', fs, clock, gaugeWalk(size * (0.3 + rnd() * 0.5), 50, 4096));
    b.add('node_filesystem_free_bytes', 'gauge', 'node_filesystem_free_bytes', fs, clock, gaugeWalk(size * (0.35 + rnd() * 0.5), 50, 4096));
    b.add('node_filesystem_files', 'gauge', 'node_filesystem_files', fs, clock, constant(files));
    b.add('node_filesystem_files_free', 'gauge', 'node_filesystem_files_free', fs, clock, gaugeWalk(files * 0.9, 2, 1));
  }
  for (const device of ['eth0', 'lo']) {
    const net = { ...target, device };
    const bps = device === 'eth0' ? 2e6 * rnd() : 1e5 * rnd();
    b.add('node_network_receive_bytes', 'counter', 'node_network_receive_bytes_total', net, clock, counterInt(uptime * bps, 15 * bps));
    b.add('node_network_transmit_bytes', 'counter', 'node_network_transmit_bytes_total', net, clock, counterInt(uptime * bps * 0.8, 15 * bps * 0.8));
    b.add('node_network_receive_packets', 'counter', 'node_network_receive_packets_total', net, clock, counterInt((uptime * bps) / 900, (15 * bps) / 900));
    b.add('node_network_transmit_packets', 'counter', 'node_network_transmit_packets_total', net, clock, counterInt((uptime * bps) / 1100, (15 * bps) / 1100));
    b.add('node_network_receive_errs', 'counter', 'node_network_receive_errs_total', net, clock, constant(0));
  }
  for (const device of ['nvme0n1', 'nvme1n1']) {
    const disk = { ...target, device };
    const bps = 1e6 * rnd();
    b.add('node_disk_read_bytes', 'counter', 'node_disk_read_bytes_total', disk, clock, counterInt(uptime * bps * 0.3, 15 * bps * 0.3));
    b.add('node_disk_written_bytes', 'counter', 'node_disk_written_bytes_total', disk, clock, counterInt(uptime * bps, 15 * bps));
    b.add('node_disk_reads_completed', 'counter', 'node_disk_reads_completed_total', disk, clock, counterInt((uptime * bps) / 40_000, (15 * bps) / 40_000));
    b.add('node_disk_writes_completed', 'counter', 'node_disk_writes_completed_total', disk, clock, counterInt((uptime * bps) / 20_000, (15 * bps) / 20_000));
    b.add('node_disk_io_time_seconds', 'counter', 'node_disk_io_time_seconds_total', disk, clock, counterFixed(uptime * 0.02, 0.3, 1000));
  }
  b.add('node_context_switches', 'counter', 'node_context_switches_total', target, clock, counterInt(uptime * 3000 * cpus, 45_000 * cpus));
  b.add('node_intr', 'counter', 'node_intr_total', target, clock, counterInt(uptime * 1500 * cpus, 22_500 * cpus));
  b.add('node_boot_time_seconds', 'gauge', 'node_boot_time_seconds', target, clock, constant(Math.floor(1_690_000_000 + rnd() * 1e7)));
  b.add('node_time_seconds', 'gauge', 'node_time_seconds', target, clock, scrapeTimeSeconds(false));
  addScrapeSeries(b, target, clock, cpus * 8 + 60);
}

function addPod(b: DatasetBuilder, cluster: string, ip: string, nodeName: string, podNumber: number): void {
  const rnd = b.rnd;
  const app = APPS[podNumber % APPS.length];
  const namespace = TEAMS[podNumber % TEAMS.length];
  const pod = `${app}-${hashSuffix(rnd, 10)}-${hashSuffix(rnd, 5)}`;
  const version = `${1 + Math.floor(rnd() * 3)}.${Math.floor(rnd() * 20)}.${Math.floor(rnd() * 10)}`;
  const containers = rnd() < 0.3 ? [app, 'istio-proxy'] : [app];
  const uid = [8, 4, 4, 4, 12].map((n) => hex(rnd, n)).join('-');

  // cAdvisor via the kubelet.
  const kubelet = b.clock();
  for (const container of containers) {
    const image = container === 'istio-proxy' ? 'docker.io/istio/proxyv2:1.20.3' : `registry.example.com/${namespace}/${app}:${version}`;
    const t: Labels = { cluster, container, image, instance: `${ip}:10250`, job: 'kubelet', metrics_path: '/metrics/cadvisor', namespace, node: nodeName, pod };
    const cpu = 0.05 + rnd() * 0.5;
    const mem = (64 + rnd() * 900) * 1024 * 1024;
    const up = 3600 * (1 + rnd() * 200);
    b.add('container_cpu_usage_seconds', 'counter', 'container_cpu_usage_seconds_total', { ...t, cpu: 'total' }, kubelet, counterFloat(up * cpu, 15 * cpu));
    b.add('container_memory_working_set_bytes', 'gauge', 'container_memory_working_set_bytes', t, kubelet, gaugeWalk(mem, 100, 4096));
    b.add('container_memory_rss', 'gauge', 'container_memory_rss', t, kubelet, gaugeWalk(mem * 0.8, 60, 4096));
    b.add('container_spec_memory_limit_bytes', 'gauge', 'container_spec_memory_limit_bytes', t, kubelet, constant(Math.ceil(mem / GIB) * GIB));
    b.add('container_network_receive_bytes', 'counter', 'container_network_receive_bytes_total', { ...t, interface: 'eth0' }, kubelet, counterInt(up * 5e4, 75e4 * rnd()));
    b.add('container_network_transmit_bytes', 'counter', 'container_network_transmit_bytes_total', { ...t, interface: 'eth0' }, kubelet, counterInt(up * 4e4, 60e4 * rnd()));
    b.add('container_fs_writes_bytes', 'counter', 'container_fs_writes_bytes_total', { ...t, device: '/dev/nvme1n1' }, kubelet, counterInt(up * 1e3, rnd() < 0.5 ? 0 : 15e3 * rnd()));
    b.add('container_last_seen', 'gauge', 'container_last_seen', t, kubelet, scrapeTimeSeconds(true));
  }

  // kube-state-metrics (honor_labels: namespace and pod are the subject's).
  const ksm = b.clock();
  const k: Labels = { cluster, instance: '10.96.0.10:8080', job: 'kube-state-metrics', namespace, pod, service: 'kube-state-metrics', uid };
  for (const phase of ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown']) {
    b.add('kube_pod_status_phase', 'gauge', 'kube_pod_status_phase', { ...k, phase }, ksm, constant(phase === 'Running' ? 1 : 0));
  }
  b.add('kube_pod_start_time', 'gauge', 'kube_pod_start_time', k, ksm, constant(Math.floor(1_699_000_000 + rnd() * 1e6)));
  for (const container of containers) {
    const kc = { ...k, container };
    b.add('kube_pod_container_status_restarts', 'counter', 'kube_pod_container_status_restarts_total', kc, ksm, constant(rnd() < 0.8 ? 0 : Math.floor(rnd() * 5)));
    b.add('kube_pod_container_status_ready', 'gauge', 'kube_pod_container_status_ready', kc, ksm, constant(1));
    b.add('kube_pod_container_resource_requests', 'gauge', 'kube_pod_container_resource_requests', { ...kc, resource: 'cpu', unit: 'core' }, ksm, constant(pick(rnd, [0.1, 0.25, 0.5, 1])));
    b.add('kube_pod_container_resource_requests', 'gauge', 'kube_pod_container_resource_requests', { ...kc, resource: 'memory', unit: 'byte' }, ksm, constant(pick(rnd, [128, 256, 512, 1024]) * 1024 * 1024));
  }

  if (podNumber % 2 === 0) addServiceMetrics(b, cluster, app, namespace, pod, rnd() < 0.5 ? 8080 : 9090);
}

/** An instrumented HTTP service: request counters, a latency histogram, process and Go runtime metrics. */
function addServiceMetrics(b: DatasetBuilder, cluster: string, app: string, namespace: string, pod: string, port: number): void {
  const rnd = b.rnd;
  const podIp = `10.${100 + Math.floor(rnd() * 100)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`;
  const t: Labels = { cluster, container: app, endpoint: 'http-metrics', instance: `${podIp}:${port}`, job: `${namespace}/${app}`, namespace, pod, service: app };
  const clock = b.clock();
  const handlers = ['/api/v1/items', '/api/v1/items/:id', '/healthz'];
  for (const handler of handlers) {
    for (const method of handler === '/healthz' ? ['GET'] : ['GET', 'POST']) {
      const rps = handler === '/healthz' ? 0.1 : 50 * rnd();
      const base = Math.floor(rps * 86_400 * (1 + rnd() * 10));
      for (const [code, share] of [['200', 0.97], ['404', 0.025], ['500', 0.005]] as const) {
        const model = rps * share * 15 < 0.2 ? constant(Math.floor(base * share)) : counterInt(base * share, 15 * rps * share);
        b.add('http_requests', 'counter', 'http_requests_total', { ...t, code, handler, method }, clock, model);
      }
      // One latency histogram per (handler, method): bucket k grows by floor(requests * cdf(le)).
      const increments = new Float64Array(b.n);
      for (let s = 1; s < b.n; s++) increments[s] = Math.round(15 * rps * (0.5 + rnd()));
      const median = 0.02 + rnd() * 0.2;
      const hl = { ...t, handler, method };
      BUCKETS.forEach((le, j) => {
        const cdf = le === '+Inf' ? 1 : Math.min(1, 1 - Math.exp((-Number(le) / median) * Math.LN2) + j * 1e-4);
        b.add('http_request_duration_seconds', 'histogram', 'http_request_duration_seconds_bucket', { ...hl, le }, clock, counterOf(base, increments, cdf));
      });
      b.add('http_request_duration_seconds', 'histogram', 'http_request_duration_seconds_count', hl, clock, counterOf(base, increments, 1));
      b.add('http_request_duration_seconds', 'histogram', 'http_request_duration_seconds_sum', hl, clock, counterFloat(base * median, 15 * rps * median));
    }
  }
  b.add('process_cpu_seconds', 'counter', 'process_cpu_seconds_total', t, clock, counterFixed(86_400 * rnd(), 1.5 * rnd(), 100));
  b.add('process_resident_memory_bytes', 'gauge', 'process_resident_memory_bytes', t, clock, gaugeWalk((50 + rnd() * 400) * 1024 * 1024, 50, 4096));
  b.add('process_open_fds', 'gauge', 'process_open_fds', t, clock, gaugeWalk(20 + rnd() * 100, 1, 1));
  b.add('process_start_time_seconds', 'gauge', 'process_start_time_seconds', t, clock, constant(Math.floor(1_699_500_000 + rnd() * 4e5)));
  b.add('go_goroutines', 'gauge', 'go_goroutines', t, clock, gaugeWalk(30 + rnd() * 200, 3, 1));
  b.add('go_memstats_heap_alloc_bytes', 'gauge', 'go_memstats_heap_alloc_bytes', t, clock, gaugeWalk((20 + rnd() * 200) * 1024 * 1024, 2000, 8));
  b.add('go_threads', 'gauge', 'go_threads', t, clock, constant(8 + Math.floor(rnd() * 16)));
  addScrapeSeries(b, t, clock, 150);
}
