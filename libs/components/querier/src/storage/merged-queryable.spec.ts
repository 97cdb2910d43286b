import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Labels, labelsString, XorChunkIterator } from '@panoptes/block-formats';
import { BucketIndexLoader, defaultBucketIndexLoaderConfig, defaultSeriesDeletionStoreConfig, SeriesDeletionStore } from '@panoptes/bucket-index';
import { FakeClock, UnavailableError, UnprocessableError } from '@panoptes/common';
import { defaultIngesterClientPoolConfig, IngesterClientPool } from '@panoptes/ingester-client';
import { nopLogger } from '@panoptes/log';
import type { EncodedChunk, SelectHints, StoredSeries } from '@panoptes/promql';
import { Matcher } from '@panoptes/tsdb';
import { Registry } from 'prom-client';
import { BlocksQueryable } from './blocks-queryable';
import { defaultQuerierStorageConfig, type QuerierStorageConfig } from './config';
import type { IngesterReadTopology } from './ingester-topology';
import { IngestersQueryable } from './ingesters-queryable';
import { MergedQueryable } from './merged-queryable';
import { BlockFactory, CountingBucket, samplesBetween, type TestSeries, writeIndex, xorChunk } from './testing/blocks';
import { FakeIngester } from './testing/fake-ingester';

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 1);
const TENANT = 't1';
const up = (job: string): Labels => [
  ['__name__', 'up'],
  ['job', job],
];
const shipped = xorChunk(samplesBetween(NOW - 14 * HOUR, NOW - 12.5 * HOUR, 60_000)); // in a block and still in the ingester
const older = xorChunk(samplesBetween(NOW - 16 * HOUR, NOW - 14 * HOUR - 60_000, 60_000));
const recent = xorChunk(samplesBetween(NOW - 2 * HOUR, NOW - HOUR, 60_000));
const hints = (start: number, end: number): SelectHints => ({ start, end, step: 0, range: 0 });
const show = (list: readonly (StoredSeries | TestSeries)[]) =>
  list.map((s) => ({ labels: labelsString(s.labels), chunks: s.chunks.map((c: EncodedChunk) => `${c.minT}-${c.maxT}:${Buffer.from(c.data).toString('hex')}`) }));

