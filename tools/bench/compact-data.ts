import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockWriter, compactBlocks, compareLabels, defaultBlockWriterConfig, encodeMeta, type Labels, parseMeta } from '@panoptes/block-formats';
import { Dataset, generateDataset, SCRAPE_INTERVAL_MS } from './series-model';

/**
 * The input of the compaction bench and its measured step, each run in a child process of its own
 * (compact-child.js) so that the harness's memory never counts and the compaction's peak RSS is
 * its alone.
 */

/** Samples per chunk period: one XOR chunk of 120 samples at 15 s = 30 min. */
export const PERIOD_SAMPLES = 120;
export const PERIOD_MS = PERIOD_SAMPLES * SCRAPE_INTERVAL_MS;

export interface InputSpec {
  series: number;
  /** Samples per series, a multiple of PERIOD_SAMPLES (480 = 2 h at 15 s). */
  samplesPerSeries: number;
  /** RF copies of the block. */
  copies: number;
  /**
   * `identical`: every copy holds the same chunks (ingesters that received the same samples cut
   * the same chunks: the common case). `shifted`: the last copy cuts chunks of 90 samples, so its
   * chunks overlap the others' without matching them and every series is merged sample by sample
   * (an ingester that restarted and replayed its WAL).
   */
  mode: 'identical' | 'shifted';
  seed: number;
  /** First scrape, ms (a multiple of 2 h). */
  startMs: number;
}

