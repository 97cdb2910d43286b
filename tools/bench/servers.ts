import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressSnappy, encodeWriteRequestV1 } from '@panoptes/proto';
import { findOnPath, freePort, ManagedProcess, prometheusConfigYaml, requireTool } from '@panoptes/testing';
import { blockStats, findBlockDirs } from './block-stats';
import { post, REMOTE_WRITE_V1_HEADERS } from './load';

export const ROOT = join(__dirname, '..', '..');
const PANOPTES_MAIN = join(ROOT, 'dist', 'apps', 'panoptes', 'src', 'main.js');

/** A receiver under test: a child process pinned to one core, and where to POST. */
export interface BenchServer {
  name: string;
  pid: number;
  baseUrl: string;
  pushUrl: string;
  /** Temp dir holding its data (removed once the process has exited, unless kept). */
  dir: string;
  process: ManagedProcess;
  /** Whether the process runs pinned to one core (taskset was found). */
  pinned: boolean;
  stop(): Promise<void>;
}

export interface PinOptions {
  /** CPU the server runs on (`taskset -c <core>`). */
  core: number;
  /** Keep the data dir after stopping (to look at the blocks). */
  keep: boolean;
}

function pinned(core: number, command: string, args: string[]): { command: string; args: string[]; pinned: boolean } {
  const taskset = findOnPath('taskset');
  if (!taskset) return { command, args, pinned: false };
  return { command: taskset, args: ['-c', String(core), command, ...args], pinned: true };
}

function makeServer(name: string, port: number, pushPath: string, dir: string, proc: ManagedProcess, isPinned: boolean): BenchServer {
  return {
    name,
    pid: proc.pid ?? -1,
    baseUrl: `http://127.0.0.1:${port}`,
    pushUrl: `http://127.0.0.1:${port}${pushPath}`,
    dir,
    process: proc,
    pinned: isPinned,
    stop: async () => {
      await proc.stop(10_000);
    },
  };
}

/**
 * Prometheus with its remote-write receiver, on one core (taskset, GOMAXPROCS=1), its TSDB in a
 * fresh temp dir, no scrape configs (it only receives).
 */