async function collect<T>(it: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('MergedQueryable: ingesters for recent data, blocks for older data', () => {
  const ingester = new FakeIngester();
  const pool = new IngesterClientPool(defaultIngesterClientPoolConfig(), undefined, nopLogger, new Registry());
  const factory = new BlockFactory();
  let topology: IngesterReadTopology;
  let bucket: CountingBucket;
  let syncDir: string;
  const clock = new FakeClock(NOW);

  const merged = (overrides: Partial<QuerierStorageConfig> = {}): MergedQueryable => {
    const config = { ...defaultQuerierStorageConfig(), syncDir, ...overrides };
    const registry = new Registry();
    const loader = new BucketIndexLoader({ ...defaultBucketIndexLoaderConfig(), maxStalePeriodMs: 0 }, bucket, clock, nopLogger, registry);
    return new MergedQueryable(
      config,
      new IngestersQueryable(config, topology, pool, clock, nopLogger, registry),
      new BlocksQueryable(config, bucket, loader, clock, nopLogger, registry),
      nopLogger,
      registry,
    );
  };

  beforeAll(async () => {
    const addr = await ingester.start();
    topology = { readPlan: () => ({ kind: 'replication-set', instances: [{ id: 'ingester-0', addr, zone: '' }], maxErrors: 0, maxUnavailableZones: 0 }) };
    await factory.init();
  });
  afterAll(async () => {
    pool.close();
    await ingester.stop();
    await factory.cleanup();
  });
  beforeEach(async () => {
    syncDir = await mkdtemp(join(tmpdir(), 'querier-merged-'));
    bucket = new CountingBucket();
    ingester.seriesByTenant.clear();
    ingester.requests.length = 0;
    ingester.failure = undefined;
  });
  afterEach(async () => {
    await rm(syncDir, { recursive: true, force: true });
  });

  it('merges a series found in both sources into one, sorted with the series found in only one', async () => {
    ingester.holds(TENANT, [
      { labels: up('api'), chunks: [shipped, recent] },
      { labels: up('new'), chunks: [recent] },
    ]);
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, [{ labels: up('api'), chunks: [older, shipped] }, { labels: up('gone'), chunks: [older] }])], NOW);
    const got = await collect(merged().querier(TENANT, NOW - 24 * HOUR, NOW).select([new Matcher('=', '__name__', 'up')], hints(NOW - 24 * HOUR, NOW)));
    expect(show(got)).toEqual(
      show([
        { labels: up('api'), chunks: [older, shipped, recent] },
        { labels: up('gone'), chunks: [older] },
        { labels: up('new'), chunks: [recent] },
      ]),
    );
  });

  it.each([
    { name: 'a query of old data does not call the ingesters', from: NOW - 48 * HOUR, to: NOW - 47 * HOUR, ingesters: false, bucket: true },
    { name: 'a query of recent data does not read the bucket', from: NOW - HOUR, to: NOW, ingesters: true, bucket: false },
    { name: 'a query spanning both ranges asks both', from: NOW - 48 * HOUR, to: NOW, ingesters: true, bucket: true },
  ])('$name', async ({ from, to, ingesters, bucket: readsBucket }) => {
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, [{ labels: up('api'), chunks: [older] }])], NOW);
    bucket.reads.length = 0;
    await collect(merged().querier(TENANT, from, to).select([new Matcher('=', '__name__', 'up')], hints(from, to)));
    expect(ingester.requests.length > 0).toBe(ingesters);
    expect(bucket.reads.length > 0).toBe(readsBucket);
  });

  it.each([
    { name: 'three distinct series over a limit of two fail the query', blockJobs: ['b', 'c'], ok: false },
    { name: 'a series in both sources counts once', blockJobs: ['a', 'b'], ok: true },
  ])('shares one series limit between the sources: $name', async ({ blockJobs, ok }) => {
    ingester.holds(TENANT, [{ labels: up('a'), chunks: [shipped] }]);
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, blockJobs.map((j) => ({ labels: up(j), chunks: [older] })))], NOW);
    const pending = collect(merged({ maxFetchedSeriesPerQuery: 2 }).querier(TENANT, NOW - 24 * HOUR, NOW).select([new Matcher('=', '__name__', 'up')], hints(NOW - 24 * HOUR, NOW)));
    if (ok) expect(await pending).toHaveLength(2);
    else await expect(pending).rejects.toThrow(UnprocessableError);
  });

  it('answers label names, label values and series as sorted unions of both sources', async () => {
    ingester.holds(TENANT, [{ labels: [['__name__', 'up'], ['zone', 'eu']], chunks: [recent] }]);
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, [{ labels: up('api'), chunks: [older] }])], NOW);
    const q = merged().querier(TENANT, NOW - 24 * HOUR, NOW);
    expect(await q.labelNames([])).toEqual(['__name__', 'job', 'zone']);
    expect(await q.labelValues('__name__', [])).toEqual(['up']);
    expect(await q.series([[new Matcher('=', '__name__', 'up')]])).toEqual([up('api'), [['__name__', 'up'], ['zone', 'eu']]]);
  });

  it('drops the samples of a pending series deletion from what both sources return, and nothing else', async () => {
    ingester.holds(TENANT, [
      { labels: up('api'), chunks: [shipped, recent] },
      { labels: up('new'), chunks: [recent] },
    ]);
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, [{ labels: up('api'), chunks: [older, shipped] }, { labels: up('gone'), chunks: [older] }])], NOW);
    const store = new SeriesDeletionStore(defaultSeriesDeletionStoreConfig(), bucket, clock, nopLogger);
    const queryable = merged();
    const select = async () => collect(queryable.querier(TENANT, NOW - 24 * HOUR, NOW).select([new Matcher('=', '__name__', 'up')], hints(NOW - 24 * HOUR, NOW)));
    const before = await select();

    queryable.setSeriesDeletions(store);
    // [NOW-15h, NOW-1.5h]: the end of the block-only chunk, the chunk in both sources, the start of the ingester-only chunk.
    await store.create(TENANT, ['up{job="api"}'], NOW - 15 * HOUR, NOW - 1.5 * HOUR);
    const after = await select();

    const times = (list: StoredSeries[], job: string): number[] => {
      const out: number[] = [];
      for (const c of list.find((s) => s.labels[1][1] === job)!.chunks) for (const it = new XorChunkIterator(c.data); it.next(); ) out.push(it.t);
      return out;
    };
    const kept = times(before, 'api').filter((t) => t < NOW - 15 * HOUR || t > NOW - 1.5 * HOUR);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(times(before, 'api').length);
    expect(times(after, 'api')).toEqual(kept);
    expect(after.filter((s) => s.labels[1][1] !== 'api')).toEqual(before.filter((s) => s.labels[1][1] !== 'api'));
  });

  it('fails the query when a source fails, even if the other answered', async () => {
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, [{ labels: up('api'), chunks: [older] }])], NOW);
    ingester.failure = new UnavailableError('ingester_stopping', 'ingester is stopping');
    const err = await collect(merged().querier(TENANT, NOW - 24 * HOUR, NOW).select([new Matcher('=', '__name__', 'up')], hints(NOW - 24 * HOUR, NOW))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ reason: 'ingesters_unavailable' });
  });
});
