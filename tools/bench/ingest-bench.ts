import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findOnPath, promtool, stopAllPeers } from '@panoptes/testing';
import { blockStats, BlockStats, findBlockDirs } from './block-stats';
import { combineLoads, LoadResult, sendBodies } from './load';
import { writeOpenMetrics } from './openmetrics';
import { cpuSecondsOf, memoryOf } from './proc-stats';
import { BodyPlan, buildRemoteWriteBodies, RemoteWriteBody } from './remote-write-bodies';
import { fixed, int, mib, renderTable, ReportRow, verdict } from './report';
import { chooseStartMs, constantSeriesCount, Dataset, generateDataset } from './series-model';
import {
  BenchServer,
  benchTempDir,
  BuildMode,
  ensureBuilt,
  flushAndWaitForBlocks,
  hasMetric,
  probePush,
  scrapeMetrics,
  startPanoptesAllInOne,
  startPrometheusReceiver,
  sumMetric,
} from './servers';

/** The ingester's counters of samples taken into (or refused by) the TSDB heads. */
const PANOPTES_HEAD_METRICS = ['panoptes_ingester_samples_appended_total', 'panoptes_ingester_samples_rejected_total'];

/** Targets of the issue ("npm run bench:ingest"). */
export const TARGETS = {
  samplesPerSecondPerCore: 1_000_000,
  heapBytesPerSeries: 2048,
  ratioVsPrometheus: 1.0,
} as const;

export interface BenchOptions {
  series: number;
  samplesPerSeries: number;
  samplesPerSeriesPerRequest: number;
  maxSamplesPerRequest: number;
  concurrency: number;
  seed: number;
  /** Series and samples per series of the in-process head memory measurement. */
  heapSeries: number;
  heapSamples: number;
  /** CPU the servers are pinned to; the harness runs on another one when there is one. */
  core: number;
  build: BuildMode;
  panoptesFlags: string[];
  skipPrometheus: boolean;
  skipPanoptes: boolean;
  skipPromtool: boolean;
  skipHeap: boolean;
  keep: boolean;
  json: boolean;
  strict: boolean;
  /** Earliest sample time; by default chosen from the clock (chooseStartMs). */
  startMs?: number;
}

export function defaultBenchOptions(): BenchOptions {
  return {
    series: 100_000,
    samplesPerSeries: 20,
    samplesPerSeriesPerRequest: 4,
    maxSamplesPerRequest: 2000,
    concurrency: 4,
    seed: 1,
    heapSeries: 1_000_000,
    heapSamples: 120,
    core: 0,
    build: 'auto',
    panoptesFlags: [],
    skipPrometheus: false,
    skipPanoptes: false,
    skipPromtool: false,
    skipHeap: false,
    keep: false,
    json: false,
    strict: false,
  };
}

/** `--quick`: a smoke run of a few seconds (figures are not meaningful). */
export function quickBenchOptions(): BenchOptions {
  return { ...defaultBenchOptions(), series: 5000, samplesPerSeries: 8, heapSeries: 20_000, heapSamples: 120 };
}

