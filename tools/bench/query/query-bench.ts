import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '@panoptes/common';
import { findOnPath, freePort, stopAllPeers } from '@panoptes/testing';
import { sendBodies } from '../load';
import { cpuSecondsOf, memoryOf } from '../proc-stats';
import { buildRemoteWriteBodies, BodyPlan } from '../remote-write-bodies';
import { BenchServer, BuildMode, ensureBuilt, ROOT, scrapeMetrics, startPanoptesAllInOne, startPrometheusReceiver, sumMetric } from '../servers';
import { RangeQueryClient, QueryRange, TimedAnswer } from './client';
import { compareMatrices, MatrixSeries } from './compare';
import { ProfileSummary, readProfile, summarizeProfile } from './cpu-profile';
import { generateQueryDataset, SCRAPE_INTERVAL_MS } from './dataset';
import { BenchQuery, DASHBOARD_QUERIES } from './queries';
import { QueryFigures, renderColumns, renderQueryTable } from './report';
import { latencyOf, Latency } from './stats';

/** How far before the data end the cacheable range ends: past the frontend's 10 min max_cache_freshness. */
export const PAST_OFFSET_MS = 15 * 60_000;

export interface QueryBenchOptions {
  series: number;
  /** Samples per series, 15 s apart (480 = 2 h). */
  samplesPerSeries: number;
  stepMs: number;
  /** Timed runs per query and side (after one untimed warm-up run). */
  runs: number;
  seed: number;
  /** CPU the servers are pinned to; the harness moves to another one. */
  core: number;
  build: BuildMode;
  panoptesFlags: string[];
  /** Query names to run (all when empty). */
  only: string[];
  skipPrometheus: boolean;
  skipPanoptes: boolean;
  /** Name of a query to CPU-profile on the uncached Panoptes (instead of the comparison). */
  profile?: string;
  profileRuns: number;
  keep: boolean;
  json: boolean;
}

export function defaultQueryBenchOptions(): QueryBenchOptions {
  return {
    series: 10_000,
    samplesPerSeries: 480,
    stepMs: 60_000,
    runs: 9,
    seed: 1,
    core: 0,
    build: 'auto',
    panoptesFlags: [],
    only: [],
    skipPrometheus: false,
    skipPanoptes: false,
    profileRuns: 20,
    keep: false,
    json: false,
  };
}

export const USAGE = `usage: npm run bench:query -- [flags]

Dashboard range queries (tools/bench/query/queries.ts) over the same data written by remote write
to Prometheus and to Panoptes all-in-one (both pinned to one core): median and p90 latency per
query for Prometheus, Panoptes without results cache (-query-frontend.cache-results=false) and
Panoptes with the cache, warm (over a range ending 15 min before the data end, as the frontend
never caches the last 10 min) and repeated over the range ending now (not cacheable).

  --series N              series (default 10000)
  --samples N             samples per series, 15 s apart (default 480 = 2 h)
  --step S                query step in seconds, a multiple of 15 (default 60)
  --runs N                timed runs per query and side, after one warm-up (default 9)
  --seed N                data generator seed (default 1)
  --query NAME            run only this query (repeatable); names are in the table
  --core N                CPU the servers are pinned to with taskset (default 0)
  --build auto|always|never  rebuild dist/ when sources are newer (default auto)
  --panoptes-flag=-x=y    extra flag for both Panoptes processes (repeatable)
  --skip-prometheus --skip-panoptes
  --profile NAME          instead: CPU-profile the uncached Panoptes while it answers query NAME
                          --profile-runs times (default 20), and print its hot spots
  --quick                 2000 series x 120 samples, 3 runs: a smoke run (figures meaningless)
  --keep                  keep the servers' data dirs (and the CPU profile)
  --json                  also print every figure as one JSON object`;

