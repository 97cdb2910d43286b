import { readFileSync, writeFileSync } from 'node:fs';
import { SteadyStateBodies } from './remote-write-bodies';
import { type Dataset, generateDataset, SCRAPE_INTERVAL_MS } from './series-model';

/**
 * The e2e load run's remote write bodies, built in a plain node process (`load-bodies.js`): under
 * Jest the same snappy compression runs about ten times slower, and the build would take longer
 * than the run. `series` active series, one sample per series per `intervalMs` for `windows`
 * intervals, as `SteadyStateBodies` lays them out; the sample times start at a `startMs` chosen
 * after timing one window, so that the whole build ends before window 0 is due.
 */
export interface LoadBodiesOptions {
  series: number;
  windows: number;
  intervalMs: number;
  maxSamplesPerRequest: number;
  seed: number;
}

export interface LoadBodies {
  startMs: number;
  groups: number;
  /** Series per metric name (what the verification expects per family). */
  families: [string, number][];
  /** Window-major, `groups` per window. */
  bodies: { body: Buffer; samples: number; rawBytes: number }[];
}

export function buildLoadBodies(o: LoadBodiesOptions): LoadBodies {
  const provisionalMs = Date.now();
  const ds = generateDataset({ series: o.series, samplesPerSeries: o.windows, seed: o.seed, startMs: provisionalMs });
  rescaleTimes(ds, provisionalMs, o.intervalMs);
  const layout = new SteadyStateBodies(ds, o.maxSamplesPerRequest, o.seed);
  const t0 = Date.now();
  layout.window(0);
  const startMs = Math.ceil((Date.now() + (Date.now() - t0) * o.windows * 1.5 + 10_000) / 1000) * 1000;
  for (let i = 0; i < ds.timestamps.length; i++) ds.timestamps[i] += startMs - provisionalMs;
  const bodies: LoadBodies['bodies'] = [];
  for (let w = 0; w < o.windows; w++) for (const b of layout.window(w)) bodies.push({ body: b.body, samples: b.samples, rawBytes: b.rawBytes });
  return { startMs, groups: layout.groups, families: [...familyCounts(ds)], bodies };
}

/** One file: a 4-byte header length, the header (JSON), then every body back to back. */
export function writeLoadBodies(file: string, b: LoadBodies): void {
  const header = Buffer.from(JSON.stringify({ ...b, bodies: b.bodies.map((x) => ({ samples: x.samples, rawBytes: x.rawBytes, length: x.body.length })) }));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(header.length);
  writeFileSync(file, Buffer.concat([size, header, ...b.bodies.map((x) => x.body)]));
}

export function readLoadBodies(file: string): LoadBodies {
  const all = readFileSync(file);
  const headerLength = all.readUInt32LE(0);
  const header = JSON.parse(all.subarray(4, 4 + headerLength).toString()) as Omit<LoadBodies, 'bodies'> & { bodies: { samples: number; rawBytes: number; length: number }[] };
  let at = 4 + headerLength;
  const bodies = header.bodies.map((x) => {
    const body = all.subarray(at, at + x.length);
    at += x.length;
    return { body, samples: x.samples, rawBytes: x.rawBytes };
  });
  return { ...header, bodies };
}

/** `load-bodies.js <options JSON> <file>`. */
export function main(args: string[]): number {
  const [json, file] = args;
  if (!json || !file) throw new Error('usage: load-bodies.js <options JSON> <output file>');
  writeLoadBodies(file, buildLoadBodies(JSON.parse(json) as LoadBodiesOptions));
  return 0;
}

/** Maps the model's 15 s scrape grid onto `intervalMs`, keeping each target's offset within the interval. */
function rescaleTimes(ds: Dataset, startMs: number, intervalMs: number): void {
  if (intervalMs === SCRAPE_INTERVAL_MS) return;
  const f = intervalMs / SCRAPE_INTERVAL_MS;
  for (let i = 0; i < ds.timestamps.length; i++) ds.timestamps[i] = startMs + Math.floor((ds.timestamps[i] - startMs) * f);
}

function familyCounts(ds: Dataset): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of ds.series) counts.set(s.values[0], (counts.get(s.values[0]) ?? 0) + 1);
  return counts;
}
