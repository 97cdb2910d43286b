import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ValidationError } from '@panoptes/common';
import { describeWithTool } from '@panoptes/testing';
import { BlockReader } from './block-reader';
import { compactBlocks, CompactionResult, defaultCompactionConfig, IncompatibleBlocksError } from './compact';
import { COMPACTOR_SHARD_ID_LABEL, LabelsShardHasher } from './compact-shard';
import { chunksOf, dumpBlock, samples, TestSeries, writeTestBlock } from './compact-test-util';
import { Labels } from './labels';
import { BlockMeta, SOURCE_COMPACTOR, TENANT_ID_EXTERNAL_LABEL } from './meta';

const run = promisify(execFile);

const T0 = 1_700_006_400_000; // a 2h boundary
const H2 = 2 * 3600_000;
const ULID = (c: string) => `01J00000000000000000000${c}`.padEnd(26, '0');

function labelsOf(i: number): Labels {
  return [
    ['__name__', ['http_requests_total', 'up', 'temperature_celsius'][i % 3]],
    ['instance', `host-${i}:9100`],
    ['job', i % 2 ? 'node' : 'api'],
  ];
}

/** `n` series with `k` samples every 15 s from `start`; values depend on (series, t) only, so replicas agree. */
function workload(n: number, k: number, start = T0, skip: (i: number, j: number) => boolean = () => false): TestSeries[] {
  return Array.from({ length: n }, (_, i) => {
    const s = samples(start, k, 15_000, (j) => i * 1000 + ((start - T0) / 15_000 + j) * 0.5);
    const keep = s.ts.map((_, j) => !skip(i, j));
    return { labels: labelsOf(i), ts: s.ts.filter((_, j) => keep[j]), vs: s.vs.filter((_, j) => keep[j]) };
  }).sort((a, b) => (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
}

/** The union of several inputs' samples by series, one per timestamp (inputs must agree on values). */
function union(...inputs: TestSeries[][]): Map<string, Array<[number, number]>> {
  const by = new Map<string, Map<number, number>>();
  for (const input of inputs) {
    for (const s of input) {
      const key = JSON.stringify(s.labels);
      const m = by.get(key) ?? new Map<number, number>();
      s.ts.forEach((t, i) => m.set(t, s.vs[i]));
      by.set(key, m);
    }
  }
  return new Map([...by].map(([k, m]) => [k, [...m].sort((a, b) => a[0] - b[0])]));
}

async function samplesByLabels(dir: string): Promise<Map<string, Array<[number, number]>>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const [k, rows] of await dumpBlock(dir)) out.set(k, rows.map(([t, bits]) => [t, Buffer.from(bits, 'hex').readDoubleLE(0)]));
  return out;
}

