import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
// The benchmark's generators, reused (issue 7): the same realistic series and the same remote write
// bodies a Prometheus queue manager sends.
import { type BodyPlan, cpuSecondsOf, type LoadBodiesOptions, memoryOf, post, readLoadBodies, REMOTE_WRITE_V1_HEADERS, SCRAPE_INTERVAL_MS } from '@panoptes/bench';
import { ROOT } from '../process';
import { TOPOLOGY_NODES, type Topology, type TopologyNode } from './topology';

/** What the bounded load run does; `loadOptionsFromEnv()` reads it from PANOPTES_E2E_LOAD_*. */
export interface LoadOptions {
  /** Active series written every interval. */
  series: number;
  /** Scrape interval: each series gets one sample per interval, in milliseconds. */
  intervalMs: number;
  /** How long the writers run, in milliseconds (rounded up to whole intervals). */
  durationMs: number;
  /** Remote write connections sending in parallel (Prometheus's shards). */
  writers: number;
  /** Most samples in one remote write request (Prometheus's `max_samples_per_send`). */
  maxSamplesPerRequest: number;
  /** Pause between two dashboard queries, in milliseconds (one query in flight at a time). */
  queryPauseMs: number;
  /** The run fails early once the machine's MemAvailable drops below this, in bytes. */
  minAvailableBytes: number;
  tenant: string;
  seed: number;
}

export function defaultLoadOptions(): LoadOptions {
  return {
    // Measured on the 2-core, 23 GB development machine (e2e/README.md "Load run"): the largest N
    // the ten processes sustain at 15 s with headroom (500k is acknowledged too, but saturates both
    // cores: an interval then takes 12-15 s of 15 to send and dashboard queries a minute).
    series: 300_000,
    intervalMs: SCRAPE_INTERVAL_MS,
    durationMs: 10 * 60_000,
    writers: 8,
    maxSamplesPerRequest: 2000,
    queryPauseMs: 1000,
    minAvailableBytes: 2 * 1024 ** 3,
    tenant: 'e2e-load',
    seed: 1,
  };
}