export function parseQueryBenchArgs(argv: string[]): QueryBenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      series: { type: 'string' },
      samples: { type: 'string' },
      step: { type: 'string' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      query: { type: 'string', multiple: true },
      core: { type: 'string' },
      build: { type: 'string' },
      'panoptes-flag': { type: 'string', multiple: true },
      'skip-prometheus': { type: 'boolean' },
      'skip-panoptes': { type: 'boolean' },
      profile: { type: 'string' },
      'profile-runs': { type: 'string' },
      quick: { type: 'boolean' },
      keep: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const o = defaultQueryBenchOptions();
  if (values.quick) Object.assign(o, { series: 2000, samplesPerSeries: 120, runs: 3 });
  const num = (flag: string, v: string | undefined, fallback: number, min: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${flag} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  o.series = num('series', values.series, o.series, 1);
  o.samplesPerSeries = num('samples', values.samples, o.samplesPerSeries, 2);
  o.stepMs = num('step', values.step, o.stepMs / 1000, 15) * 1000;
  if (o.stepMs % SCRAPE_INTERVAL_MS !== 0) throw new RangeError(`--step must be a multiple of 15 seconds, got ${o.stepMs / 1000}`);
  o.runs = num('runs', values.runs, o.runs, 1);
  o.seed = num('seed', values.seed, o.seed, 0);
  o.core = num('core', values.core, o.core, 0);
  o.profileRuns = num('profile-runs', values['profile-runs'], o.profileRuns, 1);
  if (values.build !== undefined) {
    if (values.build !== 'auto' && values.build !== 'always' && values.build !== 'never') throw new RangeError(`--build must be auto, always or never, got "${values.build}"`);
    o.build = values.build;
  }
  const names = new Set(DASHBOARD_QUERIES.map((q) => q.name));
  const unknown = [...(values.query ?? []), ...(values.profile !== undefined ? [values.profile] : [])].filter((n) => !names.has(n));
  if (unknown.length) throw new RangeError(`unknown query ${unknown.map((n) => `"${n}"`).join(', ')}; the queries are ${[...names].join(', ')}`);
  o.only = values.query ?? [];
  o.profile = values.profile;
  o.panoptesFlags = values['panoptes-flag'] ?? [];
  o.skipPrometheus = values['skip-prometheus'] ?? false;
  o.skipPanoptes = values['skip-panoptes'] ?? false;
  o.keep = values.keep ?? false;
  o.json = values.json ?? false;
  return o;
}

/** The two windows every query runs over: the whole data range ending "now", and the same start ending 15 min earlier. */
export interface BenchRanges {
  now: QueryRange;
  past: QueryRange;
}

/**
 * The data ends at the last step boundary before `nowMs` and spans `samplesPerSeries` scrapes;
 * both windows start where it starts.
 */
export function chooseRanges(nowMs: number, samplesPerSeries: number, stepMs: number): BenchRanges {
  const endMs = Math.floor(nowMs / stepMs) * stepMs;
  const startMs = endMs - samplesPerSeries * SCRAPE_INTERVAL_MS;
  return { now: { startMs, endMs, stepMs }, past: { startMs, endMs: Math.max(startMs, endMs - PAST_OFFSET_MS), stepMs } };
}

function log(line: string): void {
  process.stderr.write(`[bench:query ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function pinSelf(serverCore: number): string {
  const taskset = findOnPath('taskset');
  if (!taskset) return 'taskset not found: servers and harness are not pinned';
  if (cpus().length < 2) return 'one CPU only: the harness shares the servers\' core';
  const other = serverCore === 0 ? 1 : 0;
  const res = spawnSync(taskset, ['-a', '-p', '-c', String(other), String(process.pid)], { encoding: 'utf8' });
  return res.status === 0 ? `servers on CPU ${serverCore} (Prometheus with GOMAXPROCS=1), harness on CPU ${other}` : `taskset failed: ${res.stderr.trim()}`;
}

/** Waits until the server's counters say its heads hold `target` samples (no progress for `stallMs`: gives up). */
async function waitForSamples(server: BenchServer, metrics: readonly string[], target: number, stallMs = 30_000): Promise<number> {
  let last = -1;
  let lastMove = Date.now();
  for (;;) {
    const text = await scrapeMetrics(server);
    const n = metrics.reduce((s, m) => s + sumMetric(text, m), 0);
    if (n >= target) return n;
    if (n !== last) {
      last = n;
      lastMove = Date.now();
    } else if (Date.now() - lastMove > stallMs) {
      return n;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ingest(server: BenchServer, plan: BodyPlan, metrics: readonly string[], notes: string[]): Promise<void> {
  const t0 = Date.now();
  const load = await sendBodies(server.pushUrl, plan.bodies, plan.groups, 4);
  const inHead = await waitForSamples(server, metrics, plan.samples);
  log(`${server.name}: ${load.requests} remote-write requests, ${load.errors} failed, ${inHead} of ${plan.samples} samples in the head after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (load.errors) notes.push(`${server.name}: ${load.errors} remote-write requests failed: ${load.firstErrors.join('; ')}`);
  if (inHead < plan.samples) notes.push(`${server.name}: its head counters show ${inHead} samples, ${plan.samples} were sent`);
}

/** Latencies of one server's timed runs, and its warm-up answers. */
interface Pass {
  latencies: Latency[];
  /** Answers of the warm-up pass (with their results). */
  first: TimedAnswer[];
}

/** One server alone (the profile): an optional untimed warm-up pass, then `runs` timed passes, round-robin over the queries. */
async function measure(client: RangeQueryClient, queries: readonly BenchQuery[], range: QueryRange, runs: number, warmUp = true): Promise<Pass> {
  const first: TimedAnswer[] = [];
  if (warmUp) for (const q of queries) first.push(check(q, await client.query(q.expr, range, true)));
  const times = queries.map((): number[] => []);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < queries.length; i++) times[i].push(check(queries[i], await client.query(queries[i].expr, range, false)).ms);
  }
  return { latencies: times.map(latencyOf), first };
}

