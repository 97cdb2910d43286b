/**
 * Compaction throughput and memory (not a test: run by hand, figures go in commit messages).
 * Merges `--copies` replicas (RF copies, as ingesters upload them) of one 2h block of `--series`
 * series × `--samples` samples. Built with the rest of the repo and run with plain node:
 *
 *   npm run build
 *   node -r ./tools/register-aliases.js dist/libs/block-formats/bench/compact-bench.js \
 *     [--series 100000] [--samples 120] [--copies 3] [--mode identical|gaps] [--shuffled] [--live]
 *     [--dir /tmp/compact-bench] [--keep]
 *
 * Modes: `identical` replicas hold the same chunks (dropped as duplicates, copied without
 * re-encoding: the common case); `gaps` replicas each missed a different 10% of scrapes, so
 * every chunk overlaps and is merged sample by sample and re-encoded (the worst case).
 *
 * `--live` also reports the peak live heap + buffers (forced GC every 250 ms; slower run).
 * `--shuffled` stores the inputs' chunks out of label order (random reads while compacting).
 *
 * Input blocks are generated once per (series, samples, copies, mode) under `--dir` and reused.
 * Generation and compaction run in separate child processes so the peak RSS reported is the
 * compaction's alone (`process.resourceUsage().maxRSS`), next to its RSS before compacting.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockWriter, compareLabels, defaultBlockWriterConfig, Label, parseMeta } from '../src';
// Until index.ts exports it: import { compactBlocks } from '../src';
import { compactBlocks } from '../src';

const T0 = 1_700_006_400_000;
const STEP = 15_000;
const NAMES = ['__name__', 'cluster', 'container', 'env', 'instance', 'job', 'namespace', 'pod', 'region', 'team'];

interface Args {
  series: number;
  samples: number;
  copies: number;
  mode: 'identical' | 'gaps';
  dir: string;
  keep: boolean;
  /** Store chunks in generation order instead of label order (as a head that is not label-sorted would). */
  shuffled: boolean;
  /** Also sample the live heap (after a forced GC) every 250 ms; slows the run down. */
  live: boolean;
  phase: 'main' | 'generate' | 'compact';
}

function parseArgs(argv: string[]): Args {
  const a: Args = { series: 100_000, samples: 120, copies: 3, mode: 'identical', dir: '/tmp/compact-bench', keep: false, shuffled: false, live: false, phase: 'main' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === '--series') a.series = Number(v);
    else if (k === '--samples') a.samples = Number(v);
    else if (k === '--copies') a.copies = Number(v);
    else if (k === '--mode') a.mode = v as Args['mode'];
    else if (k === '--dir') a.dir = v;
    else if (k === '--phase') a.phase = v as Args['phase'];
    else if (k === '--keep' || k === '--shuffled' || k === '--live') {
      a[k.slice(2) as 'keep' | 'shuffled' | 'live'] = true;
      continue;
    } else throw new Error(`unknown argument ${k}`);
    i++;
  }
  return a;
}

function labels(i: number): Label[] {
  const values = [
    `metric_name_${i % 100}_total`,
    `cluster-${i % 10}`,
    `container-${i % 20}`,
    ['prod', 'staging', 'dev'][i % 3],
    `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9100`,
    `job-${i % 20}`,
    `namespace-${i % 50}`,
    `pod-${i.toString(36)}-x7k2p`,
    `region-${i % 5}`,
    `team-${i % 8}`,
  ];
  return NAMES.map((n, k) => [n, values[k]] as const);
}

function inputDir(a: Args): string {
  return join(a.dir, `in-${a.series}x${a.samples}-${a.copies}-${a.mode}${a.shuffled ? '-shuffled' : ''}`);
}

function ulidOf(copy: number): string {
  return `01J0000000000000000000000${String.fromCharCode(65 + copy)}`;
}