function sortedMap<V>(m: Map<string, V>): Array<[string, V]> {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

describe('compactBlocks', () => {
  let dir: string;
  let inDir: string;
  let outDir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'compact-'));
    inDir = join(dir, 'in');
    outDir = join(dir, 'out');
    await mkdir(inDir);
    await mkdir(outDir);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('vertical compaction', () => {
    it('merges three identical RF copies into one block with exactly one copy’s samples and chunk bytes', async () => {
      const series = workload(30, 300);
      const copies = await Promise.all(['A', 'B', 'C'].map((c) => writeTestBlock(inDir, series, { ulid: ULID(c) })));
      const res = await compactBlocks(
        copies.map((c) => c.dir),
        outDir,
      );
      expect(await dumpBlock(res.dir!)).toEqual(await dumpBlock(copies[0].dir));
      expect(await chunksOf(res.dir!)).toEqual(await chunksOf(copies[0].dir));
      expect(res.meta!.stats).toEqual(copies[0].meta.stats);
      expect(res.stats).toMatchObject({
        inputSeries: 90,
        outputSeries: 30,
        chunksCopied: copies[0].meta.stats.numChunks,
        chunksReencoded: 0,
        duplicateChunks: 2 * copies[0].meta.stats.numChunks,
      });
    });

    it.each([
      {
        name: 'two replicas that each missed different scrapes',
        blocks: () => [workload(10, 240, T0, (i, j) => (i + j) % 5 === 0), workload(10, 240, T0, (i, j) => (i + j) % 7 === 1)],
      },
      {
        name: 'partially overlapping time ranges',
        blocks: () => [workload(10, 300, T0), workload(10, 300, T0 + 150 * 15_000)],
      },
      {
        name: 'series present in one block only, shared ones identical (no re-encoding)',
        blocks: () => [workload(10, 200), workload(14, 200).slice(4)],
        reencodes: false,
      },
      {
        name: 'an out-of-order block inside the range of another',
        blocks: () => [workload(6, 480, T0, (_, j) => j >= 200 && j < 260), workload(6, 60, T0 + 200 * 15_000)],
      },
      {
        name: 'three blocks with differently cut chunks',
        blocks: () => [workload(5, 400, T0, (_, j) => j % 3 === 0), workload(5, 400, T0, (_, j) => j % 3 === 1), workload(5, 400, T0, (_, j) => j % 3 === 2)],
        samplesPerChunk: [120, 37, 90],
      },
    ])('merges overlapping blocks with different samples into their union ($name)', async ({ blocks, samplesPerChunk, reencodes }) => {
      const inputs = blocks();
      const written = await Promise.all(
        inputs.map((s, i) => writeTestBlock(inDir, s, { ulid: ULID(String.fromCharCode(65 + i)), samplesPerChunk: samplesPerChunk?.[i] })),
      );
      const res = await compactBlocks(
        written.map((w) => w.dir),
        outDir,
      );
      const want = union(...inputs);
      expect(sortedMap(await samplesByLabels(res.dir!))).toEqual(sortedMap(want));
      const r = await BlockReader.open(res.dir!);
      for (const s of r.allSeries()) {
        for (let i = 0; i < s.chunks.length; i++) {
          if (i > 0) expect(s.chunks[i].mint).toBeGreaterThan(s.chunks[i - 1].maxt);
          const data = r.chunk(s.chunks[i].ref).data;
          expect((data[0] << 8) | data[1]).toBeLessThanOrEqual(120);
        }
      }
      const total = [...want.values()].reduce((n, v) => n + v.length, 0);
      expect(res.meta!.stats).toMatchObject({ numSeries: want.size, numSamples: total });
      expect(res.stats.chunksReencoded > 0).toBe(reencodes ?? true);
    });

    it('produces the same block whatever order the inputs are passed in', async () => {
      const a = await writeTestBlock(inDir, workload(8, 200, T0, (_, j) => j % 2 === 0), { ulid: ULID('A') });
      const b = await writeTestBlock(inDir, workload(8, 200, T0 + 50 * 15_000), { ulid: ULID('B') });
      const r1 = await compactBlocks([a.dir, b.dir], join(dir, 'out'), { ulid: ULID('X') });
      const r2 = await compactBlocks([b.dir, a.dir], join(dir, 'out'), { ulid: ULID('Y') });
      expect(await chunksOf(r2.dir!)).toEqual(await chunksOf(r1.dir!));
      expect(r2.meta!.compaction).toEqual(r1.meta!.compaction);
    });
  });

  describe('horizontal compaction', () => {
    it('compacts adjacent 2h blocks into one 4h block, copying every chunk byte for byte', async () => {
      const first = workload(12, 480, T0);
      const second = workload(12, 480, T0 + H2);
      const a = await writeTestBlock(inDir, first, { ulid: ULID('A') });
      const b = await writeTestBlock(inDir, second, { ulid: ULID('B') });
      const res = await compactBlocks([a.dir, b.dir], outDir);
      expect(res.meta).toMatchObject({ minTime: a.meta.minTime, maxTime: b.meta.maxTime });
      const [ca, cb, out] = [await chunksOf(a.dir), await chunksOf(b.dir), await chunksOf(res.dir!)];
      expect(sortedMap(out)).toEqual(sortedMap(new Map([...ca].map(([k, v]) => [k, [...v, ...cb.get(k)!]]))));
      expect(res.stats).toMatchObject({ chunksReencoded: 0, overlapMerges: 0, chunksCopied: a.meta.stats.numChunks + b.meta.stats.numChunks });
      expect(res.meta!.stats.numSamples).toBe(a.meta.stats.numSamples + b.meta.stats.numSamples);
    });
  });

  describe('tombstones', () => {
    const series = workload(6, 360);
    const target = series[2];
    const targetKey = JSON.stringify(target.labels);
    const mid = target.ts[100];

    it.each([
      {
        name: 'a whole series',
        tombstones: [[{ series: 2, mint: -(2 ** 63), maxt: 2 ** 63 }]],
        want: (): number[] => [],
      },
      {
        name: 'a range inside one chunk',
        tombstones: [[{ series: 2, mint: mid, maxt: mid + 10 * 15_000 }]],
        want: (ts: number[]) => ts.filter((t) => t < mid || t > mid + 10 * 15_000),
      },
      {
        name: 'two ranges, one covering a whole chunk',
        tombstones: [[{ series: 2, mint: target.ts[120], maxt: target.ts[239] }, { series: 2, mint: target.ts[5], maxt: target.ts[5] }]],
        want: (ts: number[]) => ts.filter((t) => (t < target.ts[120] || t > target.ts[239]) && t !== target.ts[5]),
      },
      {
        name: 'a range deleted in every RF copy',
        copies: 3,
        tombstones: [[{ series: 2, mint: mid, maxt: mid + 60_000 }], [{ series: 2, mint: mid, maxt: mid + 60_000 }], [{ series: 2, mint: mid, maxt: mid + 60_000 }]],
        want: (ts: number[]) => ts.filter((t) => t < mid || t > mid + 60_000),
      },
      {
        name: 'a range deleted in one RF copy only (the others still hold it)',
        copies: 3,
        tombstones: [[{ series: 2, mint: mid, maxt: mid + 60_000 }], [], []],
        want: (ts: number[]) => ts,
      },
    ])('drops the samples of deleted intervals ($name)', async ({ tombstones, want, copies }) => {
      const blocks = await Promise.all(
        Array.from({ length: copies ?? 1 }, (_, i) => writeTestBlock(inDir, series, { ulid: ULID(String.fromCharCode(65 + i)), tombstones: tombstones[i] })),
      );
      const res = await compactBlocks(
        blocks.map((b) => b.dir),
        outDir,
      );
      const got = await samplesByLabels(res.dir!);
      const wantTs = want(target.ts);
      if (wantTs.length === 0) expect(got.has(targetKey)).toBe(false);
      else expect(got.get(targetKey)!.map(([t]) => t)).toEqual(wantTs);
      for (const s of series) if (s !== target) expect(got.get(JSON.stringify(s.labels))!.map(([t]) => t)).toEqual(s.ts);
      expect(await readFile(join(res.dir!, 'tombstones'))).toHaveLength(9);
    });

    it('drops the strings of a deleted series from the symbol table', async () => {
      const b = await writeTestBlock(inDir, series, { ulid: ULID('A'), tombstones: [{ series: 2, mint: -(2 ** 63), maxt: 2 ** 63 }] });
      const res = await compactBlocks([b.dir], outDir);
      const r = await BlockReader.open(res.dir!);
      const unique = target.labels.find(([n]) => n === 'instance')![1];
      expect((await BlockReader.open(b.dir)).index.symbols()).toContain(unique);
      expect(r.index.symbols()).not.toContain(unique);
      expect(res.meta!.stats.numSeries).toBe(series.length - 1);
    });

    it('writes no block when every series is deleted', async () => {
      const b = await writeTestBlock(inDir, series.slice(0, 2), {
        ulid: ULID('A'),
        tombstones: [0, 1].map((i) => ({ series: i, mint: -(2 ** 63), maxt: 2 ** 63 })),
      });
      const res = await compactBlocks([b.dir], outDir);
      expect(res).toMatchObject({ meta: null, dir: null, stats: { outputSeries: 0, deletedChunks: 6 } });
      expect(await readdir(outDir)).toEqual([]);
    });
  });

  describe('meta.json', () => {
    it('records level, sources, parents, time range, external labels and the compactor source', async () => {
      const ext = { [TENANT_ID_EXTERNAL_LABEL]: 'tenant-7' };
      const a = await writeTestBlock(inDir, workload(4, 100, T0), { ulid: ULID('A'), externalLabels: ext });
      const b = await writeTestBlock(inDir, workload(4, 100, T0 + H2), { ulid: ULID('B'), externalLabels: ext });
      const level2 = await compactBlocks([a.dir, b.dir], inDir, { ulid: ULID('C') });
      const c = await writeTestBlock(inDir, workload(4, 100, T0 + 2 * H2), { ulid: ULID('D'), externalLabels: ext });
      const d = await writeTestBlock(inDir, workload(4, 100, T0 + 2 * H2), { ulid: ULID('E'), externalLabels: ext });
      const res = await compactBlocks([d.dir, level2.dir!, c.dir], outDir, { ulid: ULID('F') });
      const meta = res.meta!;
      expect(level2.meta!.compaction).toEqual({
        level: 2,
        sources: [ULID('A'), ULID('B')],
        parents: [a, b].map((x) => ({ ulid: x.meta.ulid, minTime: x.meta.minTime, maxTime: x.meta.maxTime })),
      });
      expect(meta).toMatchObject({
        ulid: ULID('F'),
        minTime: a.meta.minTime,
        maxTime: d.meta.maxTime,
        version: 1,
        compaction: {
          level: 3,
          sources: [ULID('A'), ULID('B'), ULID('D'), ULID('E')],
          parents: [level2.meta!, c.meta, d.meta].map((x) => ({ ulid: x.ulid, minTime: x.minTime, maxTime: x.maxTime })),
        },
        thanos: { labels: ext, downsample: { resolution: 0 }, source: SOURCE_COMPACTOR, segment_files: ['000001'] },
      });
      expect(JSON.parse(await readFile(join(res.dir!, 'meta.json'), 'utf8'))).toEqual(meta);
      expect((await readdir(res.dir!)).sort()).toEqual(['chunks', 'index', 'meta.json', 'tombstones']);
    });

    it.each<{ name: string; labels: Array<Record<string, string> | undefined>; resolution?: number; reason: string }>([
      { name: 'different tenants', labels: [{ __org_id__: 't1' }, { __org_id__: 't2' }], reason: 'external_labels_mismatch' },
      { name: 'an extra external label', labels: [{ __org_id__: 't1' }, { __org_id__: 't1', replica: 'a' }], reason: 'external_labels_mismatch' },
      { name: 'a block without external labels', labels: [{ __org_id__: 't1' }, undefined], reason: 'external_labels_mismatch' },
      { name: 'different downsampling resolutions', labels: [{ __org_id__: 't1' }, { __org_id__: 't1' }], resolution: 300_000, reason: 'downsample_resolution_mismatch' },
    ])('refuses blocks that are not of one group ($name), writing nothing', async ({ labels, resolution, reason }) => {
      const readers: BlockReader[] = [];
      for (let i = 0; i < labels.length; i++) {
        const w = await writeTestBlock(inDir, workload(2, 10), { ulid: ULID(String.fromCharCode(65 + i)), externalLabels: labels[i] ?? {} });
        const r = await BlockReader.open(w.dir);
        const meta: BlockMeta = { ...r.meta, thanos: labels[i] ? { ...r.meta.thanos!, downsample: { resolution: i === 1 ? (resolution ?? 0) : 0 } } : undefined };
        readers.push(BlockReader.fromBuffers({ meta, index: await readFile(join(w.dir, 'index')), segments: [await readFile(join(w.dir, 'chunks', '000001'))] }));
      }
      const err = await compactBlocks(readers, outDir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IncompatibleBlocksError);
      expect((err as IncompatibleBlocksError).reason).toBe(reason);
      expect(await readdir(outDir)).toEqual([]);
    });

    it.each([
      { name: 'no inputs', inputs: () => [], options: {}, reason: 'no_input_blocks' },
      { name: 'the same block twice', inputs: (d: string) => [d, d], options: {}, reason: 'duplicate_input_block' },
      { name: 'a shard index without a shard count', inputs: (d: string) => [d], options: { shardIndex: 0 }, reason: 'invalid_compactor_shard' },
      { name: 'a shard index out of range', inputs: (d: string) => [d], options: { splitShards: 2, shardIndex: 2 }, reason: 'invalid_compactor_shard' },
      { name: 'chunks of 0 samples', inputs: (d: string) => [d], options: { config: { ...defaultCompactionConfig(), samplesPerChunk: 0 } }, reason: 'invalid_samples_per_chunk' },
    ])('rejects $name with a ValidationError', async ({ inputs, options, reason }) => {
      const a = await writeTestBlock(inDir, workload(2, 10), { ulid: ULID('A') });
      const err = await compactBlocks(inputs(a.dir), outDir, options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).reason).toBe(reason);
      expect(await readdir(outDir)).toEqual([]);
    });
  });

  describe('split shards', () => {
    const series = workload(40, 30);

    it('splits the series over n shards by labels.Hash() % n, each block labelled "<i+1>_of_<n>"', async () => {
      const a = await writeTestBlock(inDir, series, { ulid: ULID('A') });
      const b = await writeTestBlock(inDir, series, { ulid: ULID('B') });
      const hasher = new LabelsShardHasher();
      const results: CompactionResult[] = [];
      for (let i = 0; i < 3; i++) results.push(await compactBlocks([a.dir, b.dir], outDir, { splitShards: 3, shardIndex: i }));
      const all = new Map<string, Array<[number, number]>>();
      for (let i = 0; i < 3; i++) {
        const res = results[i];
        expect(res.meta!.thanos!.labels).toEqual({ [TENANT_ID_EXTERNAL_LABEL]: 'tenant-1', [COMPACTOR_SHARD_ID_LABEL]: `${i + 1}_of_3` });
        const r = await BlockReader.open(res.dir!);
        for (const s of r.allSeries()) expect(hasher.shardOf(s.labels, 3)).toBe(i);
        // Symbols of other shards' series are left out.
        const instances = r.index.symbols().filter((x) => x.startsWith('host-'));
        expect(instances).toHaveLength(res.meta!.stats.numSeries);
        for (const [k, v] of await samplesByLabels(res.dir!)) all.set(k, v);
        expect(res.stats.seriesOutsideShard).toBe(2 * (series.length - res.meta!.stats.numSeries));
      }
      expect(sortedMap(all)).toEqual(sortedMap(union(series)));
      expect(results.every((r) => r.meta!.stats.numSeries > 0)).toBe(true);
    });

    it('writes no block for a shard with no series', async () => {
      const one = series.slice(0, 1);
      const a = await writeTestBlock(inDir, one, { ulid: ULID('A') });
      const shard = new LabelsShardHasher().shardOf(one[0].labels, 2);
      const res = await compactBlocks([a.dir], outDir, { splitShards: 2, shardIndex: 1 - shard });
      expect(res.meta).toBeNull();
      expect(await readdir(outDir)).toEqual([]);
    });
  });

  describe('inputs, memory bounds and crash safety', () => {
    it('compacting a single block reproduces its index and chunks byte for byte', async () => {
      const a = await writeTestBlock(inDir, workload(25, 250), { ulid: ULID('A') });
      const res = await compactBlocks([a.dir], outDir);
      expect((await readFile(join(res.dir!, 'index'))).equals(await readFile(join(a.dir, 'index')))).toBe(true);
      expect((await readFile(join(res.dir!, 'chunks', '000001'))).equals(await readFile(join(a.dir, 'chunks', '000001')))).toBe(true);
    });

    it('writes the same block from BlockReaders (with tombstones passed in) as from directories', async () => {
      const series = workload(10, 200);
      const a = await writeTestBlock(inDir, series, { ulid: ULID('A'), tombstones: [{ series: 3, mint: series[3].ts[10], maxt: series[3].ts[50] }] });
      const b = await writeTestBlock(inDir, workload(10, 200, T0 + 100 * 15_000), { ulid: ULID('B') });
      const fromDirs = await compactBlocks([a.dir, b.dir], join(dir, 'out'), { ulid: ULID('X') });
      const ra = await BlockReader.open(a.dir);
      const ref = ra.index.allPostings()[3];
      const fromReaders = await compactBlocks(
        [{ reader: ra, tombstones: [{ seriesRef: ref, mint: series[3].ts[10], maxt: series[3].ts[50] }] }, await BlockReader.open(b.dir)],
        join(dir, 'out'),
        { ulid: ULID('Y') },
      );
      for (const f of ['index', 'chunks/000001']) {
        expect((await readFile(join(fromReaders.dir!, f))).equals(await readFile(join(fromDirs.dir!, f)))).toBe(true);
      }
    });

    it('writes the same block with tiny postings batches, read windows and segments (the bounded-memory paths)', async () => {
      const a = await writeTestBlock(inDir, workload(30, 200, T0, (i, j) => (i + j) % 4 === 0), { ulid: ULID('A') });
      const b = await writeTestBlock(inDir, workload(30, 200, T0, (i, j) => (i + j) % 4 === 1), { ulid: ULID('B') });
      const normal = await compactBlocks([a.dir, b.dir], join(dir, 'out'), { ulid: ULID('X') });
      const tiny = await compactBlocks([a.dir, b.dir], join(dir, 'out'), {
        ulid: ULID('Y'),
        config: { ...defaultCompactionConfig(), postingsBatchEntries: 3, readWindowBytes: 64, maxSegmentBytes: 4096 },
      });
      expect((await readdir(join(tiny.dir!, 'chunks'))).length).toBeGreaterThan(1);
      expect(tiny.meta!.thanos!.segment_files!.length).toBe((await readdir(join(tiny.dir!, 'chunks'))).length);
      expect(await samplesByLabels(tiny.dir!)).toEqual(await samplesByLabels(normal.dir!));
      expect(await chunksOf(tiny.dir!)).toEqual(await chunksOf(normal.dir!));
    });

    it('removes the partial block when aborted and leaves no directory behind', async () => {
      const a = await writeTestBlock(inDir, workload(5, 50), { ulid: ULID('A') });
      const ctl = new AbortController();
      ctl.abort(new Error('compactor stopping'));
      await expect(compactBlocks([a.dir], outDir, { signal: ctl.signal })).rejects.toThrow('compactor stopping');
      expect(await readdir(outDir)).toEqual([]);
    });

    it('refuses to overwrite an existing block and replaces a leftover .tmp-for-creation directory', async () => {
      const a = await writeTestBlock(inDir, workload(5, 50), { ulid: ULID('A') });
      await mkdir(join(outDir, `${ULID('X')}.tmp-for-creation`, 'chunks'), { recursive: true });
      const first = await compactBlocks([a.dir], outDir, { ulid: ULID('X') });
      expect(await readdir(outDir)).toEqual([ULID('X')]);
      expect(first.meta!.stats.numSeries).toBe(5);
      const err = await compactBlocks([a.dir], outDir, { ulid: ULID('X') }).catch((e: unknown) => e);
      expect((err as ValidationError).reason).toBe('block_exists');
    });

    it('rejects an input whose chunk lies outside its block’s time range', async () => {
      const w = await writeTestBlock(inDir, workload(2, 10), { ulid: ULID('A') });
      const r = await BlockReader.open(w.dir);
      const bad = BlockReader.fromBuffers({
        meta: { ...r.meta, maxTime: r.meta.maxTime - 15_000 },
        index: await readFile(join(w.dir, 'index')),
        segments: [await readFile(join(w.dir, 'chunks', '000001'))],
      });
      await expect(compactBlocks([bad], outDir)).rejects.toThrow(/outside the block's range/);
      expect(await readdir(outDir)).toEqual([]);
    });
  });
});

