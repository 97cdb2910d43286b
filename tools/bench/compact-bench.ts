// `npm run bench:compact` (= `node tools/bench/compact.js`): the compaction figures of issue 6.
// Not a test: no timed assertion runs in CI (compact-bench.spec.ts checks the harness on tiny
// inputs); figures go in commit messages. `--help` lists the flags, `--quick` is a smoke run.
//
// What it does, in order:
// 1. Writes `--copies` RF copies of one block of N series x S samples (default 3 x 1M x 480: 2 h
//    at 15 s, 4 chunks of 120) with our BlockWriter, series in label order, from the ingest
//    bench's realistic data set (series-model.ts: node exporter, cAdvisor, kube-state-metrics,
//    services; 8-12 labels). The model gives one 30 min chunk period per series; later periods
//    repeat its shape 30 min on, counters carrying on (compact-data.ts `extendSeries`). Identical
//    copies are written once and copied under their own ULIDs (what RF ingesters upload);
//    `--mode shifted` writes the last copy with 90-sample chunks instead. Runs in a child process.
// 2. Panoptes: `compactBlocks` of the copies into one block, in a child process of its own pinned
//    to `--core` (taskset), timed around the call; CPU from process.cpuUsage, peak RSS from
//    getrusage, peak heap / external memory sampled every 50 ms.
// 3. Prometheus 2.42: a data dir holding copies of the same blocks; it finds them overlapping and
//    merges them in its first compaction, a minute after start (pinned, GOMAXPROCS=1). Time is
//    the `duration` of its own `msg="compact blocks"` log line; CPU between its "Found overlapping
//    blocks during compaction" and "compact blocks" lines; peak RSS is the process's VmHWM.
// 4. Optionally (`--promtool-series`), promtool tsdb create-blocks-from openmetrics on one copy of
//    a smaller data set (context: building a block from text, not compaction).
//
// Definitions (the same for both sides): input samples/s = samples of every copy / wall time;
// output samples/s = samples of the output block / wall time; bytes/sample as block-stats.ts.
// Invariants: both sides merge byte-identical inputs; each output must hold exactly one copy's
// samples (a note says otherwise); no child outlives the harness; the work dir is removed unless
// --keep (then the inputs are reused by the next run with the same options).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findOnPath, freePort, ManagedProcess, prometheusConfigYaml, requireTool, runTool, stopAllPeers } from '@panoptes/testing';
import { blockStats, BlockStats } from './block-stats';
import { CompactionMeasurement, InputBlocks, InputSpec, PERIOD_SAMPLES } from './compact-data';
import { writeOpenMetrics } from './openmetrics';
import { cpuSecondsOf, memoryOf } from './proc-stats';
import { fixed, int, mib, renderTable, ReportRow } from './report';
import { generateDataset } from './series-model';

const HOUR_MS = 3_600_000;
const CHILD = join(__dirname, 'compact-child.js');

export interface CompactBenchOptions {
  series: number;
  /** Samples per series, 15 s apart (480 = 2 h = 4 chunks of 120). */
  samples: number;
  copies: number;
  mode: InputSpec['mode'];
  seed: number;
  /** CPU the compactions (ours in a child process, Prometheus's) are pinned to. */
  core: number;
  /** Where inputs and outputs go; inputs are reused when a kept run left them there. */
  dir: string;
  skipPrometheus: boolean;
  /** Series of the `promtool tsdb create-blocks-from openmetrics` run (one copy); 0 skips it. */
  promtoolSeries: number;
  /** Give up waiting for Prometheus's compaction after this long, ms. */
  prometheusTimeoutMs: number;
  keep: boolean;
  json: boolean;
}

export function defaultCompactBenchOptions(): CompactBenchOptions {
  return {
    series: 1_000_000,
    samples: 4 * PERIOD_SAMPLES,
    copies: 3,
    mode: 'identical',
    seed: 1,
    core: 0,
    dir: join(tmpdir(), 'panoptes-bench-compact'),
    skipPrometheus: false,
    promtoolSeries: 0,
    prometheusTimeoutMs: 30 * 60_000,
    keep: false,
    json: false,
  };
}