export interface InputBlocks {
  dirs: string[];
  ulids: string[];
  samplesPerCopy: number;
  series: number;
  families: number;
  /** Bytes of chunks + index of one copy. */
  bytesPerCopy: number;
  generateSeconds: number;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** ULID of copy `c` < 1024 (fixed, so inputs can be reused and Prometheus's logs matched). */
export function copyUlid(c: number): string {
  return `01JBENCHC0MPACT000000000${CROCKFORD[Math.floor(c / 32) % 32]}${CROCKFORD[c % 32]}`;
}

/**
 * Sample k of period p of series i: the data set holds one period (PERIOD_SAMPLES scrapes); the
 * next periods repeat its shape 30 min later, counters (and histogram buckets) carrying on from
 * where the previous period ended so they never reset, gauges repeating their walk.
 */
export function extendSeries(ds: Dataset, i: number, periods: number, monotone: boolean, ts: Float64Array, vs: Float64Array): void {
  const n = ds.samplesPerSeries;
  const base = i * n;
  const step = n > 1 ? ds.values[base + n - 1] - ds.values[base] + (ds.values[base + n - 1] - ds.values[base + n - 2]) : 0;
  for (let p = 0; p < periods; p++) {
    for (let k = 0; k < n; k++) {
      ts[p * n + k] = ds.timestamps[base + k] + p * n * SCRAPE_INTERVAL_MS;
      vs[p * n + k] = monotone ? ds.values[base + k] + p * step : ds.values[base + k];
    }
  }
}

function labelsOf(ds: Dataset, i: number): Labels {
  const s = ds.series[i];
  return s.names.map((n, j) => [n, s.values[j]] as const);
}

/**
 * Writes `copies` blocks of the same series and samples under `dir/<copyUlid(c)>/` with our
 * BlockWriter, series added in label order (chunks stored in the order of the index, as
 * ingesters and Prometheus store them). Identical copies are written once and copied file by
 * file under their own ULIDs.
 */
export async function writeInputBlocks(spec: InputSpec, dir: string): Promise<InputBlocks> {
  if (spec.samplesPerSeries % PERIOD_SAMPLES !== 0) throw new RangeError(`samples per series must be a multiple of ${PERIOD_SAMPLES}, got ${spec.samplesPerSeries}`);
  const t0 = process.hrtime.bigint();
  const ds = generateDataset({ series: spec.series, samplesPerSeries: PERIOD_SAMPLES, seed: spec.seed, startMs: spec.startMs });
  const periods = spec.samplesPerSeries / PERIOD_SAMPLES;
  const order = Array.from({ length: ds.series.length }, (_, i) => i);
  const labels = order.map((i) => labelsOf(ds, i));
  order.sort((a, b) => compareLabels(labels[a], labels[b]));
  const monotone = ds.families.map((f) => f.type === 'counter' || f.type === 'histogram');

  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const ulids = Array.from({ length: spec.copies }, (_, c) => copyUlid(c));
  const written: string[] = [];
  let samplesPerCopy = 0;
  const ts = new Float64Array(spec.samplesPerSeries);
  const vs = new Float64Array(spec.samplesPerSeries);
  const write = async (ulid: string, samplesPerChunk: number): Promise<void> => {
    const w = new BlockWriter({ ...defaultBlockWriterConfig(), samplesPerChunk }, dir, { ulid, externalLabels: { __org_id__: 'bench' } });
    let samples = 0;
    for (const i of order) {
      extendSeries(ds, i, periods, monotone[ds.series[i].family], ts, vs);
      await w.addSeries(labels[i], ts, vs);
      samples += spec.samplesPerSeries;
    }
    const meta = await w.finish();
    samplesPerCopy = samples;
    if (meta.stats.numSamples !== samples) throw new Error(`block ${ulid} holds ${meta.stats.numSamples} samples, ${samples} were written`);
    written.push(ulid);
  };
  const identical = spec.mode === 'identical' ? spec.copies : spec.copies - 1;
  await write(ulids[0], PERIOD_SAMPLES);
  for (let c = 1; c < identical; c++) await copyBlock(join(dir, ulids[0]), join(dir, ulids[c]), ulids[c]);
  if (spec.mode === 'shifted' && spec.copies > 1) await write(ulids[spec.copies - 1], 90);

  const meta = parseMeta(await readFile(join(dir, ulids[0], 'meta.json'), 'utf8'));
  const files = meta.thanos?.files ?? [];
  return {
    dirs: ulids.map((u) => join(dir, u)),
    ulids,
    samplesPerCopy,
    series: ds.series.length,
    families: ds.families.length,
    bytesPerCopy: files.reduce((n, f) => n + (f.size_bytes ?? 0), 0),
    generateSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}

/** A copy of a block under another ULID: same files, meta.json naming the new ULID as its own source. */
export async function copyBlock(from: string, to: string, ulid: string): Promise<void> {
  await cp(from, to, { recursive: true });
  const meta = parseMeta(await readFile(join(from, 'meta.json'), 'utf8'));
  await writeFile(join(to, 'meta.json'), encodeMeta({ ...meta, ulid, compaction: { ...meta.compaction, sources: [ulid] } }));
}

export interface CompactionMeasurement {
  seconds: number;
  cpuSeconds: number;
  inputSamples: number;
  outputSamples: number;
  outputSeries: number;
  outputChunks: number;
  chunksCopied: number;
  chunksReencoded: number;
  duplicateChunks: number;
  /** RSS before compacting (the process with its code loaded), and its peak (getrusage maxrss). */
  rssBeforeBytes: number;
  peakRssBytes: number;
  /** Highest V8 heap used, and highest memory outside it (Buffers, typed arrays), sampled every 50 ms. */
  peakHeapUsedBytes: number;
  peakExternalBytes: number;
  outputDir: string;
}

/** Compacts the inputs into one block under `outDir` with `compactBlocks`, timing and sampling memory. */
export async function measureCompaction(inputDirs: string[], outDir: string): Promise<CompactionMeasurement> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  let inputSamples = 0;
  for (const d of inputDirs) inputSamples += parseMeta(await readFile(join(d, 'meta.json'), 'utf8')).stats.numSamples;
  const rssBeforeBytes = process.memoryUsage().rss;
  let peakHeapUsedBytes = 0;
  let peakExternalBytes = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakHeapUsedBytes = Math.max(peakHeapUsedBytes, m.heapUsed);
    peakExternalBytes = Math.max(peakExternalBytes, m.external);
  };
  const timer = setInterval(sample, 50);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  try {
    const res = await compactBlocks(inputDirs, outDir);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    sample();
    if (!res.meta || !res.dir) throw new Error('the compaction wrote no block');
    return {
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      inputSamples,
      outputSamples: res.stats.outputSamples,
      outputSeries: res.stats.outputSeries,
      outputChunks: res.meta.stats.numChunks,
      chunksCopied: res.stats.chunksCopied,
      chunksReencoded: res.stats.chunksReencoded,
      duplicateChunks: res.stats.duplicateChunks,
      rssBeforeBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      peakHeapUsedBytes,
      peakExternalBytes,
      outputDir: res.dir,
    };
  } finally {
    clearInterval(timer);
  }
}