/** 0…n-1 in a random order (Fisher-Yates). */
export function shuffled(n: number, rnd: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function check(q: BenchQuery, a: TimedAnswer): TimedAnswer {
  if (a.status !== 200 || a.error) throw new Error(`${q.name} failed with HTTP ${a.status}: ${a.error}`);
  return a;
}

export interface QueryBenchResult {
  options: QueryBenchOptions;
  machine: { cpus: number; loadBefore: number; loadAfter: number; pinning: string };
  data: { series: number; samples: number; requests: number; rangeNow: QueryRange; rangePast: QueryRange };
  figures: QueryFigures[];
  /** Per server: CPU seconds it used during the timed runs, and the wall seconds of its own answers in them. */
  servers: Array<{ name: string; cpuSeconds: number; answerSeconds: number; rssBytes: number }>;
  notes: string[];
  profile?: { query: string; runs: number; medianMs: number; summary: ProfileSummary; file?: string };
}

const PANOPTES_HEAD = ['panoptes_ingester_samples_appended_total', 'panoptes_ingester_samples_rejected_total'];
const PROMETHEUS_HEAD = ['prometheus_tsdb_head_samples_appended_total'];

async function withServer<T>(start: () => Promise<BenchServer>, keep: boolean, body: (s: BenchServer) => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await body(server);
  } finally {
    await server.process.stop(10_000);
    if (keep) log(`${server.name} data kept in ${server.dir}`);
  }
}

/**
 * Flags of a Panoptes process under test. servers.ts listens for gRPC on port 0, but the querier
 * reaches the ingester (in-process too) over gRPC at its ring address: give both a real port.
 */
async function panoptesFlags(o: QueryBenchOptions, cache: boolean): Promise<string[]> {
  const grpc = await freePort();
  return [`-server.grpc-listen-port=${grpc}`, `-ingester.ring.instance-addr=127.0.0.1:${grpc}`, `-query-frontend.cache-results=${cache}`, ...o.panoptesFlags];
}

const queryRangeUrl = (s: BenchServer): string => `${s.baseUrl}${s.name === 'prometheus' ? '' : '/prometheus'}/api/v1/query_range`;

