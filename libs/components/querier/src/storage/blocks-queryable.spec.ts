import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockReader, type BlockMeta, encodeTombstones, type Labels, labelsString } from '@panoptes/block-formats';
import { BucketIndexLoader, defaultBucketIndexLoaderConfig } from '@panoptes/bucket-index';
import { FakeClock, httpStatusOf, UnavailableError, UnprocessableError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import type { EncodedChunk, SelectHints, StoredSeries } from '@panoptes/promql';
import { Matcher } from '@panoptes/tsdb';
import { Registry } from 'prom-client';
import { BlocksQueryable } from './blocks-queryable';
import { defaultQuerierStorageConfig, type QuerierStorageConfig } from './config';
import { BlockFactory, CountingBucket, samplesBetween, type TestSeries, writeIndex, xorChunk } from './testing/blocks';

const HOUR = 3_600_000;
const MIN = 60_000;
const NOW = Date.UTC(2024, 5, 1);
const T = NOW - 48 * HOUR; // old data: read from blocks
const TENANT = 'tenant-a';

const series = (name: string, job: string, extra: [string, string][] = []): Labels =>
  [['__name__', name], ['job', job], ...extra].sort((a, b) => (a[0] < b[0] ? -1 : 1)) as unknown as Labels;
const c1 = xorChunk(samplesBetween(T, T + 10 * MIN, 15_000));
const c2 = xorChunk(samplesBetween(T + 10 * MIN + 15_000, T + 20 * MIN, 15_000));
const c2b = xorChunk(samplesBetween(T + 10 * MIN + 30_000, T + 20 * MIN, 30_000));
const c3 = xorChunk(samplesBetween(T, T + 20 * MIN, 60_000, 1));
const c4 = xorChunk(samplesBetween(T + 5 * MIN, T + 25 * MIN, 60_000, 2));
const upApi: TestSeries = { labels: series('up', 'api'), chunks: [c1, c2] };
const upWeb: TestSeries = { labels: series('up', 'web'), chunks: [c3] };
const cpuApi: TestSeries = { labels: series('cpu', 'api', [['mode', 'idle']]), chunks: [c4] };

const hints = (start = T - HOUR, end = T + HOUR): SelectHints => ({ start, end, step: 0, range: 0 });
const show = (list: readonly StoredSeries[] | readonly TestSeries[]) =>
  list.map((s) => ({ labels: labelsString(s.labels), chunks: s.chunks.map((c: EncodedChunk) => ({ minT: c.minT, maxT: c.maxT, data: Buffer.from(c.data).toString('hex') })) }));

async function collect<T>(it: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('BlocksQueryable over an in-memory bucket', () => {
  const factory = new BlockFactory();
  let syncDir: string;
  let bucket: CountingBucket;
  let clock: FakeClock;
  let loader: BucketIndexLoader;
  let registry: Registry;

  const queryable = (overrides: Partial<QuerierStorageConfig> = {}): BlocksQueryable => {
    registry = new Registry();
    return new BlocksQueryable({ ...defaultQuerierStorageConfig(), syncDir, ...overrides }, bucket, loader, clock, nopLogger, registry);
  };
  const upload = async (list: TestSeries[], opts: { maxSegmentBytes?: number } = {}): Promise<BlockMeta> => factory.upload(bucket, TENANT, list, opts);
  const metric = async (name: string): Promise<string> => (await registry.getSingleMetricAsString(name)) ?? '';

  beforeAll(async () => {
    await factory.init();
  });
  afterAll(async () => {
    await factory.cleanup();
  });
  beforeEach(async () => {
    syncDir = await mkdtemp(join(tmpdir(), 'querier-sync-'));
    bucket = new CountingBucket();
    clock = new FakeClock(NOW);
    loader = new BucketIndexLoader({ ...defaultBucketIndexLoaderConfig(), maxStalePeriodMs: 0 }, bucket, clock, nopLogger, new Registry());
  });
  afterEach(async () => {
    await rm(syncDir, { recursive: true, force: true });
  });

  describe('select', () => {
    it.each([
      { name: 'an equality matcher', matchers: [new Matcher('=', '__name__', 'up')], want: [upApi, upWeb] },
      { name: 'a regex matcher', matchers: [new Matcher('=~', 'job', 'ap.*')], want: [cpuApi, upApi] },
      { name: 'a negative matcher alone', matchers: [new Matcher('!=', 'job', 'web')], want: [cpuApi, upApi] },
      { name: 'a matcher on a missing label', matchers: [new Matcher('=', 'mode', 'idle'), new Matcher('=', 'job', 'web')], want: [] },
    ])('returns the exact series and chunk bytes the block holds for $name', async ({ matchers, want }) => {
      await writeIndex(bucket, TENANT, [await upload([upApi, upWeb, cpuApi])], NOW);
      const got = await collect(queryable().querier(TENANT, T - HOUR, T + HOUR).select(matchers, hints()));
      expect(show(got)).toEqual(show(want));
    });

    it('returns only the chunks overlapping the selection hints', async () => {
      await writeIndex(bucket, TENANT, [await upload([upApi, upWeb])], NOW);
      const got = await collect(queryable().querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', 'job', 'api')], hints(T + 15 * MIN, T + HOUR)));
      expect(show(got)).toEqual(show([{ labels: upApi.labels, chunks: [c2] }]));
    });

    it('merges a series held by overlapping blocks (replica blocks): identical chunks once, differing ones both', async () => {
      const a = await upload([upApi]);
      const b = await upload([{ labels: upApi.labels, chunks: [c1, c2b] }, upWeb]);
      await writeIndex(bucket, TENANT, [a, b], NOW);
      const got = await collect(queryable().querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', '__name__', 'up')], hints()));
      expect(show(got)).toEqual(show([{ labels: upApi.labels, chunks: [c1, c2, c2b] }, upWeb]));
      expect(await metric('panoptes_querier_blocks_queried_total')).toContain('panoptes_querier_blocks_queried_total 2');
    });

    it('finds the tenant blocks through the bucket index, never by listing the bucket', async () => {
      await writeIndex(bucket, TENANT, [await upload([upApi])], NOW);
      const list = jest.spyOn(bucket, 'list');
      await collect(queryable().querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', 'job', 'api')], hints()));
      expect(list).not.toHaveBeenCalled();
    });

    it('reads chunks larger than the size estimate and chunks spread over several segment files', async () => {
      const big = xorChunk(Array.from({ length: 5000 }, (_, i) => [T + i * 1000, Math.sin(i) * 1e6 + i / 7] as const));
      expect(big.data.length).toBeGreaterThan(16_000);
      const list: TestSeries[] = Array.from({ length: 20 }, (_, i) => ({ labels: series('m', `j${String(i).padStart(2, '0')}`), chunks: [i === 7 ? big : c3] }));
      await writeIndex(bucket, TENANT, [await upload(list, { maxSegmentBytes: 4096 })], NOW);
      const got = await collect(queryable().querier(TENANT, T - HOUR, T + 10 * HOUR).select([new Matcher('=', '__name__', 'm')], hints(T - HOUR, T + 10 * HOUR)));
      expect(show(got)).toEqual(show(list));
      expect(bucket.count('getRange', 'chunks/000002')).toBeGreaterThan(0);
    });

    it.each([
      { name: 'chunks of one segment within the gap are fetched with one range request', gap: 512 * 1024, requests: 1 },
      { name: 'chunks further apart than the gap get a range request each', gap: 0, requests: 50 },
    ])('$name', async ({ gap, requests }) => {
      // Every other series holds a chunk bigger than the read-ahead estimate: the chunks picked lie that far apart.
      const big = xorChunk(Array.from({ length: 3000 }, (_, i) => [T + i * 1000, Math.cos(i) * 1e9 + i / 3] as const));
      const list: TestSeries[] = Array.from({ length: 100 }, (_, i) => ({
        labels: series('m', `j${String(i).padStart(3, '0')}`, [['pick', String(i % 2)]]),
        chunks: [i % 2 === 0 ? c3 : big],
      }));
      await writeIndex(bucket, TENANT, [await upload(list)], NOW);
      const got = await collect(queryable({ chunkRangeMaxGapBytes: gap }).querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', 'pick', '0')], hints()));
      expect(show(got)).toEqual(show(list.filter((_, i) => i % 2 === 0)));
      expect(bucket.count('getRange', '/chunks/')).toBe(requests);
    });

    it('returns nothing for a tenant without a bucket index', async () => {
      const q = queryable().querier('nobody', T - HOUR, T + HOUR);
      expect(await collect(q.select([new Matcher('=', '__name__', 'up')], hints()))).toEqual([]);
      expect(await q.labelNames([])).toEqual([]);
    });
  });

  describe('time ranges and deletion marks', () => {
    it('does not touch the bucket for a range newer than now minus queryStoreAfter', async () => {
      await writeIndex(bucket, TENANT, [await upload([upApi])], NOW);
      bucket.reads.length = 0;
      const q = queryable({ queryStoreAfterMs: 12 * HOUR }).querier(TENANT, NOW - 11 * HOUR, NOW);
      expect(await collect(q.select([new Matcher('=', 'job', 'api')], hints(NOW - 11 * HOUR, NOW)))).toEqual([]);
      expect(await q.series([[new Matcher('=', 'job', 'api')]])).toEqual([]);
      expect(bucket.reads).toEqual([]);
    });

    it('reads blocks only up to now minus queryStoreAfter', async () => {
      const recent: TestSeries = { labels: series('up', 'recent'), chunks: [xorChunk(samplesBetween(NOW - 2 * HOUR, NOW - HOUR, 60_000))] };
      await writeIndex(bucket, TENANT, [await upload([upApi]), await upload([recent])], NOW);
      const got = await collect(queryable({ queryStoreAfterMs: 12 * HOUR }).querier(TENANT, T, NOW).select([new Matcher('=', '__name__', 'up')], hints(T, NOW)));
      expect(got.map((s) => s.labels)).toEqual([upApi.labels]);
    });

    it.each([
      { name: 'is skipped once marked for deletion longer ago than the delay', markedAgo: 2 * HOUR, read: false },
      { name: 'is still read while its deletion mark is younger than the delay', markedAgo: 10 * MIN, read: true },
    ])('a block $name', async ({ markedAgo, read }) => {
      const meta = await upload([upApi]);
      await writeIndex(bucket, TENANT, [meta], NOW, [{ id: meta.ulid, deletionTime: NOW - markedAgo }]);
      const got = await collect(queryable({ ignoreDeletionMarksDelayMs: HOUR }).querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', 'job', 'api')], hints()));
      expect(got.map((s) => s.labels)).toEqual(read ? [upApi.labels] : []);
    });
  });

  describe('a block deleted between the bucket index and the read', () => {
    it.each([
      { name: 'with its index cached, its chunks vanish', cache: {} },
      { name: 'without index caches, its index vanishes', cache: { indexCacheBytes: 0, syncDir: '' } },
    ])('re-reads the bucket index once and answers from the replacement block ($name)', async ({ cache }) => {
      const old = await upload([upApi]);
      await writeIndex(bucket, TENANT, [old], NOW - MIN);
      const q = queryable(cache);
      const select = () => collect(q.querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', 'job', 'api')], hints()));
      expect(show(await select())).toEqual(show([upApi]));

      // The compactor replaces the block and deletes the old one; the loader still serves the old index.
      const replacement = await upload([{ labels: upApi.labels, chunks: [c1, c2b] }]);
      await writeIndex(bucket, TENANT, [replacement], NOW);
      for (const key of [...(await collectKeys(bucket, `${TENANT}/${old.ulid}/`))]) await bucket.delete(key);

      for (let round = 0; round < 2; round++) expect(show(await select())).toEqual(show([{ labels: upApi.labels, chunks: [c1, c2b] }]));
      expect(await metric('panoptes_querier_blocks_vanished_total')).toContain('panoptes_querier_blocks_vanished_total 1');
    });

    it('fails with a retryable UnavailableError (503) when the re-read index still lists a deleted block', async () => {
      const meta = await upload([upApi]);
      await writeIndex(bucket, TENANT, [meta], NOW);
      for (const key of await collectKeys(bucket, `${TENANT}/${meta.ulid}/`)) await bucket.delete(key);
      const err = await collect(queryable().querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', 'job', 'api')], hints())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ reason: 'block_vanished', tenant: TENANT, message: expect.stringContaining(meta.ulid) });
      expect(httpStatusOf(err)).toBe(503);
    });
  });

  describe('tombstones', () => {
    it('drops chunks inside a deleted interval, trims partly deleted ones and hides fully deleted series', async () => {
      const meta = await upload([upApi, upWeb]);
      const reader = await BlockReader.open(factory.blockDir(meta.ulid));
      const refOf = (labels: Labels) => [...reader.allSeries()].find((s) => labelsString(s.labels) === labelsString(labels))!.ref;
      const tombstones = encodeTombstones([
        { seriesRef: refOf(upApi.labels), mint: T - 1, maxt: T + 10 * MIN },
        { seriesRef: refOf(upApi.labels), mint: T + 15 * MIN, maxt: T + 16 * MIN },
        { seriesRef: refOf(upWeb.labels), mint: T - HOUR, maxt: T + HOUR },
      ]);
      await bucket.put(`${TENANT}/${meta.ulid}/tombstones`, Buffer.from(tombstones));
      await writeIndex(bucket, TENANT, [meta], NOW);
      const q = queryable().querier(TENANT, T - HOUR, T + HOUR);

      const got = await collect(q.select([new Matcher('=', '__name__', 'up')], hints()));
      const kept = samplesBetween(T + 10 * MIN + 15_000, T + 20 * MIN, 15_000).filter(([t]) => t < T + 15 * MIN || t > T + 16 * MIN);
      expect(show(got)).toEqual(show([{ labels: upApi.labels, chunks: [xorChunk(kept)] }]));
      expect(await q.series([[new Matcher('=', '__name__', 'up')]])).toEqual([upApi.labels]);
    });
  });

  describe('per-query limits', () => {
    it.each([
      { name: 'series', limits: { maxFetchedSeriesPerQuery: 1 }, reason: 'max_fetched_series_per_query' },
      { name: 'chunks', limits: { maxFetchedChunksPerQuery: 2 }, reason: 'max_fetched_chunks_per_query' },
      { name: 'chunk bytes', limits: { maxFetchedChunkBytesPerQuery: c1.data.length + c2.data.length }, reason: 'max_fetched_chunk_bytes_per_query' },
    ])('rejects a query fetching too many $name as unprocessable (422) naming the tenant', async ({ limits, reason }) => {
      await writeIndex(bucket, TENANT, [await upload([upApi, upWeb])], NOW);
      const err = await collect(queryable(limits).querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', '__name__', 'up')], hints())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnprocessableError);
      expect(err).toMatchObject({ reason, tenant: TENANT, message: expect.stringContaining(`tenant "${TENANT}"`) });
      expect(httpStatusOf(err)).toBe(422);
    });

    it('counts a series found in two blocks once', async () => {
      await writeIndex(bucket, TENANT, [await upload([upApi]), await upload([upApi])], NOW);
      const got = await collect(queryable({ maxFetchedSeriesPerQuery: 1 }).querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', 'job', 'api')], hints()));
      expect(got).toHaveLength(1);
    });
  });

  describe('block index cache', () => {
    const selectApi = (q: BlocksQueryable) => collect(q.querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', 'job', 'api')], hints()));

    it('fetches a block index from the bucket once and then serves it from memory', async () => {
      await writeIndex(bucket, TENANT, [await upload([upApi])], NOW);
      const q = queryable({ syncDir: '' });
      for (let i = 0; i < 3; i++) expect(show(await selectApi(q))).toEqual(show([upApi]));
      expect(bucket.count('getRange', '/index')).toBe(1);
      expect(await metric('panoptes_querier_block_index_loads_total')).toContain('source="memory"} 2');
    });

    it('keeps block indexes on local disk for the next querier process', async () => {
      await writeIndex(bucket, TENANT, [await upload([upApi])], NOW);
      await selectApi(queryable({ indexCacheBytes: 0 }));
      expect(show(await selectApi(queryable({ indexCacheBytes: 0 })))).toEqual(show([upApi]));
      expect(bucket.count('getRange', '/index')).toBe(1);
      expect(await metric('panoptes_querier_block_index_loads_total')).toContain('source="disk"} 1');
    });

    it('fetches a block index again when its local copy is corrupt', async () => {
      const meta = await upload([upApi]);
      await writeIndex(bucket, TENANT, [meta], NOW);
      await selectApi(queryable({ indexCacheBytes: 0 }));
      await writeFile(join(syncDir, TENANT, meta.ulid, 'index'), Buffer.from('not an index at all, but long enough to have a table of contents at its end'));
      expect(show(await selectApi(queryable({ indexCacheBytes: 0 })))).toEqual(show([upApi]));
      expect(bucket.count('getRange', '/index')).toBe(2);
    });

    it('removes local copies of blocks the bucket index no longer lists', async () => {
      const a = await upload([upApi]);
      const b = await upload([upWeb]);
      await writeIndex(bucket, TENANT, [a, b], NOW);
      await collect(queryable().querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', '__name__', 'up')], hints()));
      expect((await readdir(join(syncDir, TENANT))).sort()).toEqual([a.ulid, b.ulid].sort());

      await writeIndex(bucket, TENANT, [b], NOW + 1);
      await clock.advance(defaultBucketIndexLoaderConfig().updateIntervalMs);
      await collect(queryable().querier(TENANT, T - HOUR, T + HOUR).select([new Matcher('=', '__name__', 'up')], hints()));
      expect(await readdir(join(syncDir, TENANT))).toEqual([b.ulid]);
    });
  });

  describe('label names, label values and series', () => {
    it('answers sorted unions over the blocks in range, with and without matchers', async () => {
      await writeIndex(bucket, TENANT, [await upload([upApi, cpuApi]), await upload([upWeb])], NOW);
      const q = queryable().querier(TENANT, T - HOUR, T + HOUR);
      expect(await q.labelNames([])).toEqual(['__name__', 'job', 'mode']);
      expect(await q.labelNames([new Matcher('=', '__name__', 'up')])).toEqual(['__name__', 'job']);
      expect(await q.labelValues('job', [])).toEqual(['api', 'web']);
      expect(await q.labelValues('__name__', [new Matcher('=', 'job', 'api')])).toEqual(['cpu', 'up']);
      expect(await q.labelValues('mode', [new Matcher('=', 'job', 'web')])).toEqual([]);
      expect(await q.series([[new Matcher('=', 'job', 'web')], [new Matcher('=', '__name__', 'cpu')]])).toEqual([cpuApi.labels, upWeb.labels]);
    });

    it('leaves out series without chunks in the range', async () => {
      await writeIndex(bucket, TENANT, [await upload([upApi, cpuApi])], NOW);
      const q = queryable().querier(TENANT, T + 21 * MIN, T + HOUR);
      expect(await q.series([[new Matcher('=~', 'job', '.+')]])).toEqual([cpuApi.labels]);
    });
  });
});

async function collectKeys(bucket: CountingBucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of bucket.list(prefix, { recursive: true })) keys.push(k);
  return keys;
}
