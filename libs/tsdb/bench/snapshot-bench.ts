/**
 * Head snapshot write/load measurements (not a test: run by hand, figures go in commit messages).
 * Built with the rest of the repo and run with a GC hook:
 *
 *   npm run build
 *   node --expose-gc --max-old-space-size=8192 -r ./tools/register-aliases.js \
 *     dist/libs/tsdb/bench/snapshot-bench.js [series] [samplesPerSeries] [dir]
 *
 * Defaults: 200000 series of 10 labels (as head-bench.ts) × 120 samples at 15s (one full, still open
 * head chunk each; 180 gives a completed chunk plus a half-full one), the file in the OS temp
 * directory. Reports the synchronous capture pause, the capture's retained memory, write
 * and load times, and file bytes per series; then checks the loaded head against the original.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { defaultHeadConfig, Head, Matcher, readHeadSnapshot, writeHeadSnapshot } from '../src';
import { T0, createSeries, gc } from './bench-series';


const memory = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

function fill(series: number, samples: number): Head {
  const head = new Head(defaultHeadConfig(), 'bench', nopLogger, new Registry());
  const refs = createSeries(head, series);
  for (let k = 0; k < samples; k++) {
    const app = head.appender();
    for (let i = 0; i < series; i++) app.append(refs[i], T0 + k * 15_000, (i % 1000) + k * 0.25);
    app.commit();
  }
  return head;
}

function fingerprint(head: Head): number {
  let n = 0;
  for (const s of head.select([new Matcher('=~', 'job', 'job-1.*')], -Infinity, Infinity)) {
    const it = s.iterator();
    while (it.next()) n += it.t % 1000 + it.v;
  }
  return n;
}

async function main(series: number, samples: number, dir: string | undefined): Promise<void> {
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);
  const base = dir ?? (await mkdtemp(join(tmpdir(), 'snapshot-bench-')));
  const file = join(base, 'snapshot');
  try {
    const head = fill(series, samples);
    gc();
    const before = memory();
    let start = process.hrtime.bigint();
    const capture = head.capture();
    const captureSeconds = seconds(start);
    gc();
    const captureBytes = memory() - before;

    start = process.hrtime.bigint();
    const stats = await writeHeadSnapshot(file, 42, [capture]);
    const writeSeconds = seconds(start);

    gc();
    start = process.hrtime.bigint();
    const loaded = await readHeadSnapshot(file, defaultHeadConfig(), nopLogger, () => new Registry());
    const loadSeconds = seconds(start);
    const copy = loaded.heads.get('bench')!;
    if (copy.numSeries !== head.numSeries || fingerprint(copy) !== fingerprint(head)) throw new Error('loaded head differs from the original');
    out({
      snapshot: {
        series,
        samplesPerSeries: samples,
        captureMs: Math.round(captureSeconds * 1000),
        captureBytesPerSeries: Math.round(captureBytes / series),
        writeSeconds: Number(writeSeconds.toFixed(2)),
        loadSeconds: Number(loadSeconds.toFixed(2)),
        fileBytes: stats.bytes,
        fileBytesPerSeries: Math.round(stats.bytes / series),
        writeMBps: Math.round(stats.bytes / 1e6 / writeSeconds),
        loadMBps: Math.round(stats.bytes / 1e6 / loadSeconds),
      },
    });
  } finally {
    if (dir === undefined) await rm(base, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 120), process.argv[4]).catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 1;
  });
}