const USAGE = `usage: npm run bench:compact -- [flags]

Vertical compaction of RF copies of one 2 h block into one, on one core: Panoptes's compactBlocks
(in a child process of its own) against Prometheus 2.42's own compactor merging the same
overlapping blocks (taskset, GOMAXPROCS=1), timed from its log. Throughput, CPU time, peak RSS
and heap, output block size. Not for CI: about 10 minutes and ~8 GiB of memory at 1M series.

  --series N            series per block (default 1000000)
  --samples N           samples per series, 15 s apart, a multiple of 120 (default 480 = 2 h)
  --copies N            RF copies merged into one (default 3)
  --mode M              identical: copies hold the same chunks (default); shifted: the last copy
                        cuts 90-sample chunks, so every series is merged sample by sample
  --seed N              generator seed (default 1)
  --core N              CPU the compactions are pinned to (default 0)
  --dir PATH            work dir (default $TMPDIR/panoptes-bench-compact); inputs left by --keep are reused
  --skip-prometheus     do not run Prometheus
  --promtool-series N   also time promtool tsdb create-blocks-from openmetrics on one copy of N
                        series (the OpenMetrics text is ~250 bytes per sample; default 0: skipped)
  --quick               20000 series: a smoke run of a minute or so (figures not meaningful)
  --keep                keep the work dir (inputs are reused by the next run)
  --json                also print every figure as one JSON object`;

export function parseCompactBenchArgs(argv: string[]): CompactBenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      series: { type: 'string' },
      samples: { type: 'string' },
      copies: { type: 'string' },
      mode: { type: 'string' },
      seed: { type: 'string' },
      core: { type: 'string' },
      dir: { type: 'string' },
      'skip-prometheus': { type: 'boolean' },
      'promtool-series': { type: 'string' },
      quick: { type: 'boolean' },
      keep: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const o = defaultCompactBenchOptions();
  if (values.quick) o.series = 20_000;
  const num = (flag: string, v: string | undefined, fallback: number, min: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${flag} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  o.series = num('series', values.series, o.series, 1);
  o.samples = num('samples', values.samples, o.samples, PERIOD_SAMPLES);
  if (o.samples % PERIOD_SAMPLES !== 0) throw new RangeError(`--samples must be a multiple of ${PERIOD_SAMPLES}, got ${o.samples}`);
  o.copies = num('copies', values.copies, o.copies, 2);
  if (o.copies > 1024) throw new RangeError(`--copies must be at most 1024, got ${o.copies}`);
  o.seed = num('seed', values.seed, o.seed, 0);
  o.core = num('core', values.core, o.core, 0);
  o.promtoolSeries = num('promtool-series', values['promtool-series'], o.promtoolSeries, 0);
  if (values.mode !== undefined) {
    if (values.mode !== 'identical' && values.mode !== 'shifted') throw new RangeError(`--mode must be identical or shifted, got "${values.mode}"`);
    o.mode = values.mode;
  }
  if (values.dir !== undefined) o.dir = values.dir;
  o.skipPrometheus = values['skip-prometheus'] ?? false;
  o.keep = values.keep ?? false;
  o.json = values.json ?? false;
  return o;
}

/** Prometheus's compaction of the overlapping copies, as its own log and process report it. */
export interface PrometheusCompaction {
  seconds: number;
  /** CPU seconds of the process from its "Found overlapping blocks during compaction" line to its "compact blocks" line (seen within 100 ms). */
  cpuSeconds: number;
  peakRssBytes: number;
  /** Highest `go_memstats_heap_inuse_bytes` seen while it compacted (polled every second). */
  peakHeapInuseBytes: number;
  output?: BlockStats;
}

export interface CompactBenchResult {
  options: CompactBenchOptions;
  machine: { cpus: number; loadBefore: number; loadAfter: number; freeMemBytes: number };
  input?: InputBlocks;
  inputReused: boolean;
  panoptes?: CompactionMeasurement;
  panoptesOutput?: BlockStats;
  prometheus?: PrometheusCompaction;
  promtool?: { series: number; samples: number; seconds: number; samplesPerSecond: number; textBytes: number };
  notes: string[];
  rows: ReportRow[];
}

