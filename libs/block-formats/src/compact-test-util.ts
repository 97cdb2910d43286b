// Helpers for the compaction specs (test-only; not exported from index.ts).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockReader } from './block-reader';
import { BlockWriter, defaultBlockWriterConfig } from './block-writer';
import { encodeTombstones } from './compact-tombstones';
import { Labels } from './labels';
import { BlockMeta } from './meta';
import { Tombstone } from './tombstones';
import { bitsOf } from './test-util';

export interface TestSeries {
  labels: Labels;
  ts: number[];
  vs: number[];
}

export interface TestBlockOptions {
  ulid: string;
  externalLabels?: Record<string, string>;
  samplesPerChunk?: number;
  /** Tombstones by the series' position in the block's sorted series list (refs are assigned on write). */
  tombstones?: Array<{ series: number; mint: number; maxt: number }>;
}

/** Writes a block with BlockWriter under `parent`; returns its directory and meta. */
export async function writeTestBlock(parent: string, series: readonly TestSeries[], o: TestBlockOptions): Promise<{ dir: string; meta: BlockMeta }> {
  const w = new BlockWriter({ ...defaultBlockWriterConfig(), samplesPerChunk: o.samplesPerChunk ?? 120 }, parent, {
    ulid: o.ulid,
    externalLabels: o.externalLabels ?? { __org_id__: 'tenant-1' },
  });
  for (const s of series) await w.addSeries(s.labels, Float64Array.from(s.ts), Float64Array.from(s.vs));
  const meta = await w.finish();
  const dir = join(parent, o.ulid);
  if (o.tombstones && o.tombstones.length > 0) {
    const reader = await BlockReader.open(dir);
    const refs = [...reader.index.allPostings()];
    const ts: Tombstone[] = o.tombstones.map((t) => ({ seriesRef: refs[t.series], mint: t.mint, maxt: t.maxt }));
    await writeFile(join(dir, 'tombstones'), encodeTombstones(ts));
  }
  return { dir, meta };
}

/** Every series of a block as `labels → [t, value bits]` lines, in block order. */
export async function dumpBlock(dir: string): Promise<Map<string, Array<[number, string]>>> {
  const r = await BlockReader.open(dir);
  const out = new Map<string, Array<[number, string]>>();
  for (const s of r.allSeries()) {
    const { timestamps, values } = r.samples(s.ref);
    const bits = bitsOf(values);
    out.set(
      JSON.stringify(s.labels),
      Array.from(timestamps, (t, i) => [t, bits[i]]),
    );
  }
  return out;
}

/** Chunks of every series: `labels → [mint, maxt, hex bytes][]`. */
export async function chunksOf(dir: string): Promise<Map<string, Array<[number, number, string]>>> {
  const r = await BlockReader.open(dir);
  const out = new Map<string, Array<[number, number, string]>>();
  for (const s of r.allSeries()) {
    out.set(
      JSON.stringify(s.labels),
      s.chunks.map((c) => [c.mint, c.maxt, Buffer.from(r.chunk(c.ref).data).toString('hex')]),
    );
  }
  return out;
}

/** `n` samples from `start`, every `step` ms, values from `value(i)`. */
export function samples(start: number, n: number, step: number, value: (i: number) => number = (i) => i): { ts: number[]; vs: number[] } {
  const ts: number[] = [];
  const vs: number[] = [];
  for (let i = 0; i < n; i++) {
    ts.push(start + i * step);
    vs.push(value(i));
  }
  return { ts, vs };
}
