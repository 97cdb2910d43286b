import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { encodeTime } from 'ulid';
import { BlockMeta, BlockReader, BlockWriter, Labels, defaultBlockWriterConfig } from '@panoptes/block-formats';
import { InMemoryBucket } from '@panoptes/bucket';
import { SeriesDeletionStore, blockDataFiles, defaultSeriesDeletionStoreConfig, downloadBlock, readBucketIndex, uploadBlock } from '@panoptes/bucket-index';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { BlocksCleaner } from './blocks-cleaner';
import { Compactor } from './compactor';
import { CompactionJobRunner } from './job-runner';
import { defaultCompactionPlannerConfig } from './planner-config';
import { SeriesDeletions, defaultSeriesDeletionsConfig } from './series-deletions';

const H = 3_600_000;
const M = 60_000;
const DAY = Date.UTC(2024, 5, 1);
const T = 'team-d';
const MADE = DAY + 4 * H;
const START = DAY - H;
const END = DAY + H;
const series = (job: string): Labels => [
  ['__name__', 'm'],
  ['job', job],
];

/** Writes a block of `m{job="a"}` and `m{job="b"}` with a sample every `stepMs` in [from, to), and uploads it. */
async function putBlock(
  bucket: InMemoryBucket,
  dir: string,
  o: { from: number; to: number; stepMs: number; mintedAt: number; level?: number; source?: string; n?: number },
): Promise<BlockMeta> {
  const id = encodeTime(o.mintedAt, 10) + String(o.n ?? 0).padStart(16, '0');
  const writer = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: id, externalLabels: { __org_id__: T }, source: o.source ?? 'receive' });
  const n = (o.to - o.from) / o.stepMs;
  const ts = Float64Array.from({ length: n }, (_, i) => o.from + i * o.stepMs);
  for (const [job, base] of [['a', 0], ['b', 1e6]] as const) await writer.addSeries(series(job), ts, Float64Array.from(ts, (_, i) => base + i));
  const written = await writer.finish();
  const meta = { ...written, compaction: { ...written.compaction, level: o.level ?? 1 } };
  await uploadBlock(bucket, T, await blockDataFiles(writer.dir, id), meta, nopLogger);
  return meta;
}

/** Every sample of the block as `<job> <t>`, sorted. */
async function samplesOf(bucket: InMemoryBucket, id: string, dir: string): Promise<Map<string, number[]>> {
  const local = join(dir, 'check', id);
  await downloadBlock(bucket, T, id, local);
  const reader = await BlockReader.open(local);
  const out = new Map<string, number[]>();
  for (const ref of reader.index.allPostings()) {
    const s = reader.samples(ref);
    out.set(s.labels.find(([n]) => n === 'job')![1], [...s.timestamps]);
  }
  return out;
}

