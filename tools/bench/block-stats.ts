import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Size of Prometheus TSDB blocks per sample, defined once for both sides:
 *
 *   bytesPerSample = Σ over blocks (size of every file under chunks/ + size of index) / Σ meta.json stats.numSamples
 *
 * meta.json and tombstones are left out (constant size, no data). `chunkBytesPerSample` is the
 * same with chunks only (the sample encoding, without the series index).
 */
export interface BlockStats {
  blocks: number;
  numSamples: number;
  numSeries: number;
  numChunks: number;
  chunkBytes: number;
  indexBytes: number;
  bytesPerSample: number;
  chunkBytesPerSample: number;
  minTimeMs: number;
  maxTimeMs: number;
}

interface BlockMeta {
  ulid: string;
  minTime: number;
  maxTime: number;
  stats?: { numSamples?: number; numSeries?: number; numChunks?: number };
}

/** Every directory under `root` (recursively, at most `depth` levels) that holds a meta.json. */
export function findBlockDirs(root: string, depth = 4): string[] {
  if (!existsSync(root)) return [];
  if (existsSync(join(root, 'meta.json')) && existsSync(join(root, 'index'))) return [root];
  if (depth === 0) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'wal' && e.name !== 'chunks_head')
    .flatMap((e) => findBlockDirs(join(root, e.name), depth - 1))
    .sort();
}

export function blockStats(dirs: readonly string[]): BlockStats {
  const out: BlockStats = {
    blocks: dirs.length,
    numSamples: 0,
    numSeries: 0,
    numChunks: 0,
    chunkBytes: 0,
    indexBytes: 0,
    bytesPerSample: NaN,
    chunkBytesPerSample: NaN,
    minTimeMs: Infinity,
    maxTimeMs: -Infinity,
  };
  for (const dir of dirs) {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as BlockMeta;
    out.numSamples += meta.stats?.numSamples ?? 0;
    out.numSeries += meta.stats?.numSeries ?? 0;
    out.numChunks += meta.stats?.numChunks ?? 0;
    out.minTimeMs = Math.min(out.minTimeMs, meta.minTime);
    out.maxTimeMs = Math.max(out.maxTimeMs, meta.maxTime);
    out.indexBytes += statSync(join(dir, 'index')).size;
    const chunks = join(dir, 'chunks');
    if (existsSync(chunks)) for (const f of readdirSync(chunks)) out.chunkBytes += statSync(join(chunks, f)).size;
  }
  if (out.numSamples > 0) {
    out.bytesPerSample = (out.chunkBytes + out.indexBytes) / out.numSamples;
    out.chunkBytesPerSample = out.chunkBytes / out.numSamples;
  }
  return out;
}