const USAGE = `usage: npm run bench:ingest -- [flags]

Remote-write 1.0 ingest, end to end on one core, Panoptes all-in-one vs Prometheus's receiver on
the same pre-generated bodies; head memory per series (libs/tsdb/bench/head-bench.ts); block bytes
per sample vs promtool tsdb create-blocks-from openmetrics on the same samples.

  --series N                     series in the ingest runs (default 100000)
  --samples N                    samples per series, 15 s apart (default 20)
  --samples-per-request-series N samples per series per request (default 4)
  --max-samples-per-request N    samples per request at most (default 2000)
  --concurrency N                requests in flight (default 4)
  --seed N                       generator seed (default 1)
  --start-ms MS                  first scrape time (default: recent, inside one 2 h block range)
  --heap-series N                series of the head memory measurement (default 1000000)
  --heap-samples N               samples per series there (default 120: one full chunk)
  --core N                       CPU the servers are pinned to with taskset (default 0)
  --build auto|always|never      rebuild dist/ when sources are newer (default auto)
  --panoptes-flag=-x=y           extra flag for bin/panoptes (repeatable)
  --skip-prometheus --skip-panoptes --skip-promtool --skip-heap
  --quick                        5000 series x 8 samples, heap at 20000 series: a smoke run
  --keep                         keep the servers' data dirs and the bench temp dir
  --json                         also print every figure as one JSON object
  --strict                       exit 1 when a target is missed`;

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      series: { type: 'string' },
      samples: { type: 'string' },
      'samples-per-request-series': { type: 'string' },
      'max-samples-per-request': { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      'start-ms': { type: 'string' },
      'heap-series': { type: 'string' },
      'heap-samples': { type: 'string' },
      core: { type: 'string' },
      build: { type: 'string' },
      'panoptes-flag': { type: 'string', multiple: true },
      'skip-prometheus': { type: 'boolean' },
      'skip-panoptes': { type: 'boolean' },
      'skip-promtool': { type: 'boolean' },
      'skip-heap': { type: 'boolean' },
      quick: { type: 'boolean' },
      keep: { type: 'boolean' },
      json: { type: 'boolean' },
      strict: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const o = values.quick ? quickBenchOptions() : defaultBenchOptions();
  const num = (flag: string, v: string | undefined, fallback: number, min: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${flag} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  o.series = num('series', values.series, o.series, 1);
  o.samplesPerSeries = num('samples', values.samples, o.samplesPerSeries, 1);
  o.samplesPerSeriesPerRequest = num('samples-per-request-series', values['samples-per-request-series'], o.samplesPerSeriesPerRequest, 1);
  o.maxSamplesPerRequest = num('max-samples-per-request', values['max-samples-per-request'], o.maxSamplesPerRequest, 1);
  o.concurrency = num('concurrency', values.concurrency, o.concurrency, 1);
  o.seed = num('seed', values.seed, o.seed, 0);
  o.heapSeries = num('heap-series', values['heap-series'], o.heapSeries, 1);
  o.heapSamples = num('heap-samples', values['heap-samples'], o.heapSamples, 1);
  o.core = num('core', values.core, o.core, 0);
  if (values['start-ms'] !== undefined) o.startMs = num('start-ms', values['start-ms'], 0, 0);
  if (values.build !== undefined) {
    if (values.build !== 'auto' && values.build !== 'always' && values.build !== 'never') throw new RangeError(`--build must be auto, always or never, got "${values.build}"`);
    o.build = values.build;
  }
  o.panoptesFlags = values['panoptes-flag'] ?? [];
  o.skipPrometheus = values['skip-prometheus'] ?? false;
  o.skipPanoptes = values['skip-panoptes'] ?? false;
  o.skipPromtool = values['skip-promtool'] ?? false;
  o.skipHeap = values['skip-heap'] ?? false;
  o.keep = values.keep ?? false;
  o.json = values.json ?? false;
  o.strict = values.strict ?? false;
  return o;
}

/** What one receiver did with the bodies. */
export interface IngestRun {
  server: string;
  available: boolean;
  /** Why the side was not measured (or measured partly). */
  notes: string[];
  pinned?: boolean;
  /** Window 0: every series is new. */
  creation?: LoadResult;
  /** Windows 1…: appends to existing series. */
  steady?: LoadResult;
  total?: LoadResult;
  /** Time between the last answer of a phase and the head holding its samples, summed over phases (inside the timings above). */
  headWaitSeconds?: number;
  cpuSeconds?: number;
  rssBytes?: number;
  peakRssBytes?: number;
  blocks?: BlockStats;
}

export interface HeapResult {
  series: number;
  samplesPerSeries: number;
  heapBytesPerSeries: number;
  arrayBufferBytesPerSeries: number;
  totalBytesPerSeries: number;
}

export interface BenchResult {
  options: BenchOptions;
  /** 1-minute load average before and after the run, and the CPU count: other work on the machine disturbs the figures. */
  machine: { cpus: number; loadBefore: number; loadAfter: number };
  data: { series: number; samples: number; constantSeries: number; families: number; labelsMin: number; labelsMax: number; labelsAvg: number };
  requests: { count: number; avgSamples: number; rawBytesPerSample: number; compressedBytesPerSample: number };
  prometheus?: IngestRun;
  panoptes?: IngestRun;
  promtoolBlocks?: BlockStats;
  promtoolNote?: string;
  heap?: HeapResult;
  heapNote?: string;
  rows: ReportRow[];
}

function log(line: string): void {
  process.stderr.write(`[bench:ingest ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Moves this process (all threads) off the servers' core, so the load generator does not steal from them. */
function pinSelf(serverCore: number): string {
  const taskset = findOnPath('taskset');
  if (!taskset) return 'taskset not found: servers and harness are not pinned (figures are not per core)';
  if (cpus().length < 2) return 'one CPU only: the harness shares the servers\' core';
  const other = serverCore === 0 ? 1 : 0;
  const res = spawnSync(taskset, ['-a', '-p', '-c', String(other), String(process.pid)], { encoding: 'utf8' });
  return res.status === 0 ? `servers on CPU ${serverCore} (taskset, GOMAXPROCS=1 for Prometheus), harness on CPU ${other}` : `taskset failed: ${res.stderr.trim()}`;
}

/**
 * Samples the server has put in its head (appended or rejected), from its own counters; undefined
 * when it exposes none of them.
 */
async function headSamples(server: BenchServer, metrics: readonly string[]): Promise<number | undefined> {
  const text = await scrapeMetrics(server);
  if (!metrics.some((m) => hasMetric(text, m))) return undefined;
  return metrics.reduce((sum, m) => sum + sumMetric(text, m), 0);
}

/**
 * Waits until the head holds `target` samples: a receiver may answer once a write is durable in
 * its ingest log and append to the head later (Panoptes' in-process log, like Kafka mode), and the
 * figure is end to end. Gives up when the count has not moved for `stallMs`.
 */
async function waitForHead(server: BenchServer, metrics: readonly string[], target: number, stallMs = 30_000): Promise<{ seconds: number; reached: boolean; last?: number }> {
  const start = process.hrtime.bigint();
  let last = -1;
  let lastMove = Date.now();
  for (;;) {
    const n = await headSamples(server, metrics);
    if (n === undefined) return { seconds: 0, reached: false };
    if (n >= target) return { seconds: Number(process.hrtime.bigint() - start) / 1e9, reached: true, last: n };
    if (n !== last) {
      last = n;
      lastMove = Date.now();
    } else if (Date.now() - lastMove > stallMs) {
      return { seconds: Number(process.hrtime.bigint() - start) / 1e9, reached: false, last: n };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sends one phase, then waits for the head; the phase's time covers both. */
async function phase(server: BenchServer, bodies: RemoteWriteBody[], plan: BodyPlan, concurrency: number, headMetrics: readonly string[], base: number, run: IngestRun): Promise<LoadResult> {
  const load = await sendBodies(server.pushUrl, bodies, plan.groups, concurrency);
  const target = base + (run.total?.acceptedSamples ?? 0) + load.acceptedSamples;
  const head = await waitForHead(server, headMetrics, target);
  if (head.last === undefined && !head.reached) {
    run.notes.push(`${server.name}: exposes none of ${headMetrics.join(', ')}; the rate counts acknowledged samples, not samples in the head`);
  } else if (!head.reached) {
    run.notes.push(`${server.name}: the head holds ${(head.last ?? 0) - base} samples, ${target - base} were acknowledged (no progress for 30 s)`);
  }
  run.headWaitSeconds = (run.headWaitSeconds ?? 0) + head.seconds;
  const seconds = load.seconds + head.seconds;
  const timed: LoadResult = { ...load, seconds, samplesPerSecond: seconds > 0 ? load.acceptedSamples / seconds : 0 };
  run.total = run.total ? combineLoads(run.total, timed) : timed;
  return timed;
}

async function ingest(server: BenchServer, plan: BodyPlan, concurrency: number, headMetrics: readonly string[]): Promise<IngestRun> {
  const run: IngestRun = { server: server.name, available: true, notes: [], pinned: server.pinned };
  const base = (await headSamples(server, headMetrics)) ?? 0;
  const cpu0 = cpuSecondsOf(server.pid);
  log(`${server.name}: window 0 (${plan.groups} requests, every series new)…`);
  run.creation = await phase(server, plan.bodies.slice(0, plan.groups), plan, concurrency, headMetrics, base, run);
  if (plan.windows > 1) {
    log(`${server.name}: windows 1-${plan.windows - 1} (${plan.bodies.length - plan.groups} requests)…`);
    run.steady = await phase(server, plan.bodies.slice(plan.groups), plan, concurrency, headMetrics, base, run);
  }
  run.cpuSeconds = cpuSecondsOf(server.pid) - cpu0;
  const mem = memoryOf(server.pid);
  run.rssBytes = mem.rssBytes;
  run.peakRssBytes = mem.peakRssBytes;
  const total = run.total!;
  log(`${server.name}: ${int(total.samplesPerSecond)} samples/s, ${total.errors} failed requests, ${fixed(run.headWaitSeconds ?? 0)} s waiting for the head after the last answer, RSS ${mib(mem.rssBytes)}`);
  for (const e of total.firstErrors) run.notes.push(`${server.name}: ${e}`);
  return run;
}

async function runPrometheus(o: BenchOptions, plan: BodyPlan): Promise<IngestRun> {
  if (!findOnPath('prometheus')) return { server: 'prometheus', available: false, notes: ['prometheus is not on PATH; install the peers with tools/install-peers'] };
  log('prometheus: starting the remote-write receiver…');
  const server = await startPrometheusReceiver({ core: o.core, keep: o.keep });
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const run = await ingest(server, plan, o.concurrency, ['prometheus_tsdb_head_samples_appended_total']);
    const metrics = await scrapeMetrics(server);
    const appended = sumMetric(metrics, 'prometheus_tsdb_head_samples_appended_total');
    const series = sumMetric(metrics, 'prometheus_tsdb_head_series');
    if (appended !== plan.samples || series !== o.series) {
      run.notes.push(`prometheus: head has ${appended} samples appended and ${series} series; ${plan.samples} samples of ${o.series} series were sent`);
    }
    return run;
  } finally {
    await server.stop();
    if (o.keep) log(`prometheus data kept in ${server.dir}`);
  }
}

async function runPanoptes(o: BenchOptions, plan: BodyPlan): Promise<IngestRun> {
  const unusable = ensureBuilt(o.build, log);
  if (unusable) return { server: 'panoptes', available: false, notes: [unusable] };
  log('panoptes: starting bin/panoptes -target=all…');
  const server = await startPanoptesAllInOne({ core: o.core, keep: o.keep, extraFlags: o.panoptesFlags });
  try {
    const probe = await probePush(server.pushUrl);
    if (!probe.available) {
      log('panoptes push endpoint not available');
      return { server: 'panoptes', available: false, notes: [`panoptes push endpoint not available (POST /api/v1/push answered ${probe.status})`] };
    }
    if (probe.status >= 300) log(`panoptes: an empty write request was answered ${probe.status}: ${probe.body.trim()}`);
    const run = await ingest(server, plan, o.concurrency, PANOPTES_HEAD_METRICS);
    log('panoptes: POST /ingester/flush, waiting for the blocks…');
    const flushed = await flushAndWaitForBlocks(server, plan.samples);
    if (flushed.ok) {
      run.blocks = blockStats(flushed.blockDirs);
      log(`panoptes: ${run.blocks.blocks} block(s), ${int(run.blocks.numSamples)} samples, ${fixed(run.blocks.bytesPerSample)} B/sample (after ${flushed.waitedMs} ms)`);
      if (run.blocks.numSamples !== plan.samples) run.notes.push(`panoptes: blocks hold ${run.blocks.numSamples} samples; ${plan.samples} were sent`);
    } else {
      run.notes.push(`panoptes: ${flushed.reason}`);
    }
    return run;
  } finally {
    await server.stop();
    if (o.keep) log(`panoptes data kept in ${server.dir}`);
  }
}

async function runPromtool(ds: Dataset, dir: string): Promise<{ blocks?: BlockStats; note?: string }> {
  if (!findOnPath('promtool')) return { note: 'promtool is not on PATH; install the peers with tools/install-peers' };
  const file = join(dir, 'samples.om.txt');
  const out = join(dir, 'promtool-blocks');
  log('promtool: writing the samples as OpenMetrics…');
  const written = writeOpenMetrics(ds, file);
  log(`promtool: ${mib(written.bytes)} of OpenMetrics; tsdb create-blocks-from openmetrics…`);
  const res = await promtool(['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, out], { timeoutMs: 15 * 60_000 });
  rmSync(file, { force: true });
  if (res.code !== 0) return { note: `promtool tsdb create-blocks-from openmetrics exited ${res.code}: ${(res.stderr || res.stdout).trim().slice(-500)}` };
  const blocks = blockStats(findBlockDirs(out));
  log(`promtool: ${blocks.blocks} block(s), ${int(blocks.numSamples)} samples, ${fixed(blocks.bytesPerSample)} B/sample`);
  return { blocks, note: blocks.numSamples === written.samples ? undefined : `promtool: blocks hold ${blocks.numSamples} samples; the file had ${written.samples}` };
}

function runHeap(o: BenchOptions): { heap?: HeapResult; note?: string } {
  log(`head memory: ${int(o.heapSeries)} series x ${o.heapSamples} samples (libs/tsdb/bench/head-bench.ts measureMemory)…`);
  // Nothing else runs now: give the child every CPU back (this process is pinned to one), for V8's parallel GC.
  const taskset = findOnPath('taskset');
  const node = [process.execPath, '--expose-gc', '--max-old-space-size=16384', join(__dirname, 'head-memory.js'), String(o.heapSeries), String(o.heapSamples)];
  const argv = taskset ? [taskset, '-c', `0-${cpus().length - 1}`, ...node] : node;
  const res = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (res.status !== 0) return { note: `head memory measurement exited ${res.status ?? res.signal}` };
  const heap = JSON.parse(res.stdout.trim().split('\n').pop()!) as HeapResult;
  log(`head memory: ${heap.totalBytesPerSeries} B/series (heap ${heap.heapBytesPerSeries} + buffers ${heap.arrayBufferBytesPerSeries})`);
  return { heap };
}

function labelStats(ds: Dataset): { min: number; max: number; avg: number } {
  let min = Infinity;
  let max = 0;
  let sum = 0;
  for (const s of ds.series) {
    min = Math.min(min, s.names.length);
    max = Math.max(max, s.names.length);
    sum += s.names.length;
  }
  return { min, max, avg: sum / ds.series.length };
}

const unavailable = (run: IngestRun | undefined): string => (run === undefined ? 'skipped' : 'n/a');

export function buildRows(r: BenchResult): ReportRow[] {
  const rows: ReportRow[] = [];
  const p = r.panoptes?.available ? r.panoptes : undefined;
  const q = r.prometheus?.available ? r.prometheus : undefined;
  const rate = (run: IngestRun | undefined, pick: (x: IngestRun) => LoadResult | undefined, other: IngestRun | undefined): string =>
    run && pick(run) ? int(pick(run)!.samplesPerSecond) : unavailable(other);
  rows.push({
    figure: 'remote-write 1.0 samples/s, 1 core, end to end',
    panoptes: rate(p, (x) => x.total, r.panoptes),
    prometheus: rate(q, (x) => x.total, r.prometheus),
    target: `>= ${int(TARGETS.samplesPerSecondPerCore)}`,
    result: verdict(p?.total ? p.total.samplesPerSecond >= TARGETS.samplesPerSecondPerCore && p.total.errors === 0 : undefined),
  });
  rows.push({ figure: '  window 0 (all series new)', panoptes: rate(p, (x) => x.creation, r.panoptes), prometheus: rate(q, (x) => x.creation, r.prometheus), target: '', result: 'info' });
  rows.push({ figure: '  windows 1.. (appends only)', panoptes: rate(p, (x) => x.steady, r.panoptes), prometheus: rate(q, (x) => x.steady, r.prometheus), target: '', result: 'info' });
  const wait = (run: IngestRun | undefined, other: IngestRun | undefined): string => (run?.total ? fixed(run.headWaitSeconds ?? 0) : unavailable(other));
  rows.push({ figure: '  s waiting for the head after the last answer', panoptes: wait(p, r.panoptes), prometheus: wait(q, r.prometheus), target: '', result: 'info' });
  const ratio = p?.total && q?.total && q.total.samplesPerSecond > 0 ? p.total.samplesPerSecond / q.total.samplesPerSecond : undefined;
  rows.push({
    figure: 'ingest ratio panoptes / prometheus',
    panoptes: ratio === undefined ? 'n/a' : fixed(ratio),
    prometheus: '1.00',
    target: `>= ${fixed(TARGETS.ratioVsPrometheus)}`,
    result: verdict(ratio === undefined ? undefined : ratio >= TARGETS.ratioVsPrometheus),
  });
  const failed = (run: IngestRun | undefined, other: IngestRun | undefined): string => (run?.total ? `${run.total.errors} of ${run.total.requests}` : unavailable(other));
  rows.push({
    figure: 'failed requests (not 2xx)',
    panoptes: failed(p, r.panoptes),
    prometheus: failed(q, r.prometheus),
    target: '0',
    result: verdict(p?.total && q?.total ? p.total.errors === 0 && q.total.errors === 0 : q?.total ? q.total.errors === 0 : undefined),
  });
  const cpu = (run: IngestRun | undefined, other: IngestRun | undefined): string =>
    run?.total && run.cpuSeconds !== undefined ? `${int(run.total.acceptedSamples / run.cpuSeconds)}` : unavailable(other);
  rows.push({ figure: 'samples per server CPU-second', panoptes: cpu(p, r.panoptes), prometheus: cpu(q, r.prometheus), target: '', result: 'info' });
  const rss = (run: IngestRun | undefined, other: IngestRun | undefined): string =>
    run?.rssBytes !== undefined ? `${mib(run.rssBytes)} (peak ${mib(run.peakRssBytes!)})` : unavailable(other);
  rows.push({ figure: `server RSS after ingest (${int(r.options.series)} series)`, panoptes: rss(p, r.panoptes), prometheus: rss(q, r.prometheus), target: '', result: 'info' });
  const h = r.heap;
  rows.push({
    figure: h ? `head bytes per active series at ${int(h.series)} series (${h.samplesPerSeries} samples)` : 'head bytes per active series',
    panoptes: h ? `${h.totalBytesPerSeries} (heap ${h.heapBytesPerSeries} + buffers ${h.arrayBufferBytesPerSeries})` : r.options.skipHeap ? 'skipped' : 'n/a',
    prometheus: '~3 KB (reference)',
    target: `<= ${TARGETS.heapBytesPerSeries}`,
    result: verdict(h ? h.totalBytesPerSeries <= TARGETS.heapBytesPerSeries : undefined),
  });
  const pb = p?.blocks;
  const qb = r.promtoolBlocks;
  rows.push({
    figure: 'block bytes/sample ((chunks + index) / numSamples)',
    panoptes: pb ? fixed(pb.bytesPerSample) : unavailable(r.panoptes),
    prometheus: qb ? fixed(qb.bytesPerSample) : r.options.skipPromtool ? 'skipped' : 'n/a',
    target: qb ? `<= ${fixed(qb.bytesPerSample)} (promtool)` : '<= promtool',
    result: verdict(pb && qb ? pb.bytesPerSample <= qb.bytesPerSample : undefined),
  });
  rows.push({
    figure: '  chunk bytes/sample',
    panoptes: pb ? fixed(pb.chunkBytesPerSample) : unavailable(r.panoptes),
    prometheus: qb ? fixed(qb.chunkBytesPerSample) : 'n/a',
    target: '',
    result: 'info',
  });
  rows.push({
    figure: '  blocks / series / samples',
    panoptes: pb ? `${pb.blocks} / ${int(pb.numSeries)} / ${int(pb.numSamples)}` : unavailable(r.panoptes),
    prometheus: qb ? `${qb.blocks} / ${int(qb.numSeries)} / ${int(qb.numSamples)}` : 'n/a',
    target: '',
    result: 'info',
  });
  return rows;
}

/** Runs everything; `tmp` is an empty dir for the bench's own files (the caller removes it). */
export async function runBench(o: BenchOptions, tmp: string): Promise<BenchResult> {
  const loadBefore = loadavg()[0];
  log(pinSelf(o.core));
  const startMs = o.startMs ?? chooseStartMs(Date.now(), o.samplesPerSeries);
  let t = Date.now();
  const ds = generateDataset({ series: o.series, samplesPerSeries: o.samplesPerSeries, seed: o.seed, startMs });
  const plan = buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: o.samplesPerSeriesPerRequest, maxSamplesPerRequest: o.maxSamplesPerRequest, seed: o.seed });
  const labels = labelStats(ds);
  const result: BenchResult = {
    options: o,
    machine: { cpus: cpus().length, loadBefore, loadAfter: NaN },
    data: {
      series: ds.series.length,
      samples: plan.samples,
      constantSeries: constantSeriesCount(ds),
      families: ds.families.length,
      labelsMin: labels.min,
      labelsMax: labels.max,
      labelsAvg: labels.avg,
    },
    requests: {
      count: plan.bodies.length,
      avgSamples: plan.samples / plan.bodies.length,
      rawBytesPerSample: plan.rawBytes / plan.samples,
      compressedBytesPerSample: plan.compressedBytes / plan.samples,
    },
    rows: [],
  };
  log(
    `generated ${int(ds.series.length)} series x ${o.samplesPerSeries} samples (${ds.families.length} families, ${labels.min}-${labels.max} labels, ` +
      `${fixed((100 * result.data.constantSeries) / ds.series.length, 0)}% constant) into ${plan.bodies.length} requests ` +
      `(${plan.groups} groups x ${plan.windows} windows, ${fixed(result.requests.compressedBytesPerSample)} B/sample snappy) in ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );

  if (!o.skipPrometheus) result.prometheus = await runPrometheus(o, plan);
  if (!o.skipPanoptes) result.panoptes = await runPanoptes(o, plan);
  if (!o.skipPromtool) {
    t = Date.now();
    const pt = await runPromtool(ds, tmp);
    result.promtoolBlocks = pt.blocks;
    result.promtoolNote = pt.note;
    log(`promtool done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  if (!o.skipHeap) {
    const hr = runHeap(o);
    result.heap = hr.heap;
    result.heapNote = hr.note;
  }
  result.machine.loadAfter = loadavg()[0];
  result.rows = buildRows(result);
  return result;
}

export function renderReport(r: BenchResult): string {
  const o = r.options;
  const busy =
    Math.max(r.machine.loadBefore, r.machine.loadAfter) > 0.7
      ? `the machine was busy (1-minute load average ${fixed(r.machine.loadBefore)} before, ${fixed(r.machine.loadAfter)} after, on ${r.machine.cpus} CPUs): throughput figures are disturbed; rerun on an idle machine`
      : undefined;
  const notes = [busy, ...(r.prometheus?.notes ?? []), ...(r.panoptes?.notes ?? []), r.promtoolNote, r.heapNote].filter((n): n is string => !!n);
  const pinned = r.prometheus?.pinned ?? r.panoptes?.pinned;
  return [
    '',
    `bench:ingest: ${int(r.data.series)} series x ${o.samplesPerSeries} samples = ${int(r.data.samples)} samples; ` +
      `${r.requests.count} remote-write 1.0 requests of ~${int(r.requests.avgSamples)} samples (${o.samplesPerSeriesPerRequest}/series), ` +
      `${o.concurrency} in flight, keep-alive; ${fixed(r.requests.rawBytesPerSample)} B/sample protobuf, ${fixed(r.requests.compressedBytesPerSample)} B/sample snappy; ` +
      `${r.data.labelsMin}-${r.data.labelsMax} labels (avg ${fixed(r.data.labelsAvg, 1)}), ${fixed((100 * r.data.constantSeries) / r.data.series, 0)}% constant series; ` +
      `servers ${pinned === false ? 'NOT pinned' : `pinned to CPU ${o.core}`}; seed ${o.seed}`,
    '',
    renderTable(r.rows),
    ...(notes.length ? ['', 'notes:', ...notes.map((n) => `  - ${n}`)] : []),
    '',
  ].join('\n');
}

/** Entry point of `npm run bench:ingest`; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const keep = options.keep;
  const tmp = benchTempDir();
  const cleanUp = (): void => {
    if (keep) log(`bench files kept in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  };
  const interrupted = (): void => {
    void stopAllPeers().finally(() => {
      cleanUp();
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let result: BenchResult;
  try {
    result = await runBench(options, tmp);
  } finally {
    cleanUp();
  }
  process.stdout.write(renderReport(result));
  if (options.json) process.stdout.write(`${JSON.stringify({ ...result, rows: undefined })}\n`);
  return options.strict && result.rows.some((row) => row.result === 'FAIL') ? 1 : 0;
}