/** A server under test and its one keep-alive connection. */
interface Side {
  label: 'prometheus' | 'panoptes-nocache' | 'panoptes-cache';
  server: BenchServer;
  client: RangeQueryClient;
  /** Prometheus before 3.0: gets `prometheus2Expr` where a query has one. */
  prometheus2?: boolean;
}

const exprFor = (s: Side, q: BenchQuery): string => (s.prometheus2 && q.prometheus2Expr !== undefined ? q.prometheus2Expr : q.expr);

/** The major version Prometheus reports (`/api/v1/status/buildinfo`), or undefined. */
async function prometheusMajor(server: BenchServer): Promise<number | undefined> {
  const res = await fetch(`${server.baseUrl}/api/v1/status/buildinfo`);
  const body = (await res.json()) as { data?: { version?: string } };
  const major = Number(/^(\d+)\./.exec(body.data?.version ?? '')?.[1]);
  return Number.isInteger(major) ? major : undefined;
}

/** One timed series of answers: a side, a range, and the figure it fills. */
interface Lane {
  side: Side;
  range: 'now' | 'past';
  figure: 'prometheus' | 'cold' | 'repeatNow' | 'coldPast' | 'warmPast';
}

export async function runQueryBench(o: QueryBenchOptions): Promise<QueryBenchResult> {
  const queries = o.only.length ? DASHBOARD_QUERIES.filter((q) => o.only.includes(q.name)) : [...DASHBOARD_QUERIES];
  const pinning = pinSelf(o.core);
  const ranges = chooseRanges(Date.now(), o.samplesPerSeries, o.stepMs);
  log(`generating ${o.series} series x ${o.samplesPerSeries} samples…`);
  const ds = generateQueryDataset({ series: o.series, samplesPerSeries: o.samplesPerSeries, seed: o.seed, startMs: ranges.now.startMs });
  const plan = buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: 20, maxSamplesPerRequest: 10_000, seed: o.seed });
  const result: QueryBenchResult = {
    options: o,
    machine: { cpus: cpus().length, loadBefore: loadavg()[0], loadAfter: NaN, pinning },
    data: { series: ds.series.length, samples: plan.samples, requests: plan.bodies.length, rangeNow: ranges.now, rangePast: ranges.past },
    figures: queries.map((q) => ({ name: q.name, expr: q.expr, warnings: [] })),
    servers: [],
    notes: [],
  };

  if (o.profile !== undefined) {
    const unusable = ensureBuilt(o.build, log);
    if (unusable) throw new Error(unusable);
    result.profile = await profilePanoptes(o, DASHBOARD_QUERIES.find((q) => q.name === o.profile)!, ranges.now, plan, result.notes);
    result.machine.loadAfter = loadavg()[0];
    return result;
  }

  // Every server runs (pinned to the same core) for the whole measurement and the timed runs
  // rotate over them, so load from elsewhere on the machine disturbs every side alike.
  const sides: Side[] = [];
  try {
    if (!o.skipPrometheus) {
      if (!findOnPath('prometheus')) {
        result.notes.push('prometheus is not on PATH; install the peers with tools/install-peers');
      } else {
        log('prometheus: starting the remote-write receiver…');
        const server = await startPrometheusReceiver({ core: o.core, keep: o.keep });
        const major = await prometheusMajor(server);
        sides.push({ label: 'prometheus', server, client: new RangeQueryClient(queryRangeUrl(server)), prometheus2: major !== undefined && major < 3 });
        if (major !== undefined && major < 3) result.notes.push(`prometheus ${major}.x: queries with a Prometheus 2 form (left-closed ranges) are sent to it in that form`);
        await ingest(server, plan, PROMETHEUS_HEAD, result.notes);
      }
    }
    if (!o.skipPanoptes) {
      const unusable = ensureBuilt(o.build, log);
      if (unusable) result.notes.push(`panoptes not measured: ${unusable}`);
      else {
        for (const cache of [false, true]) {
          log(`panoptes: starting bin/panoptes -target=all -query-frontend.cache-results=${cache}…`);
          const server = await startPanoptesAllInOne({ core: o.core, keep: o.keep, extraFlags: await panoptesFlags(o, cache) });
          server.name = cache ? 'panoptes-cache' : 'panoptes-nocache';
          sides.push({ label: cache ? 'panoptes-cache' : 'panoptes-nocache', server, client: new RangeQueryClient(queryRangeUrl(server)) });
          await ingest(server, plan, PANOPTES_HEAD, result.notes);
        }
      }
    }
    await measureAll(o, queries, ranges, sides, result);
  } finally {
    for (const s of sides) s.client.close();
    await Promise.all(sides.map((s) => s.server.process.stop(10_000)));
    if (o.keep) for (const s of sides) log(`${s.label} data kept in ${s.server.dir}`);
  }
  result.machine.loadAfter = loadavg()[0];
  return result;
}