function log(line: string): void {
  process.stderr.write(`[bench:compact ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** A Go duration as Prometheus logs it (`1m2.5s`, `812.3ms`, `45µs`) in seconds; NaN when it is not one. */
export function parseGoDuration(s: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ns: 1e-9 };
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|μs|ns)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * units[m[2]];
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? total : NaN;
}

/** The `duration` of Prometheus's `msg="compact blocks"` log line whose `sources` hold every ULID, in seconds; undefined when there is none. */
export function compactionSecondsFromLog(lines: readonly string[], ulids: readonly string[]): number | undefined {
  for (const line of lines) {
    if (!line.includes('msg="compact blocks"')) continue;
    const sources = /sources="\[([^\]]*)\]"/.exec(line)?.[1].split(/\s+/) ?? [];
    if (!ulids.every((u) => sources.includes(u))) continue;
    const d = /\bduration=(\S+)/.exec(line)?.[1];
    if (d !== undefined) return parseGoDuration(d);
  }
  return undefined;
}

/** Runs compact-child.js and returns the JSON it prints; pinned to `core` when given. */
function runChild<T>(phase: 'generate' | 'compact', arg: unknown, nodeFlags: string[], core?: number): Promise<{ value: T; pid: number }> {
  const node = [process.execPath, ...nodeFlags, CHILD, phase, JSON.stringify(arg)];
  const taskset = core === undefined ? undefined : findOnPath('taskset');
  const argv = taskset ? [taskset, '-c', String(core), ...node] : node;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`compact-child ${phase} exited ${code ?? signal}`));
      resolve({ value: JSON.parse(out.trim().split('\n').pop()!) as T, pid: child.pid ?? -1 });
    });
  });
}

function inputKey(o: CompactBenchOptions): string {
  return `input-${o.series}x${o.samples}-${o.copies}-${o.mode}-seed${o.seed}`;
}

async function prepareInput(o: CompactBenchOptions, startMs: number): Promise<{ input: InputBlocks; reused: boolean }> {
  const dir = join(o.dir, inputKey(o));
  const done = join(dir, 'input.json');
  if (existsSync(done)) return { input: JSON.parse(readFileSync(done, 'utf8')) as InputBlocks, reused: true };
  const spec: InputSpec = { series: o.series, samplesPerSeries: o.samples, copies: o.copies, mode: o.mode, seed: o.seed, startMs };
  log(`generating ${o.copies} copies of ${int(o.series)} series x ${o.samples} samples (${o.mode}) with BlockWriter in ${dir}…`);
  // The generator holds every series (labels and one chunk period of samples) while writing.
  const { value } = await runChild<InputBlocks>('generate', { spec, dir }, ['--max-old-space-size=16384']);
  writeFileSync(done, JSON.stringify(value));
  log(`inputs written in ${fixed(value.generateSeconds, 1)} s: ${int(value.samplesPerCopy)} samples and ${mib(value.bytesPerCopy)} per copy`);
  return { input: value, reused: false };
}

async function runPanoptes(o: CompactBenchOptions, input: InputBlocks): Promise<CompactionMeasurement> {
  log(`panoptes: compactBlocks of ${input.dirs.length} copies on CPU ${o.core}…`);
  const out = join(o.dir, 'panoptes-out');
  const { value } = await runChild<CompactionMeasurement>('compact', { inputs: input.dirs, out }, ['--max-old-space-size=16384'], o.core);
  log(`panoptes: ${fixed(value.seconds)} s, ${int(value.inputSamples / value.seconds)} input samples/s, peak RSS ${mib(value.peakRssBytes)}`);
  return value;
}

/**
 * Prometheus 2.42 on a data dir holding copies of the input blocks: it finds them overlapping
 * (vertical compaction is always on since 2.39; --storage.tsdb.allow-overlapping-blocks is gone)
 * and merges them in its first compaction, about a minute after start. Timed by its own log line.
 */
async function runPrometheus(o: CompactBenchOptions, input: InputBlocks): Promise<PrometheusCompaction> {
  const binary = findOnPath('prometheus');
  if (!binary) throw new Error('prometheus is not on PATH; install the peers with tools/install-peers');
  const dir = mkdtempSync(join(o.dir, 'prometheus-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  log('prometheus: copying the input blocks into its data dir…');
  for (const [i, d] of input.dirs.entries()) cpSync(d, join(data, input.ulids[i]), { recursive: true });
  writeFileSync(join(dir, 'prometheus.yml'), prometheusConfigYaml({ globalScrapeIntervalMs: 60_000 }));
  const port = await freePort();
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${data}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.console.templates=${dir}`,
    `--web.console.libraries=${dir}`,
    '--storage.tsdb.retention.time=100y',
  ];
  const taskset = findOnPath('taskset');
  const proc = ManagedProcess.start({
    name: 'prometheus-compaction',
    command: taskset ?? binary,
    args: taskset ? ['-c', String(o.core), binary, ...args] : args,
    cwd: dir,
    env: { ...process.env, GOMAXPROCS: '1' },
    outputLines: 5000,
    cleanupPaths: o.keep ? [] : [dir],
  });
  try {
    await proc.waitForHttp(`http://127.0.0.1:${port}/-/ready`, 200, 10 * 60_000);
    log('prometheus: ready; its first compaction starts about a minute after start…');
    let peakHeap = 0;
    let cpuStart: number | undefined;
    let cpuEnd = NaN;
    let lastHeapPoll = 0;
    const deadline = Date.now() + o.prometheusTimeoutMs;
    let seconds: number | undefined;
    // The log and /proc every 100 ms (cheap, nothing asked of Prometheus); its heap over HTTP once a second.
    while (seconds === undefined) {
      if (!proc.running) throw proc.error('peer_exited', 'exited before compacting');
      if (Date.now() > deadline) throw proc.error('peer_timeout', `no compaction of the ${input.ulids.length} blocks within ${o.prometheusTimeoutMs} ms`);
      const lines = proc.output.tail();
      if (cpuStart === undefined && lines.some((l) => l.includes('msg="Found overlapping blocks during compaction"'))) cpuStart = cpuSecondsOf(proc.pid!);
      seconds = compactionSecondsFromLog(lines, input.ulids);
      if (seconds !== undefined) cpuEnd = cpuSecondsOf(proc.pid!);
      else if (cpuStart !== undefined && Date.now() - lastHeapPoll >= 1000) {
        lastHeapPoll = Date.now();
        try {
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
          const m = /^go_memstats_heap_inuse_bytes (\S+)$/m.exec(text);
          if (m) peakHeap = Math.max(peakHeap, Number(m[1]));
        } catch {
          // busy compacting on its one core: the next poll gets it
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpuSeconds = cpuEnd - (cpuStart ?? NaN);
    const peakRssBytes = memoryOf(proc.pid!).peakRssBytes;
    // The new block is in place once the line is logged (its sources are being deleted meanwhile).
    const outputs = readdirSync(data).filter((n) => /^[0-9A-Z]{26}$/.test(n) && !input.ulids.includes(n) && existsSync(join(data, n, 'meta.json')));
    const output = outputs.length === 1 ? blockStats([join(data, outputs[0])]) : undefined;
    if (o.keep) writeFileSync(join(dir, 'prometheus.log'), `${proc.output.tail().join('\n')}\n`);
    log(`prometheus: ${fixed(seconds)} s (its log), peak RSS ${mib(peakRssBytes)}`);
    return { seconds, cpuSeconds, peakRssBytes, peakHeapInuseBytes: peakHeap, output };
  } finally {
    await proc.stop(30_000);
    if (o.keep) log(`prometheus data kept in ${dir}`);
  }
}

async function runPromtool(o: CompactBenchOptions, startMs: number): Promise<CompactBenchResult['promtool']> {
  const ds = generateDataset({ series: o.promtoolSeries, samplesPerSeries: o.samples, seed: o.seed, startMs });
  const dir = mkdtempSync(join(o.dir, 'promtool-'));
  try {
    const file = join(dir, 'samples.om.txt');
    const written = writeOpenMetrics(ds, file);
    log(`promtool: ${mib(written.bytes)} of OpenMetrics (${int(written.samples)} samples); tsdb create-blocks-from openmetrics on CPU ${o.core}…`);
    const command = ['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, join(dir, 'out')];
    const taskset = findOnPath('taskset');
    const t0 = process.hrtime.bigint();
    const res = await runTool(taskset ?? requireTool('promtool'), taskset ? ['-c', String(o.core), requireTool('promtool'), ...command.slice(1)] : command.slice(1), {
      timeoutMs: 60 * 60_000,
      env: { ...process.env, GOMAXPROCS: '1' },
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (res.code !== 0) throw new Error(`promtool tsdb create-blocks-from openmetrics exited ${res.code}: ${(res.stderr || res.stdout).slice(-500)}`);
    return { series: o.promtoolSeries, samples: written.samples, seconds, samplesPerSecond: written.samples / seconds, textBytes: written.bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function buildCompactRows(r: CompactBenchResult): ReportRow[] {
  const p = r.panoptes;
  const q = r.prometheus;
  const na = (skipped: boolean): string => (skipped ? 'skipped' : 'n/a');
  const qs = na(r.options.skipPrometheus);
  const rows: ReportRow[] = [];
  const row = (figure: string, panoptes: string, prometheus: string): void => {
    rows.push({ figure, panoptes, prometheus, target: '', result: 'info' });
  };
  const inSamples = p?.inputSamples ?? (r.input ? r.input.samplesPerCopy * r.input.ulids.length : NaN);
  const outSamples = p?.outputSamples ?? r.input?.samplesPerCopy ?? NaN;
  row(`compaction wall time, ${r.options.copies} copies -> 1, s`, p ? fixed(p.seconds) : 'n/a', q ? fixed(q.seconds) : qs);
  row('input samples/s (every copy read)', p ? int(inSamples / p.seconds) : 'n/a', q ? int(inSamples / q.seconds) : qs);
  row('output samples/s (one copy written)', p ? int(outSamples / p.seconds) : 'n/a', q ? int(outSamples / q.seconds) : qs);
  row('series/s', p ? int(p.outputSeries / p.seconds) : 'n/a', q && r.input ? int(r.input.series / q.seconds) : qs);
  row('CPU seconds', p ? fixed(p.cpuSeconds) : 'n/a', q ? fixed(q.cpuSeconds) : qs);
  row('input samples per CPU-second', p ? int(inSamples / p.cpuSeconds) : 'n/a', q ? int(inSamples / q.cpuSeconds) : qs);
  row('ratio wall time prometheus / panoptes', p && q ? fixed(q.seconds / p.seconds) : 'n/a', '1.00');
  row('peak RSS', p ? `${mib(p.peakRssBytes)} (${mib(p.rssBeforeBytes)} before)` : 'n/a', q ? `${mib(q.peakRssBytes)} (whole process life)` : qs);
  row('peak heap', p ? `${mib(p.peakHeapUsedBytes)} JS heap used, ${mib(p.peakExternalBytes)} external` : 'n/a', q ? `${mib(q.peakHeapInuseBytes)} Go heap in use (polled)` : qs);
  const out = (b: BlockStats | undefined): string => (b ? `${int(b.numSeries)} / ${int(b.numSamples)} / ${int(b.numChunks)}` : 'n/a');
  row('output block series / samples / chunks', out(r.panoptesOutput), q ? out(q.output) : qs);
  row('output bytes/sample ((chunks + index) / samples)', r.panoptesOutput ? fixed(r.panoptesOutput.bytesPerSample) : 'n/a', q?.output ? fixed(q.output.bytesPerSample) : qs);
  if (p) row('chunks copied / re-encoded / input duplicates dropped', `${int(p.chunksCopied)} / ${int(p.chunksReencoded)} / ${int(p.duplicateChunks)}`, q ? 'merges every overlap' : qs);
  if (r.promtool) {
    row(`promtool create-blocks-from openmetrics, one copy of ${int(r.promtool.series)} series, samples/s`, '', `${int(r.promtool.samplesPerSecond)} (${fixed(r.promtool.seconds, 1)} s)`);
  }
  return rows;
}

export function renderCompactReport(r: CompactBenchResult): string {
  const o = r.options;
  const busy =
    Math.max(r.machine.loadBefore, r.machine.loadAfter) > 0.7
      ? `the machine was busy (1-minute load average ${fixed(r.machine.loadBefore)} before, ${fixed(r.machine.loadAfter)} after, on ${r.machine.cpus} CPUs): time figures are disturbed; rerun on an idle machine`
      : undefined;
  const notes = [busy, ...r.notes].filter((n): n is string => !!n);
  const input = r.input;
  return [
    '',
    `bench:compact: ${o.copies} RF copies of one block of ${int(o.series)} series x ${o.samples} samples (15 s apart, ${o.samples / PERIOD_SAMPLES} chunks of ${PERIOD_SAMPLES}) ` +
      `= ${int(o.series * o.samples * o.copies)} input samples; copies ${o.mode === 'identical' ? 'hold identical chunks' : 'chunked differently (last copy at 90 samples per chunk)'}; ` +
      (input ? `${input.families} metric families (tools/bench/series-model.ts), ${mib(input.bytesPerCopy)} per copy; ` : '') +
      `compactions pinned to CPU ${o.core}, Prometheus with GOMAXPROCS=1; seed ${o.seed}${r.inputReused ? '; inputs reused from an earlier --keep run' : ''}`,
    '',
    renderTable(r.rows),
    ...(notes.length ? ['', 'notes:', ...notes.map((n) => `  - ${n}`)] : []),
    '',
  ].join('\n');
}

/** Runs everything; returns the result (the caller prints it). */
export async function runCompactBench(o: CompactBenchOptions): Promise<CompactBenchResult> {
  const result: CompactBenchResult = {
    options: o,
    machine: { cpus: cpus().length, loadBefore: loadavg()[0], loadAfter: NaN, freeMemBytes: freemem() },
    inputReused: false,
    notes: [],
    rows: [],
  };
  // The generator's memory: one chunk period of samples (16 bytes each) and ~1.5 KB of labels per series, held twice.
  const needBytes = o.series * (PERIOD_SAMPLES * 16 + 3000);
  if (needBytes > freemem()) {
    result.notes.push(`about ${mib(needBytes)} needed to generate the inputs, ${mib(freemem())} free: the run may fail; lower --series`);
    log(result.notes[result.notes.length - 1]);
  }
  mkdirSync(o.dir, { recursive: true });
  // Samples start on a 2 h boundary a day ago (Prometheus keeps anything within its retention).
  const startMs = Math.floor((Date.now() - 24 * HOUR_MS) / (2 * HOUR_MS)) * 2 * HOUR_MS;
  const prepared = await prepareInput(o, startMs);
  result.input = prepared.input;
  result.inputReused = prepared.reused;

  result.panoptes = await runPanoptes(o, prepared.input);
  result.panoptesOutput = blockStats([result.panoptes.outputDir]);
  if (result.panoptes.outputSamples !== prepared.input.samplesPerCopy) {
    result.notes.push(`panoptes: the output holds ${result.panoptes.outputSamples} samples, one copy has ${prepared.input.samplesPerCopy}`);
  }
  if (!o.skipPrometheus) {
    try {
      result.prometheus = await runPrometheus(o, prepared.input);
      if (result.prometheus.output && result.prometheus.output.numSamples !== prepared.input.samplesPerCopy) {
        result.notes.push(`prometheus: the output holds ${result.prometheus.output.numSamples} samples, one copy has ${prepared.input.samplesPerCopy}`);
      }
    } catch (err) {
      result.notes.push(`prometheus: ${err instanceof Error ? err.message.slice(0, 2000) : String(err)}`);
    }
  }
  if (o.promtoolSeries > 0) {
    try {
      result.promtool = await runPromtool(o, startMs);
    } catch (err) {
      result.notes.push(`promtool: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  result.machine.loadAfter = loadavg()[0];
  result.rows = buildCompactRows(result);
  return result;
}

/** Entry point of `npm run bench:compact`; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let options: CompactBenchOptions | 'help';
  try {
    options = parseCompactBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const o = options;
  const cleanUp = (): void => {
    if (o.keep) log(`work dir kept in ${o.dir}`);
    else rmSync(o.dir, { recursive: true, force: true });
  };
  const interrupted = (): void => {
    void stopAllPeers().finally(() => {
      cleanUp();
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let result: CompactBenchResult;
  try {
    result = await runCompactBench(o);
  } finally {
    await stopAllPeers();
    cleanUp();
  }
  process.stdout.write(renderCompactReport(result));
  if (o.json) process.stdout.write(`${JSON.stringify({ ...result, rows: undefined })}\n`);
  return 0;
}