describe('series deletion at compaction', () => {
  let dir: string;
  let clock: FakeClock;
  let bucket: InMemoryBucket;
  let store: SeriesDeletionStore;
  let compactor: Compactor;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'compactor-deletion-'));
    clock = new FakeClock(DAY + 3 * H);
    bucket = new InMemoryBucket('memory', clock);
    const registry = new Registry();
    store = new SeriesDeletionStore(defaultSeriesDeletionStoreConfig(), bucket, clock, nopLogger);
    const deletions = new SeriesDeletions(defaultSeriesDeletionsConfig(), store, clock, nopLogger, registry);
    const cleaner = new BlocksCleaner({ deletionDelayMs: 0, partialBlockDeletionDelayMs: 0 }, bucket, () => 0, clock, nopLogger, registry);
    const runner = new CompactionJobRunner({ workDir: join(dir, 'work') }, bucket, clock, nopLogger, registry, store);
    compactor = new Compactor({ compactionIntervalMs: M, planner: defaultCompactionPlannerConfig() }, bucket, cleaner, runner, () => true, clock, nopLogger, registry, () => true, deletions);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rewrites the blocks no merge takes (a top-level block, a lone block) without the deleted samples, then marks the request processed and later removes it', async () => {
    const top = await putBlock(bucket, join(dir, 'top'), { from: DAY - 24 * H, to: DAY, stepMs: M, mintedAt: DAY + H, level: 3, source: 'compactor' });
    const lone = await putBlock(bucket, join(dir, 'lone'), { from: DAY, to: DAY + 2 * H, stepMs: 15_000, mintedAt: DAY + 2 * H + 5 * M });
    await clock.advance(MADE - clock.now());
    const request = await store.create(T, ['m{job="a"}'], START, END);

    await clock.advance(10 * M);
    await compactor.runCycle();

    const index = await readBucketIndex(bucket, T);
    const blocks = [...index.blocks].sort((a, b) => a.minTime - b.minTime);
    expect(blocks.map((b) => ({ min: b.minTime, max: b.maxTime, level: b.compactionLevel, source: b.source }))).toEqual([
      { min: top.minTime, max: top.maxTime, level: 3, source: 'compactor' },
      { min: lone.minTime, max: lone.maxTime, level: 1, source: 'compactor' },
    ]);
    expect(blocks.map((b) => b.id)).not.toContain(top.ulid);
    expect(blocks.map((b) => b.id)).not.toContain(lone.ulid);
    const [newTop, newLone] = await Promise.all(blocks.map((b) => samplesOf(bucket, b.id, dir)));
    expect(newTop.get('b')).toHaveLength(24 * 60);
    expect(newTop.get('a')).toEqual(Array.from({ length: 23 * 60 }, (_, i) => DAY - 24 * H + i * M));
    expect(newLone.get('b')).toHaveLength(2 * 240);
    expect(newLone.get('a')).toEqual(Array.from({ length: 240 - 1 }, (_, i) => END + 15_000 + i * 15_000));
    expect((await store.get(T, request.id)).state).toBe('pending');

    // Applied everywhere, but not before every sample written before it has left the ingesters.
    await clock.advance(13 * H);
    await compactor.runCycle();
    expect((await store.get(T, request.id)).state).toBe('pending');
    await clock.advance(2 * H);
    await compactor.runCycle();
    expect(await store.get(T, request.id)).toMatchObject({ state: 'processed', processedAt: clock.now() });
    expect((await readBucketIndex(bucket, T)).blocks.map((b) => b.id)).toEqual(index.blocks.map((b) => b.id));

    await clock.advance(24 * H);
    await compactor.runCycle();
    expect(await store.list(T)).toEqual([]);
  });

  it('applies the request in the merge of RF copies instead of rewriting them one by one', async () => {
    for (const n of [1, 2]) await putBlock(bucket, join(dir, `copy${n}`), { from: DAY, to: DAY + 2 * H, stepMs: 15_000, mintedAt: DAY + 2 * H + 5 * M, n });
    await clock.advance(MADE - clock.now());
    await store.create(T, ['m{job="a"}'], START, END);

    await clock.advance(10 * M);
    await compactor.runCycle();

    const index = await readBucketIndex(bucket, T);
    expect(index.blocks.map((b) => b.compactionLevel)).toEqual([2]);
    const samples = await samplesOf(bucket, index.blocks[0].id, dir);
    expect(samples.get('a')).toHaveLength(240 - 1);
    expect(samples.get('b')).toHaveLength(2 * 240);
  });

  it('leaves blocks of other tenants, series and time ranges untouched', async () => {
    const block = await putBlock(bucket, join(dir, 'old'), { from: DAY - 48 * H, to: DAY - 24 * H, stepMs: M, mintedAt: DAY - 23 * H, level: 3, source: 'compactor' });
    await clock.advance(MADE - clock.now());
    await store.create(T, ['m{job="a"}'], START, END);
    await store.create('other', ['m'], DAY - 48 * H, DAY);

    await clock.advance(10 * M);
    await compactor.runCycle();

    expect((await readBucketIndex(bucket, T)).blocks.map((b) => b.id)).toEqual([block.ulid]);
  });

  it('removes the requests of a deleted tenant with its blocks', async () => {
    await putBlock(bucket, join(dir, 'lone'), { from: DAY, to: DAY + 2 * H, stepMs: 15_000, mintedAt: DAY + 2 * H + 5 * M });
    await store.create(T, ['m{job="a"}'], START, END);
    await compactor.cleaner.requestTenantDeletion(T);
    await compactor.runCycle();
    expect(await store.list(T)).toEqual([]);
    expect(await compactor.cleaner.tenantDeletionFinished(T)).toBe(true);
  });
});