async function measureAll(o: QueryBenchOptions, queries: readonly BenchQuery[], ranges: BenchRanges, sides: readonly Side[], result: QueryBenchResult): Promise<void> {
  const side = (label: Side['label']): Side | undefined => sides.find((s) => s.label === label);
  const prom = side('prometheus');
  const nocache = side('panoptes-nocache');
  const cache = side('panoptes-cache');
  const lanes: Lane[] = [];
  if (prom) lanes.push({ side: prom, range: 'now', figure: 'prometheus' });
  if (nocache) lanes.push({ side: nocache, range: 'now', figure: 'cold' }, { side: nocache, range: 'past', figure: 'coldPast' });
  if (cache) lanes.push({ side: cache, range: 'now', figure: 'repeatNow' }, { side: cache, range: 'past', figure: 'warmPast' });

  // Warm-up (untimed; for the cached side over the past range, the one miss): every answer kept for the checks.
  log(`warm-up: ${queries.length} queries on ${sides.length} servers over both ranges…`);
  const answers = new Map<string, Map<string, MatrixSeries[] | undefined>>();
  const keep = (key: string, q: BenchQuery, a: TimedAnswer): void => {
    if (!answers.has(key)) answers.set(key, new Map());
    answers.get(key)!.set(q.name, a.result);
  };
  for (const [i, q] of queries.entries()) {
    for (const s of sides) {
      for (const range of ['now', 'past'] as const) {
        const a = check(q, await s.client.query(exprFor(s, q), ranges[range], true));
        keep(`${s.label}/${range}`, q, a);
        if (s.label === 'panoptes-cache' && range === 'past') result.figures[i].missPastMs = a.ms;
      }
    }
  }

  const cpu0 = sides.map((s) => cpuSecondsOf(s.server.pid));
  const answerMs = sides.map(() => 0);
  const times = lanes.map(() => queries.map((): number[] => []));
  log(`timed: ${o.runs} runs x ${queries.length} queries x ${lanes.length} (server, range) pairs…`);
  // Each run takes the queries in another (seeded) order: in a fixed order the same query always
  // followed the heaviest one, and a collection of that one's garbage landed in the same lane on
  // every run (the warm sum-rate measured 5-11 ms for an answer that takes ~1 ms).
  const rnd = seededRandom(o.seed ^ 0x0bde);
  for (let r = 0; r < o.runs; r++) {
    for (const i of shuffled(queries.length, rnd)) {
      const q = queries[i];
      for (const [l, lane] of lanes.entries()) {
        const last = r === o.runs - 1 && lane.figure === 'warmPast';
        const a = check(q, await lane.side.client.query(exprFor(lane.side, q), ranges[lane.range], last));
        times[l][i].push(a.ms);
        answerMs[sides.indexOf(lane.side)] += a.ms;
        if (last) keep('panoptes-cache/past-warm', q, a);
      }
    }
  }
  for (const [k, s] of sides.entries()) {
    result.servers.push({ name: s.label, cpuSeconds: cpuSecondsOf(s.server.pid) - cpu0[k], answerSeconds: answerMs[k] / 1000, rssBytes: memoryOf(s.server.pid).rssBytes });
  }
  if (cache) {
    // The cached answers again, in a pass of their own: interleaved, a ~1 ms answer also pays for
    // the collection of the garbage that the evaluations before it left (the collector's threads
    // share the one core), which is what the interleaved column shows.
    const alone = queries.map((): number[] => []);
    for (let r = 0; r < o.runs; r++) {
      for (const i of shuffled(queries.length, rnd)) alone[i].push(check(queries[i], await cache.client.query(queries[i].expr, ranges.past, false)).ms);
    }
    queries.forEach((_, i) => (result.figures[i].warmAlone = latencyOf(alone[i])));
  }
  const age = Date.now() - ranges.now.endMs;
  if (cache && age > 10 * 60_000) {
    result.notes.push(`the range ending "now" ended ${(age / 60_000).toFixed(1)} min before the last timed run: with the default 10 min max_cache_freshness its repeats may have been cached`);
  }
  for (const [l, lane] of lanes.entries()) queries.forEach((_, i) => (result.figures[i][lane.figure] = latencyOf(times[l][i])));

  // Answers: Panoptes against Prometheus (summation order may move the last bits), and the cache against no cache (identical).
  const get = (key: string, q: BenchQuery): MatrixSeries[] | undefined => answers.get(key)?.get(q.name);
  queries.forEach((q, i) => {
    const f = result.figures[i];
    const compare = (what: string, a: string, b: string, relTol: number): void => {
      const x = get(a, q);
      const y = get(b, q);
      if (!x || !y) return;
      for (const p of compareMatrices(x, y, relTol, [a, b]).problems) f.warnings.push(`${what}: ${p}`);
    };
    f.series = get('prometheus/now', q)?.length ?? get('panoptes-nocache/now', q)?.length;
    compare('range ending now', 'prometheus/now', 'panoptes-nocache/now', 1e-6);
    compare('range ending 15 min earlier', 'prometheus/past', 'panoptes-nocache/past', 1e-6);
    compare('range ending now', 'panoptes-nocache/now', 'panoptes-cache/now', 0);
    compare('range ending 15 min earlier', 'panoptes-nocache/past', 'panoptes-cache/past-warm', 0);
  });
}