/** PANOPTES_E2E_LOAD_SERIES, _MINUTES (fractions allowed), _INTERVAL_SECONDS, _WRITERS over the defaults. */
export function loadOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LoadOptions {
  const o = defaultLoadOptions();
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}=${raw} is not a positive number`);
    return v;
  };
  o.series = Math.round(num('PANOPTES_E2E_LOAD_SERIES') ?? o.series);
  o.durationMs = Math.round((num('PANOPTES_E2E_LOAD_MINUTES') ?? o.durationMs / 60_000) * 60_000);
  o.intervalMs = Math.round((num('PANOPTES_E2E_LOAD_INTERVAL_SECONDS') ?? o.intervalMs / 1000) * 1000);
  o.writers = Math.round(num('PANOPTES_E2E_LOAD_WRITERS') ?? o.writers);
  return o;
}

/** Limits flags every process gets: the defaults (10k samples/s, 150k series per tenant) would refuse the load. */
export function loadLimitFlags(o: LoadOptions): string[] {
  const perInterval = o.series;
  return [
    `-distributor.ingestion-rate-limit=${Math.max(10_000, Math.ceil((4 * perInterval * 1000) / o.intervalMs))}`,
    `-distributor.ingestion-burst-size=${Math.max(200_000, 2 * perInterval)}`,
    `-ingester.max-global-series-per-user=${Math.max(150_000, 2 * o.series)}`,
  ];
}

/** Latency summary in milliseconds. */
export interface Latencies {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ProcessFigures {
  name: string;
  /** VmHWM at the end, bytes. */
  peakRssBytes: number;
  /** User + system CPU seconds used during the load (writers start to verification end). */
  cpuSeconds: number;
}

export interface LoadReport {
  options: LoadOptions;
  windows: number;
  requestsPerWindow: number;
  /** Seconds spent generating the series and building the bodies (before the load, untimed). */
  buildSeconds: number;
  compressedBytesPerWindow: number;
  /** Seconds from the first request to the last answer. */
  writeSeconds: number;
  requests: number;
  ackedSamples: number;
  ackedSamplesPerSecond: number;
  /** Latency of every remote write request. */
  write: Latencies;
  /** Latency of the requests of window 0, which creates every series (included in `write`). */
  firstWindow: Latencies;
  /** Milliseconds each window took from its first request to its last answer. */
  windowMs: Latencies;
  /** Largest delay of a window's start after it was due (the writers fell behind by this), ms. */
  maxStartLagMs: number;
  writeErrors: string[];
  /** Per query kind. */
  queries: Record<string, Latencies>;
  queryErrors: string[];
  /** Milliseconds from the last ack until every acknowledged sample was queryable. */
  catchUpMs: number;
  /** What the verification queries found. */
  verified: string[];
  verifyErrors: string[];
  processes: ProcessFigures[];
  loadAverage: [number, number, number][];
  minAvailableBytes: number;
  aborted?: string;
}

/** The dashboard the query loop refreshes: Grafana-like panels over the series model's metrics. */
export const DASHBOARD: readonly { kind: string; expr: string; range?: boolean }[] = [
  { kind: 'sum(rate)', expr: 'sum(rate(http_requests_total[1m]))' },
  { kind: 'sum by(rate)', expr: 'sum by (namespace) (rate(container_cpu_usage_seconds_total[1m]))' },
  { kind: 'topk', expr: 'topk(10, container_memory_working_set_bytes)' },
  { kind: 'histogram_quantile', expr: 'histogram_quantile(0.99, sum by (le, namespace) (rate(http_request_duration_seconds_bucket[1m])))' },
  { kind: 'instant selector', expr: 'node_load1' },
  { kind: 'range 10m/15s', expr: 'sum by (code) (rate(http_requests_total[1m]))', range: true },
];

/**
 * The bounded load run (issue 7) against a running Kafka-mode topology: `series` active series
 * written every `intervalMs` for `durationMs` through the distributor, as Prometheus's shards send
 * them, while a dashboard loop queries the query-frontend; then checks that every acknowledged
 * sample is queryable. Never throws for a failed request: failures are counted and listed in the
 * report, which the caller asserts on. Throws only when it could not run (memory, setup).
 *
 * Timing: sample k of every series lies in [start + k·I, start + (k+1)·I); window k is sent once
 * all its samples are in the past (due = start + (k+1)·I), and the next window starts only after
 * the previous one was answered, so every series arrives in timestamp order. A late window is sent
 * at once and its delay reported (`maxStartLagMs`): the writers fell behind.
 */
export async function runLoad(topology: Topology, o: LoadOptions, log: (line: string) => void): Promise<LoadReport> {
  const windows = Math.max(1, Math.ceil(o.durationMs / o.intervalMs));
  checkMemoryBudget(o, windows);

  // Build everything before the clock starts: the writers then only send bytes.
  const buildStart = Date.now();
  const { plan, families, startMs } = await buildBodies(o, windows);
  const buildSeconds = (Date.now() - buildStart) / 1000;
  log(
    `load: built ${plan.bodies.length} remote write requests (${plan.groups} per window × ${windows} windows, ` +
      `${(plan.compressedBytes / 1e6).toFixed(0)} MB snappy) for ${o.series} series in ${buildSeconds.toFixed(1)} s; ` +
      `window 0 due in ${((startMs + o.intervalMs - Date.now()) / 1000).toFixed(1)} s`,
  );

  const report: LoadReport = {
    options: o,
    windows,
    requestsPerWindow: plan.groups,
    buildSeconds,
    compressedBytesPerWindow: plan.compressedBytes / windows,
    writeSeconds: 0,
    requests: 0,
    ackedSamples: 0,
    ackedSamplesPerSecond: 0,
    write: summarize([]),
    firstWindow: summarize([]),
    windowMs: summarize([]),
    maxStartLagMs: 0,
    writeErrors: [],
    queries: {},
    queryErrors: [],
    catchUpMs: 0,
    verified: [],
    verifyErrors: [],
    processes: [],
    loadAverage: [],
    minAvailableBytes: Number.POSITIVE_INFINITY,
  };

  const stop = new AbortController();
  const abort = (why: string): void => {
    if (report.aborted) return;
    report.aborted = why;
    stop.abort();
  };
  const watchdog = setInterval(() => {
    const available = memAvailableBytes();
    report.minAvailableBytes = Math.min(report.minAvailableBytes, available);
    if (available < o.minAvailableBytes) {
      abort(`the machine's available memory fell to ${(available / 2 ** 30).toFixed(2)} GiB (< ${(o.minAvailableBytes / 2 ** 30).toFixed(1)} GiB): stopped early; lower PANOPTES_E2E_LOAD_SERIES`);
    }
  }, 1000);
  const loadSampler = setInterval(() => report.loadAverage.push(loadAverage()), 30_000);

  const cpuBefore = processCpu(topology);
  const selfCpuBefore = process.cpuUsage();
  let writing = true;
  const queryLoop = runQueries(topology, o, () => writing && !stop.signal.aborted, report);
  try {
    await runWriters(topology, o, plan, startMs, windows, stop.signal, report);
  } finally {
    writing = false;
  }
  await queryLoop;
  log(`load: writers done (${report.requests} requests, ${report.writeErrors.length} errors); verifying`);

  if (!report.aborted && report.writeErrors.length === 0) await verify(topology, o, families, startMs, windows, report);
  clearInterval(watchdog);
  clearInterval(loadSampler);
  report.loadAverage.push(loadAverage());
  const cpuAfter = processCpu(topology);
  const selfCpu = process.cpuUsage(selfCpuBefore);
  report.processes = TOPOLOGY_NODES.map((name) => {
    const pid = topology.server(name).pid;
    return {
      name,
      peakRssBytes: pid === undefined ? NaN : safe(() => memoryOf(pid).peakRssBytes),
      cpuSeconds: (cpuAfter.get(name) ?? NaN) - (cpuBefore.get(name) ?? NaN),
    };
  });
  report.processes.push({ name: 'load generator (jest)', peakRssBytes: safe(() => memoryOf(process.pid).peakRssBytes), cpuSeconds: (selfCpu.user + selfCpu.system) / 1e6 });
  return report;
}