export async function startPrometheusReceiver(options: PinOptions): Promise<BenchServer> {
  const binary = requireTool('prometheus');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-bench-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfigYaml({ globalScrapeIntervalMs: 15_000 }));
  const cmd = pinned(options.core, binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.console.templates=${dir}`,
    `--web.console.libraries=${dir}`,
    '--web.enable-remote-write-receiver',
    '--log.level=warn',
  ]);
  const proc = ManagedProcess.start({ name: `prometheus:${port}`, command: cmd.command, args: cmd.args, cwd: dir, env: { ...process.env, GOMAXPROCS: '1' }, cleanupPaths: options.keep ? [] : [dir] });
  const server = makeServer('prometheus', port, '/api/v1/write', dir, proc, cmd.pinned);
  try {
    await proc.waitForHttp(`${server.baseUrl}/-/ready`, 200, 30_000);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Whether a Prometheus text exposition declares `name` (a `# TYPE` line) or has a sample of it (labelled counters show no sample before their first increment). */
export function hasMetric(exposition: string, name: string): boolean {
  return exposition.split('\n').some((line) => line.startsWith(`# TYPE ${name} `) || (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')));
}

/** Sums the values of every line of `name` (any labels) in a Prometheus text exposition. */
export function sumMetric(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function scrapeMetrics(server: BenchServer): Promise<string> {
  const res = await fetch(`${server.baseUrl}/metrics`);
  return res.text();
}

export interface PanoptesOptions extends PinOptions {
  /** Extra flags, appended last (they override the bench's own). */
  extraFlags: string[];
}

/** The all-in-one binary on one core: filesystem object storage and in-process ingest log in a temp dir, one tenant, no limits in the way. */
export async function startPanoptesAllInOne(options: PanoptesOptions): Promise<BenchServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-bench-panoptes-'));
  const flags = [
    '-target=all',
    '-server.http-listen-address=127.0.0.1',
    `-server.http-listen-port=${port}`,
    '-server.grpc-listen-address=127.0.0.1',
    '-server.grpc-listen-port=0',
    '-server.log-level=warn',
    '-auth.multitenancy-enabled=false',
    `-common.storage.filesystem.dir=${join(dir, 'objects')}`,
    `-ingest-storage.in-process.dir=${join(dir, 'ingest')}`,
    '-distributor.ingestion-rate-limit=1000000000',
    '-distributor.ingestion-burst-size=1000000000',
    '-ingester.max-global-series-per-user=0',
    ...options.extraFlags,
  ];
  const cmd = pinned(options.core, join(ROOT, 'bin', 'panoptes'), flags);
  // cwd = the temp dir: whatever still defaults to ./data lands there too.
  const proc = ManagedProcess.start({ name: `panoptes:${port}`, command: cmd.command, args: cmd.args, cwd: dir, env: { ...process.env }, cleanupPaths: options.keep ? [] : [dir] });
  const server = makeServer('panoptes', port, '/api/v1/push', dir, proc, cmd.pinned);
  try {
    await proc.waitForHttp(`${server.baseUrl}/ready`, 200, 60_000);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Where the all-in-one keeps its blocks: `<objects>/<tenant>/<ulid>/`. */
export function panoptesObjectsDir(server: BenchServer): string {
  return join(server.dir, 'objects');
}

/**
 * Whether `url` serves remote write: an empty, valid write request must not be answered 404
 * (405 counts as absent too: the path exists for another method only).
 */
export async function probePush(url: string): Promise<{ available: boolean; status: number; body: string }> {
  const agent = new Agent({ keepAlive: false });
  try {
    const res = await post(agent, url, compressSnappy(encodeWriteRequestV1({ timeseries: [] })), { ...REMOTE_WRITE_V1_HEADERS }, 10_000);
    return { available: res.status !== 404 && res.status !== 405, status: res.status, body: res.body };
  } finally {
    agent.destroy();
  }
}

export type BuildMode = 'auto' | 'always' | 'never';

/**
 * Makes sure dist/ holds a build of the current sources: in `auto`, rebuilds (`npm run build`)
 * when any non-test .ts file under apps/ or libs/ is newer than the compiled all-in-one main.
 * Returns why the binary cannot be used, or undefined when it can.
 */
export function ensureBuilt(mode: BuildMode, log: (line: string) => void): string | undefined {
  const stale = mode === 'always' || (mode === 'auto' && (!existsSync(PANOPTES_MAIN) || newestSourceMtime() > statSync(PANOPTES_MAIN).mtimeMs));
  if (stale) {
    log('building dist/ (npm run build)…');
    const res = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (res.status !== 0) return `npm run build failed (exit ${res.status}); fix the build or pass --build=never to use the existing dist/`;
  }
  if (!existsSync(PANOPTES_MAIN)) return `${PANOPTES_MAIN} is missing; run npm run build`;
  return undefined;
}

function newestSourceMtime(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const top of ['apps', 'libs']) if (existsSync(join(ROOT, top))) walk(join(ROOT, top));
  return newest;
}

/** A fresh temp dir for the bench's own files (OpenMetrics text, promtool output). */
export function benchTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-bench-'));
  mkdirSync(join(dir, 'promtool-blocks'));
  return dir;
}

export type FlushOutcome = { ok: true; blockDirs: string[]; waitedMs: number } | { ok: false; reason: string };

/**
 * `POST /ingester/flush`, then waits until the blocks under the object store hold `expectedSamples`
 * samples, or until their total has not grown for `settleMs` (the flush may be asynchronous and
 * upload block by block), or `timeoutMs`.
 */
export async function flushAndWaitForBlocks(server: BenchServer, expectedSamples: number, timeoutMs = 180_000, settleMs = 10_000): Promise<FlushOutcome> {
  const t0 = Date.now();
  const res = await fetch(`${server.baseUrl}/ingester/flush`, { method: 'POST' });
  const text = (await res.text()).slice(0, 300);
  if (res.status === 404 || res.status === 405) return { ok: false, reason: `POST /ingester/flush answered ${res.status}: flush endpoint not available` };
  if (res.status >= 300) return { ok: false, reason: `POST /ingester/flush answered ${res.status}: ${text.trim()}` };
  let lastTotal = -1;
  let lastChange = Date.now();
  for (;;) {
    const dirs = findBlockDirs(panoptesObjectsDir(server));
    let total = 0;
    try {
      total = dirs.length ? blockStats(dirs).numSamples : 0;
    } catch {
      total = -1; // a block being written (meta.json incomplete): look again
    }
    if (total >= expectedSamples) return { ok: true, blockDirs: dirs, waitedMs: Date.now() - t0 };
    if (total !== lastTotal) {
      lastTotal = total;
      lastChange = Date.now();
    } else if (total > 0 && Date.now() - lastChange > settleMs) {
      return { ok: true, blockDirs: dirs, waitedMs: Date.now() - t0 };
    }
    if (Date.now() - t0 > timeoutMs) {
      return { ok: false, reason: `no complete block under ${panoptesObjectsDir(server)} within ${timeoutMs} ms of the flush (samples found: ${Math.max(0, total)} of ${expectedSamples})` };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