describeWithTool('promtool', 'compactBlocks output read by Prometheus 2.42', (promtool) => {
  jest.setTimeout(60_000);
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'compact-promtool-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A directory promtool can open as a TSDB (it wants a WAL directory) holding one block. */
  async function db(name: string): Promise<string> {
    const d = join(dir, name);
    await mkdir(join(d, 'wal'), { recursive: true });
    return d;
  }

  async function dump(dbDir: string): Promise<string[]> {
    const { stdout } = await run(promtool, ['tsdb', 'dump', `--min-time=${T0 - H2}`, `--max-time=${T0 + 4 * H2}`, dbDir], { maxBuffer: 64 << 20 });
    return stdout.split('\n').filter((l) => l !== '');
  }

  async function analyze(dbDir: string, ulid: string): Promise<string> {
    const { stdout } = await run(promtool, ['tsdb', 'analyze', dbDir, ulid], { maxBuffer: 16 << 20 });
    return stdout;
  }

  it('dumps exactly the samples of one RF copy from the merge of three, and analyzes it', async () => {
    const series = workload(20, 300);
    const one = await db('one-copy');
    const inputs = join(dir, 'rf-inputs');
    await mkdir(inputs);
    await writeTestBlock(one, series, { ulid: ULID('A') });
    const copies = await Promise.all(['A', 'B', 'C'].map((c) => writeTestBlock(inputs, series, { ulid: ULID(c) })));
    const out = await db('rf-out');
    const res = await compactBlocks(
      copies.map((c) => c.dir),
      out,
    );
    const lines = await dump(out);
    expect(lines).toHaveLength(20 * 300);
    expect(lines).toEqual(await dump(one));
    const report = await analyze(out, res.meta!.ulid);
    expect(report).toContain(`Block ID: ${res.meta!.ulid}`);
    expect(report).toMatch(/^Series: 20$/m);
  });

  it('applies tombstones the way Prometheus reads them: the compacted block dumps like the input with its tombstones', async () => {
    const series = workload(8, 300);
    const input = await db('tomb-in');
    const w = await writeTestBlock(input, series, {
      ulid: ULID('A'),
      tombstones: [
        { series: 1, mint: series[1].ts[30], maxt: series[1].ts[150] },
        { series: 4, mint: -(2 ** 63), maxt: 2 ** 63 },
        { series: 6, mint: series[6].ts[0], maxt: series[6].ts[0] },
      ],
    });
    const out = await db('tomb-out');
    const res = await compactBlocks([w.dir], out);
    const got = await dump(out);
    expect(got).toEqual(await dump(input));
    expect(got.length).toBe(8 * 300 - 121 - 300 - 1);
    expect(await analyze(out, res.meta!.ulid)).toMatch(/^Series: 7$/m);
  });

  it.each([
    { name: 'horizontal (two adjacent 2h blocks)', make: () => [workload(15, 480, T0), workload(15, 480, T0 + H2)] },
    { name: 'vertical with different samples', make: () => [workload(15, 300, T0, (_, j) => j % 2 === 0), workload(15, 300, T0 + 100 * 15_000)] },
  ])('passes `promtool tsdb analyze` and dumps the union ($name)', async ({ name, make }) => {
    const inputs = make();
    const inDir = join(dir, `in-${name.length}`);
    await mkdir(inDir, { recursive: true });
    const blocks = await Promise.all(inputs.map((s, i) => writeTestBlock(inDir, s, { ulid: ULID(String.fromCharCode(65 + i)) })));
    const out = await db(`out-${name.length}`);
    const res = await compactBlocks(
      blocks.map((b) => b.dir),
      out,
    );
    expect(await analyze(out, res.meta!.ulid)).toMatch(/^Series: 15$/m);
    const want = union(...inputs);
    expect(await dump(out)).toHaveLength([...want.values()].reduce((n, v) => n + v.length, 0));
  });

  it('passes `promtool tsdb analyze` on each split shard', async () => {
    const inDir = join(dir, 'split-in');
    await mkdir(inDir);
    const a = await writeTestBlock(inDir, workload(30, 60), { ulid: ULID('A') });
    let total = 0;
    for (let i = 0; i < 2; i++) {
      const out = await db(`split-${i}`);
      const res = await compactBlocks([a.dir], out, { splitShards: 2, shardIndex: i });
      expect(await analyze(out, res.meta!.ulid)).toContain(`Block ID: ${res.meta!.ulid}`);
      total += (await dump(out)).length;
    }
    expect(total).toBe(30 * 60);
  });
});