/** Fails before anything starts when the ingesters' heads (3 copies) and the bodies would not fit. */
function checkMemoryBudget(o: LoadOptions, windows: number): void {
  // ~1.2 KB per series in each of 3 ingesters' heads (with room for JS garbage), ~60 B per series-sample of bodies, ~1 KB per series of generator.
  const need = o.series * (3 * 2500 + 1000) + o.series * windows * 60 + 3 * 2 ** 30;
  const available = memAvailableBytes();
  if (available - need < o.minAvailableBytes) {
    throw new Error(
      `${o.series} series for ${windows} intervals need about ${(need / 2 ** 30).toFixed(1)} GiB but the machine has ${(available / 2 ** 30).toFixed(1)} GiB available ` +
        `(and must keep ${(o.minAvailableBytes / 2 ** 30).toFixed(1)} GiB); lower PANOPTES_E2E_LOAD_SERIES or PANOPTES_E2E_LOAD_MINUTES`,
    );
  }
}

/**
 * The run's remote write bodies (window-major, `plan.groups` per window), the series count per
 * metric name, and the start of the sample times, built by `tools/bench/load-bodies.js` in a plain
 * node process (Jest runs its snappy compression about ten times slower) and read from its file.
 */
async function buildBodies(o: LoadOptions, windows: number): Promise<{ plan: BodyPlan; families: Map<string, number>; startMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-load-bodies-'));
  try {
    const file = join(dir, 'bodies.bin');
    const options: LoadBodiesOptions = { series: o.series, windows, intervalMs: o.intervalMs, maxSamplesPerRequest: o.maxSamplesPerRequest, seed: o.seed };
    await promisify(execFile)(process.execPath, [join(ROOT, 'tools', 'bench', 'load-bodies.js'), JSON.stringify(options), file]);
    const built = readLoadBodies(file);
    const plan: BodyPlan = { bodies: [], groups: built.groups, windows, samples: 0, rawBytes: 0, compressedBytes: 0 };
    built.bodies.forEach((b, i) => {
      plan.bodies.push({ ...b, series: b.samples, window: Math.floor(i / built.groups), group: i % built.groups });
      plan.samples += b.samples;
      plan.rawBytes += b.rawBytes;
      plan.compressedBytes += b.body.length;
    });
    return { plan, families: new Map(built.families), startMs: built.startMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runWriters(topology: Topology, o: LoadOptions, plan: BodyPlan, startMs: number, windows: number, signal: AbortSignal, report: LoadReport): Promise<void> {
  const url = `${topology.distributorUrl}/api/v1/push`;
  const headers = { ...REMOTE_WRITE_V1_HEADERS, 'X-Scope-OrgID': o.tenant };
  const agent = new Agent({ keepAlive: true, maxSockets: o.writers });
  const latencies: number[] = [];
  const first: number[] = [];
  const windowMs: number[] = [];
  let firstRequestAt = 0;
  let lastAnswerAt = 0;
  try {
    for (let w = 0; w < windows && !signal.aborted; w++) {
      const due = startMs + (w + 1) * o.intervalMs;
      await sleepUntil(due, signal);
      if (signal.aborted) break;
      const windowStart = Date.now();
      report.maxStartLagMs = Math.max(report.maxStartLagMs, windowStart - due);
      if (w === 0) firstRequestAt = windowStart;
      let next = w * plan.groups;
      const end = (w + 1) * plan.groups;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < end && !signal.aborted; i = next++) {
          const b = plan.bodies[i];
          const t0 = performance.now();
          try {
            const res = await post(agent, url, b.body, headers, 120_000);
            if (res.status >= 200 && res.status < 300) report.ackedSamples += b.samples;
            else report.writeErrors.push(`window ${w} request ${b.group}: HTTP ${res.status} ${res.body.trim()}`);
          } catch (err) {
            report.writeErrors.push(`window ${w} request ${b.group}: ${(err as { code?: string }).code ?? String(err)}`);
          }
          const ms = performance.now() - t0;
          latencies.push(ms);
          if (w === 0) first.push(ms);
          report.requests++;
        }
      };
      await Promise.all(Array.from({ length: o.writers }, () => worker()));
      lastAnswerAt = Date.now();
      windowMs.push(lastAnswerAt - windowStart);
    }
  } finally {
    agent.destroy();
  }
  report.writeSeconds = (lastAnswerAt - firstRequestAt) / 1000;
  // Paced: the run's samples over the intervals they were written in.
  report.ackedSamplesPerSecond = (report.ackedSamples * 1000) / (windows * o.intervalMs);
  report.write = summarize(latencies);
  report.firstWindow = summarize(first);
  report.windowMs = summarize(windowMs);
}

/** The dashboard loop: one query in flight, `queryPauseMs` apart, while `running()`. */
async function runQueries(topology: Topology, o: LoadOptions, running: () => boolean, report: LoadReport): Promise<void> {
  const samples = new Map<string, number[]>();
  // Let the first window create the series before the dashboard asks for them.
  while (running() && report.requests === 0) await sleep(200);
  for (let i = 0; running(); i++) {
    const q = DASHBOARD[i % DASHBOARD.length];
    const now = Date.now();
    const params: Record<string, string> = q.range
      ? { query: q.expr, start: String((now - 10 * 60_000) / 1000), end: String(now / 1000), step: '15' }
      : { query: q.expr, time: String(now / 1000) };
    const t0 = performance.now();
    const problem = await queryProblem(topology, o.tenant, q.range ? 'query_range' : 'query', params);
    const ms = performance.now() - t0;
    if (problem) report.queryErrors.push(`${q.kind} \`${q.expr}\`: ${problem}`);
    else (samples.get(q.kind) ?? samples.set(q.kind, []).get(q.kind)!).push(ms);
    await sleep(o.queryPauseMs);
  }
  for (const [kind, ms] of samples) report.queries[kind] = summarize(ms);
}

/** '' when the frontend answered 200 with status success, else what went wrong. */
async function queryProblem(topology: Topology, tenant: string, api: 'query' | 'query_range', params: Record<string, string>): Promise<string> {
  try {
    const { status, body } = await promQuery(topology, tenant, api, params);
    if (status !== 200) return `HTTP ${status} ${JSON.stringify(body).slice(0, 300)}`;
    if (body.status !== 'success') return `status ${String(body.status)}: ${String(body.error)}`;
    return '';
  } catch (err) {
    return String(err);
  }
}

interface PromBody {
  status?: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** POST, form-encoded, as Grafana sends it. */
async function promQuery(topology: Topology, tenant: string, api: 'query' | 'query_range', params: Record<string, string>): Promise<{ status: number; body: PromBody }> {
  const res = await fetch(`${topology.frontendUrl}/prometheus/api/v1/${api}`, {
    method: 'POST',
    headers: { 'X-Scope-OrgID': tenant, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  let body: PromBody;
  try {
    body = JSON.parse(text) as PromBody;
  } catch {
    body = { error: text.slice(0, 300) };
  }
  return { status: res.status, body };
}

/**
 * Every acknowledged sample is queryable: the number of series equals N, and for a few metric
 * families `count_over_time` over the whole run equals series × windows (each series got one
 * sample per window). Kafka mode acknowledges before the ingesters consume, so this polls until
 * the counts agree (the time it took is `catchUpMs`) or 3 minutes passed.
 */
async function verify(topology: Topology, o: LoadOptions, families: Map<string, number>, startMs: number, windows: number, report: LoadReport): Promise<void> {
  // A target's scrape offset within the interval plus a few ms of jitter can put its last sample just past the last interval's end.
  const at = String((startMs + windows * o.intervalMs + 1000) / 1000);
  const rangeS = Math.ceil((windows + 1) * o.intervalMs / 1000);
  const checks: { what: string; expr: string; want: number }[] = [
    { what: 'series', expr: `count({__name__=~".+"})`, want: o.series },
    ...['up', 'http_requests_total', 'node_cpu_seconds_total', 'container_memory_working_set_bytes', 'kube_pod_status_phase']
      .filter((f) => families.has(f))
      .map((f) => ({ what: `${f} samples`, expr: `sum(count_over_time(${f}[${rangeS}s]))`, want: families.get(f)! * windows })),
  ];
  const t0 = Date.now();
  const deadline = t0 + 180_000;
  for (const c of checks) {
    let last = '';
    for (;;) {
      try {
        const { status, body } = await promQuery(topology, o.tenant, 'query', { query: c.expr, time: at });
        const got = status === 200 && body.status === 'success' ? Number(body.data?.result[0]?.value[1] ?? 0) : NaN;
        if (got === c.want) {
          report.verified.push(`${c.what}: ${got} (\`${c.expr}\`)`);
          break;
        }
        last = Number.isNaN(got) ? `HTTP ${status} ${JSON.stringify(body).slice(0, 300)}` : `${got}, want ${c.want}`;
      } catch (err) {
        last = String(err);
      }
      if (Date.now() > deadline) {
        report.verifyErrors.push(`${c.what}: \`${c.expr}\` at ${at} answered ${last}`);
        break;
      }
      await sleep(2000);
    }
  }
  report.catchUpMs = Date.now() - t0;
}

/** The figures as a fixed-width table. */
export function formatReport(r: LoadReport): string {
  const o = r.options;
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');
  const lat = (l: Latencies) => `${ms(l.p50)} / ${ms(l.p90)} / ${ms(l.p99)} / ${ms(l.max)} ms (n=${l.count})`;
  const gib = (b: number) => (Number.isFinite(b) ? `${(b / 2 ** 30).toFixed(2)} GiB` : '-');
  const rows: [string, string][] = [
    ['active series', String(o.series)],
    ['interval', `${o.intervalMs / 1000} s`],
    ['duration', `${r.windows} intervals = ${((r.windows * o.intervalMs) / 60_000).toFixed(1)} min (writes ran ${r.writeSeconds.toFixed(0)} s)`],
    ['remote write', `${r.requestsPerWindow} requests/interval of ≤${o.maxSamplesPerRequest} samples, ${o.writers} connections, ${(r.compressedBytesPerWindow / 1e6).toFixed(1)} MB/interval snappy`],
    ['requests / acked samples', `${r.requests} / ${r.ackedSamples} (expected ${o.series * r.windows})`],
    ['acked samples/s (paced)', `${r.ackedSamplesPerSecond.toFixed(0)} (nominal ${((o.series * 1000) / o.intervalMs).toFixed(0)})`],
    ['acked samples/s while sending', `${((o.series * 1000) / r.windowMs.p50).toFixed(0)} (one interval's samples / median send time: the headroom)`],
    ['write latency p50/p90/p99/max', lat(r.write)],
    ['  first interval (new series)', lat(r.firstWindow)],
    ['interval send time p50/p90/p99/max', lat(r.windowMs)],
    ['writers fell behind by (max)', `${ms(r.maxStartLagMs)} ms`],
    ['write errors', String(r.writeErrors.length)],
    ...Object.entries(r.queries).map(([kind, l]): [string, string] => [`query ${kind} p50/p99`, `${ms(l.p50)} / ${ms(l.p99)} ms (max ${ms(l.max)}, n=${l.count})`]),
    ['query errors', String(r.queryErrors.length)],
    ['all acked samples queryable after', `${(r.catchUpMs / 1000).toFixed(1)} s (${r.verified.length} checks passed, ${r.verifyErrors.length} failed)`],
    ['min MemAvailable', gib(r.minAvailableBytes)],
    ['load average (1m) during run', r.loadAverage.map((l) => l[0].toFixed(1)).join(' ')],
    ...r.processes.map((p): [string, string] => [`${p.name} peak RSS / CPU`, `${gib(p.peakRssBytes)} / ${Number.isFinite(p.cpuSeconds) ? p.cpuSeconds.toFixed(0) : '-'} s`]),
    ['body build (untimed)', `${r.buildSeconds.toFixed(0)} s`],
  ];
  if (r.aborted) rows.unshift(['ABORTED', r.aborted]);
  const width = Math.max(...rows.map((row) => row[0].length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** Nearest-rank percentiles of `values` (ms). */
export function summarize(values: number[]): Latencies {
  if (values.length === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const s = Float64Array.from(values).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { count: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] };
}

function processCpu(topology: Topology): Map<TopologyNode, number> {
  const out = new Map<TopologyNode, number>();
  for (const name of TOPOLOGY_NODES) {
    const pid = topology.server(name).pid;
    if (pid !== undefined) out.set(name, safe(() => cpuSecondsOf(pid)));
  }
  return out;
}

function memAvailableBytes(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.POSITIVE_INFINITY;
}

function loadAverage(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [a, b, c];
}

function safe(fn: () => number): number {
  try {
    return fn();
  } catch {
    return NaN;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wait = at - Date.now();
    if (wait <= 0 || signal.aborted) return resolve();
    const t = setTimeout(done, wait);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
