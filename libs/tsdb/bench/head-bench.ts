/**
 * Head memory and append-throughput measurements (not a test: run by hand, figures go in commit
 * messages). Built with the rest of the repo and run with a GC hook:
 *
 *   npm run build
 *   node --expose-gc --max-old-space-size=8192 -r ./tools/register-aliases.js \
 *     dist/libs/tsdb/bench/head-bench.js [memory|append|ooo|all]
 *
 * Memory: series of 10 labels (one value unique per series, one per 10 series, the rest shared)
 * created the way the distributor does (strings decoded per request, hashed, interned once), then
 * `samples` samples each at 15s. Reported as retained JS heap plus ArrayBuffer bytes per series,
 * after a full GC, relative to an empty process.
 *
 * Append: in-order samples through the appender (the hot path). Ooo: the same with an out-of-order
 * window, where every 10th sample of each round arrives one round late (out of order).
 */
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { seriesHash53OfLabels } from '@panoptes/proto';
import { defaultHeadConfig, Head } from '../src';
import { NAMES, T0, createSeries, gc, labelValues } from './bench-series';


export interface MemoryReport {
  series: number;
  samplesPerSeries: number;
  heapBytesPerSeries: number;
  arrayBufferBytesPerSeries: number;
  totalBytesPerSeries: number;
}

export function measureMemory(series: number, samplesPerSeries: number): MemoryReport {
  gc();
  const before = process.memoryUsage();
  const head = new Head(defaultHeadConfig(), 'bench', nopLogger, new Registry());
  const refs = createSeries(head, series);
  for (let k = 0; k < samplesPerSeries; k++) {
    const app = head.appender();
    for (let i = 0; i < series; i++) app.append(refs[i], T0 + k * 15_000, (i + k) * 0.5);
    app.commit();
  }
  gc();
  const after = process.memoryUsage();
  const heap = (after.heapUsed - before.heapUsed) / series;
  const buffers = (after.arrayBuffers - before.arrayBuffers) / series;
  // Keep the head alive until measured.
  if (head.numSeries !== series) throw new Error(`expected ${series} series, have ${head.numSeries}`);
  return {
    series,
    samplesPerSeries,
    heapBytesPerSeries: Math.round(heap),
    arrayBufferBytesPerSeries: Math.round(buffers),
    totalBytesPerSeries: Math.round(heap + buffers),
  };
}

export interface AppendReport {
  series: number;
  samplesPerSeries: number;
  seconds: number;
  samplesPerSecond: number;
}

/** `series` × `samplesPerSeries` samples in time order, one appender (batch) per scrape round. */
export function measureAppend(series: number, samplesPerSeries: number): AppendReport {
  const head = new Head(defaultHeadConfig(), 'bench', nopLogger, new Registry());
  const refs = createSeries(head, series);
  const rnd = new Float64Array(series);
  for (let i = 0; i < series; i++) rnd[i] = i * 1.37;
  const start = process.hrtime.bigint();
  for (let k = 0; k < samplesPerSeries; k++) {
    const app = head.appender();
    const t = T0 + k * 15_000;
    for (let i = 0; i < series; i++) app.append(refs[i], t, rnd[i] + k * 0.25);
    const summary = app.commit();
    if (summary.appended !== series) throw new Error(`round ${k}: ${summary.rejected} rejected`);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { series, samplesPerSeries, seconds, samplesPerSecond: Math.round((series * samplesPerSeries) / seconds) };
}

/**
 * `series` × `samplesPerSeries` samples with a 1h out-of-order window, one appender per round;
 * each round the samples of a tenth of the series are held back and sent after the next round's.
 */
export function measureOutOfOrder(series: number, samplesPerSeries: number): AppendReport & { outOfOrder: number } {
  const head = new Head({ ...defaultHeadConfig(), outOfOrderTimeWindowMs: 3_600_000 }, 'bench', nopLogger, new Registry());
  const refs = createSeries(head, series);
  let outOfOrder = 0;
  const start = process.hrtime.bigint();
  for (let k = 0; k < samplesPerSeries; k++) {
    const app = head.appender();
    const t = T0 + k * 15_000;
    for (let i = 0; i < series; i++) if ((i + k) % 10 !== 0) app.append(refs[i], t, i + k * 0.25);
    if (k > 0) for (let i = 0; i < series; i++) if ((i + k - 1) % 10 === 0) app.append(refs[i], t - 15_000, i + (k - 1) * 0.25);
    const summary = app.commit();
    if (summary.rejected !== 0) throw new Error(`round ${k}: ${summary.rejected} rejected`);
    outOfOrder += summary.appendedOutOfOrder;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const samples = series * samplesPerSeries - series / 10;
  return { series, samplesPerSeries, seconds, samplesPerSecond: Math.round(samples / seconds), outOfOrder };
}

/** Series lookups by hash and labels (the per-series cost of every push), per second. */
export function measureLookup(series: number): { series: number; lookupsPerSecond: number } {
  const head = new Head(defaultHeadConfig(), 'bench', nopLogger, new Registry());
  const all = Array.from({ length: series }, (_, i) => labelValues(i));
  for (const values of all) head.getOrCreateSeries(seriesHash53OfLabels(NAMES, values), NAMES, values);
  const start = process.hrtime.bigint();
  let sum = 0;
  for (const values of all) sum += head.getOrCreateSeries(seriesHash53OfLabels(NAMES, values), NAMES, values);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sum === 0) throw new Error('no lookups');
  return { series, lookupsPerSecond: Math.round(series / seconds) };
}

function main(what: string): void {
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);
  if (what === 'append' || what === 'all') {
    measureAppend(10_000, 120); // warm-up
    for (let r = 0; r < 3; r++) out({ append: measureAppend(10_000, 120) });
    out({ lookup: measureLookup(100_000) });
  }
  if (what === 'ooo' || what === 'all') {
    measureOutOfOrder(10_000, 120); // warm-up
    for (let r = 0; r < 3; r++) out({ outOfOrder: measureOutOfOrder(10_000, 120) });
  }
  if (what === 'memory' || what === 'all') {
    for (const [series, samples] of [
      [100_000, 1],
      [100_000, 120],
      [100_000, 240],
      [1_000_000, 1],
      [1_000_000, 120],
    ]) {
      out({ memory: measureMemory(series, samples) });
    }
  }
}

if (require.main === module) main(process.argv[2] ?? 'all');