/**
 * Profiles the uncached Panoptes answering one query: the process preloads
 * cpu-profiler-preload.js, which runs V8's CPU profiler between two SIGUSR2s sent around the
 * timed answers only.
 */
async function profilePanoptes(o: QueryBenchOptions, q: BenchQuery, range: QueryRange, plan: BodyPlan, notes: string[]): Promise<QueryBenchResult['profile']> {
  const profDir = mkdtempSync(join(tmpdir(), 'panoptes-bench-query-prof-'));
  const file = join(profDir, `panoptes-${q.name}.cpuprofile`);
  let medianMs = NaN;
  const start = async (): Promise<BenchServer> => {
    // The child copies this process's environment when it is spawned.
    const before = { options: process.env.NODE_OPTIONS, file: process.env.PANOPTES_BENCH_CPU_PROFILE };
    process.env.NODE_OPTIONS = `${before.options ?? ''} --require=${join(__dirname, 'cpu-profiler-preload.js')}`.trim();
    process.env.PANOPTES_BENCH_CPU_PROFILE = file;
    try {
      return await startPanoptesAllInOne({ core: o.core, keep: o.keep, extraFlags: await panoptesFlags(o, false) });
    } finally {
      restoreEnv('NODE_OPTIONS', before.options);
      restoreEnv('PANOPTES_BENCH_CPU_PROFILE', before.file);
    }
  };
  await withServer(start, o.keep, async (server) => {
    await ingest(server, plan, PANOPTES_HEAD, notes);
    const client = new RangeQueryClient(queryRangeUrl(server));
    try {
      await measure(client, [q], range, 1);
      log(`profiling: ${q.name} x ${o.profileRuns}…`);
      process.kill(server.pid, 'SIGUSR2');
      await waitForFile(`${file}.started`, 10_000);
      const pass = await measure(client, [q], range, o.profileRuns, false);
      process.kill(server.pid, 'SIGUSR2');
      await waitForFile(`${file}.done`, 60_000);
      medianMs = pass.latencies[0].medianMs;
    } finally {
      client.close();
    }
  });
  const summary = summarizeProfile(readProfile(file), ROOT, 20);
  if (!o.keep) rmSync(profDir, { recursive: true, force: true });
  return { query: q.name, runs: o.profileRuns, medianMs, summary, file: o.keep ? file : undefined };
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${path} did not appear within ${timeoutMs} ms: is cpu-profiler-preload.js loaded in the Panoptes process?`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function rangeText(r: QueryRange): string {
  const t = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
  return `${t(r.startMs)}-${t(r.endMs)} UTC step ${r.stepMs / 1000}s`;
}

export function renderQueryReport(r: QueryBenchResult): string {
  const o = r.options;
  const busy =
    Math.max(r.machine.loadBefore, r.machine.loadAfter) > 0.7
      ? `the machine was busy (1-minute load average ${r.machine.loadBefore.toFixed(2)} before, ${r.machine.loadAfter.toFixed(2)} after, on ${r.machine.cpus} CPUs): latencies are disturbed; rerun on an idle machine`
      : undefined;
  const head =
    `bench:query: ${r.data.series} series x ${o.samplesPerSeries} samples (${r.data.samples} samples, ${r.data.requests} remote-write requests); ` +
    `ranges ${rangeText(r.data.rangeNow)} ("now") and ${rangeText(r.data.rangePast)} (15 min earlier); ${o.runs} timed runs after a warm-up; ${r.machine.pinning}`;
  const lines = ['', head, ''];
  if (r.profile) {
    const p = r.profile;
    const s = p.summary;
    lines.push(`CPU profile of panoptes (no results cache) answering ${p.query} x ${p.runs} (median ${p.medianMs.toFixed(0)} ms): ${s.busySamples} busy samples of ${s.samples}, ${s.busyMs.toFixed(0)} ms busy`, '');
    lines.push(renderColumns(['self %', 'total %', 'function (by self time)'], s.bySelf.map((h) => [h.selfPercent.toFixed(1), h.totalPercent.toFixed(1), h.frame]), [true, true, false]), '');
    lines.push(renderColumns(['self %', 'total %', 'function (by total time)'], s.byTotal.map((h) => [h.selfPercent.toFixed(1), h.totalPercent.toFixed(1), h.frame]), [true, true, false]), '');
    lines.push(renderColumns(['self %', 'file'], s.byFile.map((f) => [f.selfPercent.toFixed(1), f.file]), [true, false]));
    if (p.file) lines.push('', `profile kept in ${p.file} (open it in Chrome DevTools)`);
  } else {
    lines.push(renderQueryTable(r.figures));
    const warnings = r.figures.flatMap((f) => f.warnings.map((w) => `${f.name}: ${w}`));
    if (warnings.length) lines.push('', 'WARNING: answers differ:', ...warnings.map((w) => `  - ${w}`));
    if (r.servers.length) {
      lines.push('', 'servers during the timed runs (CPU time well below answer time: the server waited for a CPU, the machine was busy):');
      for (const s of r.servers) lines.push(`  - ${s.name}: ${s.cpuSeconds.toFixed(1)} CPU s, ${s.answerSeconds.toFixed(1)} s answering, RSS ${(s.rssBytes / 2 ** 20).toFixed(0)} MiB`);
    }
  }
  const notes = [busy, ...r.notes].filter((n): n is string => !!n);
  if (notes.length) lines.push('', 'notes:', ...notes.map((n) => `  - ${n}`));
  lines.push('');
  return lines.join('\n');
}

/** Entry point of `npm run bench:query`; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let options: QueryBenchOptions | 'help';
  try {
    options = parseQueryBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const interrupted = (): void => {
    void stopAllPeers().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const result = await runQueryBench(options);
  process.stdout.write(renderQueryReport(result));
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}