async function generate(a: Args): Promise<void> {
  const dir = inputDir(a);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // Ingester and Prometheus blocks store chunks in series label order; --shuffled keeps generation order.
  const order = Array.from({ length: a.series }, (_, i) => i);
  if (!a.shuffled) {
    const all = order.map(labels);
    order.sort((x, y) => compareLabels(all[x], all[y]));
  }
  for (let c = 0; c < a.copies; c++) {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ulidOf(c), externalLabels: { __org_id__: 'bench' } });
    const ts = new Float64Array(a.samples);
    const vs = new Float64Array(a.samples);
    for (const i of order) {
      let n = 0;
      for (let j = 0; j < a.samples; j++) {
        // gaps: replica c missed every scrape with (i + j + c) % 10 === 0.
        if (a.mode === 'gaps' && (i + j + c) % 10 === 0) continue;
        ts[n] = T0 + j * STEP;
        vs[n] = i % 7 === 0 ? j : (i + j) * 0.25;
        n++;
      }
      await w.addSeries(labels(i), ts.subarray(0, n), vs.subarray(0, n));
    }
    await w.finish();
  }
  await mkdir(join(dir, 'ready'));
}

async function compact(a: Args): Promise<void> {
  const dir = inputDir(a);
  const out = join(a.dir, 'out');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const rssBefore = process.memoryUsage().rss;
  let peakHeap = 0;
  let peakExternal = 0;
  let peakLive = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakExternal = Math.max(peakExternal, m.external);
  }, 50);
  const liveTimer =
    a.live && gc
      ? setInterval(() => {
          gc();
          const m = process.memoryUsage();
          peakLive = Math.max(peakLive, m.heapUsed + m.arrayBuffers);
        }, 250)
      : undefined;
  const start = process.hrtime.bigint();
  const res = await compactBlocks(
    Array.from({ length: a.copies }, (_, c) => join(dir, ulidOf(c))),
    out,
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(timer);
  if (liveTimer) clearInterval(liveTimer);
  let inputSamples = 0;
  for (let c = 0; c < a.copies; c++) inputSamples += parseMeta(await readFile(join(dir, ulidOf(c), 'meta.json'), 'utf8')).stats.numSamples;
  const mb = (b: number) => Math.round(b / (1 << 20));
  process.stdout.write(
    `${JSON.stringify({
      series: a.series,
      samplesPerSeries: a.samples,
      copies: a.copies,
      mode: a.mode,
      shuffled: a.shuffled,
      seconds: Number(seconds.toFixed(2)),
      inputSamplesPerSecond: Math.round(inputSamples / seconds),
      outputSamplesPerSecond: Math.round(res.stats.outputSamples / seconds),
      seriesPerSecond: Math.round(res.stats.outputSeries / seconds),
      rssBeforeMiB: mb(rssBefore),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      peakHeapUsedMiB: mb(peakHeap),
      peakExternalMiB: mb(peakExternal),
      ...(a.live ? { peakLiveHeapAndBuffersMiB: mb(peakLive) } : {}),
      stats: res.stats,
      outputBlock: res.meta && { numSeries: res.meta.stats.numSeries, numSamples: res.meta.stats.numSamples, numChunks: res.meta.stats.numChunks },
    })}\n`,
  );
  if (!a.keep) await rm(out, { recursive: true, force: true });
}

function child(a: Args, phase: Args['phase'], extraNodeArgs: string[] = []): void {
  const args = [
    ...process.execArgv,
    ...extraNodeArgs,
    __filename,
    '--phase',
    phase,
    '--series',
    String(a.series),
    '--samples',
    String(a.samples),
    '--copies',
    String(a.copies),
    '--mode',
    a.mode,
    '--dir',
    a.dir,
    ...(a.keep ? ['--keep'] : []),
    ...(a.shuffled ? ['--shuffled'] : []),
    ...(a.live ? ['--live'] : []),
  ];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${phase} failed with status ${r.status}`);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.phase === 'generate') return generate(a);
  if (a.phase === 'compact') return compact(a);
  if (!existsSync(join(inputDir(a), 'ready'))) {
    process.stderr.write(`generating ${a.copies} blocks of ${a.series} series x ${a.samples} samples (${a.mode}) in ${inputDir(a)}\n`);
    // The generator holds every series' labels (BlockWriter sorts them at finish): give it room.
    child(a, 'generate', ['--max-old-space-size=8192']);
  }
  child(a, 'compact', a.live ? ['--expose-gc'] : []);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
