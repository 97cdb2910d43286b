import { type Cache, MemoryCache, RedisCache, defaultMemoryCacheConfig, defaultRedisCacheConfig } from '@panoptes/bucket';
import { BucketIndexLoader, defaultBucketIndexLoaderConfig } from '@panoptes/bucket-index';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import type { SelectHints, StoredSeries } from '@panoptes/promql';
import { Matcher } from '@panoptes/tsdb';
import { Registry } from 'prom-client';
import { createBlocksCaches, type BlocksCacheBackendConfig } from './blocks-caches';
import { type BlocksCacheKind, blocksCachingRules, cachingBlocksBucket, defaultBlocksCachingConfig, INDEX_SUBRANGE_SIZE_BYTES } from './blocks-caching-rules';
import { BlocksQueryable } from './blocks-queryable';
import { defaultQuerierStorageConfig } from './config';
import { BlockFactory, CountingBucket, samplesBetween, type TestSeries, writeIndex, xorChunk } from './testing/blocks';

const HOUR = 3_600_000;
const MIN = 60_000;
const NOW = Date.UTC(2024, 5, 1);
const T = NOW - 48 * HOUR;
const TENANT = 'tenant-c';
const ULID = '01J0000000000000000000000A';
const config = defaultBlocksCachingConfig();

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want)).reduce((sum, v) => sum + v.value, 0);
}

describe('blocksCachingRules', () => {
  const rules = blocksCachingRules(config);
  const kindOf = (key: string): BlocksCacheKind | undefined => (Object.keys(rules) as BlocksCacheKind[]).find((kind) => rules[kind].some((r) => r.match.test(key)));

  it.each([
    { name: 'a chunk segment file', key: `${TENANT}/${ULID}/chunks/000001`, kind: 'chunks' },
    { name: 'a later chunk segment file', key: `${TENANT}/${ULID}/chunks/000123`, kind: 'chunks' },
    { name: 'a block index', key: `${TENANT}/${ULID}/index`, kind: 'index' },
    { name: 'a block tombstones file', key: `${TENANT}/${ULID}/tombstones`, kind: 'index' },
    { name: 'a block meta.json', key: `${TENANT}/${ULID}/meta.json`, kind: 'metadata' },
    { name: 'a block deletion mark', key: `${TENANT}/${ULID}/deletion-mark.json`, kind: 'metadata' },
    { name: 'a block no-compact mark', key: `${TENANT}/${ULID}/no-compact-mark.json`, kind: 'metadata' },
    { name: 'a tenant bucket index', key: `${TENANT}/bucket-index.json.gz`, kind: 'metadata' },
    { name: 'a global deletion marker (the compactor lists them, queriers never read them)', key: `${TENANT}/markers/${ULID}-deletion-mark.json`, kind: 'no' },
    { name: 'a series deletion request (changes at any time)', key: `${TENANT}/markers/series-deletion/abc.json`, kind: 'no' },
    { name: 'an index under a directory that is not a block', key: `${TENANT}/not-a-block/index`, kind: 'no' },
    { name: 'a temporary file beside a chunk segment', key: `${TENANT}/${ULID}/chunks/000001.tmp`, kind: 'no' },
    { name: 'a bucket index of a nested path', key: `a/b/bucket-index.json.gz`, kind: 'no' },
    { name: 'a ruler rule group', key: `rules/${TENANT}/ns/group`, kind: 'no' },
  ])('sends $name to the $kind cache', ({ key, kind }) => {
    expect(kindOf(key) ?? 'no').toBe(kind);
  });

  it.each([
    {
      name: 'chunk segments: aligned subranges for a day, their sizes for a week',
      key: `${TENANT}/${ULID}/chunks/000001`,
      want: { getRangeTtlMs: 24 * HOUR, subrangeSizeBytes: 16_000, attributesTtlMs: 168 * HOUR, getTtlMs: undefined, existsTtlMs: undefined },
    },
    {
      name: 'block indexes: large subranges and sizes for a day, never whole',
      key: `${TENANT}/${ULID}/index`,
      want: { getRangeTtlMs: 24 * HOUR, subrangeSizeBytes: INDEX_SUBRANGE_SIZE_BYTES, attributesTtlMs: 24 * HOUR, getTtlMs: undefined },
    },
    {
      name: 'tombstones: content for a day (block files never change), not their absence',
      key: `${TENANT}/${ULID}/tombstones`,
      want: { getTtlMs: 24 * HOUR, doesntExistTtlMs: undefined, getRangeTtlMs: undefined },
    },
    {
      name: 'meta files: content for a day, existence 2h, absence 5m (Mimir)',
      key: `${TENANT}/${ULID}/deletion-mark.json`,
      want: { getTtlMs: 24 * HOUR, getMaxSizeBytes: 1024 * 1024, existsTtlMs: 2 * HOUR, doesntExistTtlMs: 5 * MIN, attributesTtlMs: 168 * HOUR },
    },
    {
      name: 'the bucket index: content 5m, absence never cached',
      key: `${TENANT}/bucket-index.json.gz`,
      want: { getTtlMs: 5 * MIN, getMaxSizeBytes: 1024 * 1024, existsTtlMs: undefined, doesntExistTtlMs: undefined },
    },
  ])('caches $name', ({ key, want }) => {
    const rule = Object.values(rules)
      .flat()
      .find((r) => r.match.test(key));
    expect(rule).toMatchObject(Object.fromEntries(Object.entries(want).filter(([, v]) => v !== undefined)));
    for (const [field, v] of Object.entries(want)) if (v === undefined) expect({ field, value: rule?.[field as keyof typeof rule] }).toEqual({ field, value: undefined });
  });

  it('takes every TTL and the chunk subrange size from the config', () => {
    const custom = blocksCachingRules({ ...config, chunksSubrangeSizeBytes: 1000, chunksSubrangeTtlMs: 1, indexTtlMs: 2, bucketIndexContentTtlMs: 3, metafileDoesntExistTtlMs: 4 });
    expect(custom.chunks[0]).toMatchObject({ subrangeSizeBytes: 1000, getRangeTtlMs: 1 });
    expect(custom.index[0]).toMatchObject({ getRangeTtlMs: 2, attributesTtlMs: 2 });
    expect(custom.metadata[1]).toMatchObject({ getTtlMs: 3 });
    expect(custom.metadata[0]).toMatchObject({ doesntExistTtlMs: 4 });
  });
});

describe('BlocksQueryable reading through the block caches', () => {
  const factory = new BlockFactory();
  const upApi: TestSeries = { labels: [['__name__', 'up'], ['job', 'api']], chunks: [xorChunk(samplesBetween(T, T + 10 * MIN, 15_000))] };
  const upWeb: TestSeries = { labels: [['__name__', 'up'], ['job', 'web']], chunks: [xorChunk(samplesBetween(T, T + 20 * MIN, 60_000, 1))] };
  const hints: SelectHints = { start: T - HOUR, end: T + HOUR, step: 0, range: 0 };
  let bucket: CountingBucket;
  let clock: FakeClock;
  let registry: Registry;

  const memoryCaches = (kinds: readonly BlocksCacheKind[]): Partial<Record<BlocksCacheKind, Cache>> =>
    Object.fromEntries(kinds.map((kind) => [kind, new MemoryCache(defaultMemoryCacheConfig(), kind, registry, clock)]));
  /** A querier process of its own: no index in memory or on disk, only the shared caches. */
  const querier = (caches: Partial<Record<BlocksCacheKind, Cache>>) => {
    const cached = cachingBlocksBucket(bucket, caches, config, nopLogger, registry);
    const loader = new BucketIndexLoader({ ...defaultBucketIndexLoaderConfig(), maxStalePeriodMs: 0 }, cached, clock, nopLogger, new Registry());
    return new BlocksQueryable({ ...defaultQuerierStorageConfig(), syncDir: '' }, cached, loader, clock, nopLogger, new Registry(), bucket);
  };
  const select = async (q: BlocksQueryable, matcher = new Matcher('=', '__name__', 'up')): Promise<string[]> => {
    const out: StoredSeries[] = [];
    for await (const s of q.querier(TENANT, T - HOUR, T + HOUR).select([matcher], hints)) out.push(s);
    return out.map((s) => `${s.labels.map(([n, v]) => `${n}=${v}`).join(',')}:${s.chunks.map((c) => Buffer.from(c.data).toString('hex')).join('|')}`);
  };
  const hex = (list: TestSeries[]) => list.map((s) => `${s.labels.map(([n, v]) => `${n}=${v}`).join(',')}:${s.chunks.map((c) => Buffer.from(c.data).toString('hex')).join('|')}`);

  beforeAll(async () => {
    await factory.init();
  });
  afterAll(async () => {
    await factory.cleanup();
  });
  beforeEach(() => {
    bucket = new CountingBucket();
    clock = new FakeClock(NOW);
    registry = new Registry();
  });

  it('serves a second querier its index, chunks and bucket index from the caches, without reading the bucket', async () => {
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, [upApi, upWeb])], NOW);
    const caches = memoryCaches(['chunks', 'index', 'metadata']);
    expect(await select(querier(caches))).toEqual(hex([upApi, upWeb]));
    const coldReads = bucket.reads.length;
    expect(bucket.count('getRange', '/index')).toBe(1);
    expect(bucket.count('getRange', '/chunks/')).toBe(1);

    expect(await select(querier(caches))).toEqual(hex([upApi, upWeb]));
    expect(bucket.reads.length).toBe(coldReads);
    for (const name of ['chunks', 'index', 'metadata']) {
      const requests = await metric(registry, 'panoptes_cache_requests_total', { name });
      const hits = await metric(registry, 'panoptes_cache_hits_total', { name });
      expect({ name, hitsAfterWarmUp: hits > 0, missesOnlyCold: requests - hits <= hits }).toEqual({ name, hitsAfterWarmUp: true, missesOnlyCold: true });
    }
  });

  it.each([
    { name: 'chunks only', kinds: ['chunks'] as const, index: 2, chunks: 1, bucketIndex: 2 },
    { name: 'index only', kinds: ['index'] as const, index: 1, chunks: 2, bucketIndex: 2 },
    { name: 'metadata only', kinds: ['metadata'] as const, index: 2, chunks: 2, bucketIndex: 1 },
    { name: 'no cache', kinds: [] as const, index: 2, chunks: 2, bucketIndex: 2 },
  ])('reads through to the bucket what is not cached ($name)', async ({ kinds, index, chunks, bucketIndex }) => {
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, [upApi])], NOW);
    const caches = memoryCaches(kinds);
    for (let i = 0; i < 2; i++) expect(await select(querier(caches))).toEqual(hex([upApi]));
    expect({ index: bucket.count('getRange', '/index'), chunks: bucket.count('getRange', '/chunks/'), bucketIndex: bucket.count('get', 'bucket-index') }).toEqual({ index, chunks, bucketIndex });
  });

  it('reads the bucket index again once its cached copy expired', async () => {
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, [upApi])], NOW);
    const caches = memoryCaches(['metadata']);
    await select(querier(caches));
    await clock.advance(config.bucketIndexContentTtlMs - 1);
    await select(querier(caches));
    expect(bucket.count('get', 'bucket-index')).toBe(1);
    await clock.advance(2);
    await select(querier(caches));
    expect(bucket.count('get', 'bucket-index')).toBe(2);
  });

  it('re-reads the bucket index past the metadata cache when a listed block vanished', async () => {
    const old = await factory.upload(bucket, TENANT, [upApi]);
    await writeIndex(bucket, TENANT, [old], NOW - MIN);
    const caches = memoryCaches(['metadata']);
    const q = querier(caches);
    expect(await select(q)).toEqual(hex([upApi]));

    // The compactor replaced the block and deleted the old one; the cached bucket index still lists it.
    const replacement = await factory.upload(bucket, TENANT, [upWeb]);
    await writeIndex(bucket, TENANT, [replacement], NOW);
    for await (const key of bucket.list(`${TENANT}/${old.ulid}/`, { recursive: true })) await bucket.delete(key);

    expect(await select(q)).toEqual(hex([upWeb]));
    // A new querier still gets the stale index from the cache, and recovers the same way.
    expect(await select(querier(caches))).toEqual(hex([upWeb]));
  });

  it('answers the same when every cache lookup fails', async () => {
    await writeIndex(bucket, TENANT, [await factory.upload(bucket, TENANT, [upApi, upWeb])], NOW);
    const broken = (name: string): Cache => ({
      name,
      getMulti: () => Promise.reject(new Error('cache down')),
      setMulti: () => Promise.reject(new Error('cache down')),
      delete: () => Promise.reject(new Error('cache down')),
      close: async () => undefined,
    });
    const caches = { chunks: broken('chunks'), index: broken('index'), metadata: broken('metadata') };
    for (let i = 0; i < 2; i++) expect(await select(querier(caches))).toEqual(hex([upApi, upWeb]));
    expect(await metric(registry, 'panoptes_cache_operation_failures_total', { name: 'chunks', operation: 'get' })).toBeGreaterThan(0);
  });
});

describe('createBlocksCaches', () => {
  const backend = (b: Partial<BlocksCacheBackendConfig> = {}, redis: Partial<BlocksCacheBackendConfig['redis']> = {}): BlocksCacheBackendConfig => ({
    backend: 'inmemory',
    inmemoryMaxSizeBytes: 1024 * 1024,
    redis: { ...defaultRedisCacheConfig(), address: '127.0.0.1:1', ...redis },
    ...b,
  });

  it('builds in-memory chunks and metadata caches, and no index cache: parsed indexes are already in memory', async () => {
    const registry = new Registry();
    const { caches, close } = createBlocksCaches({ chunks: backend(), index: backend(), metadata: backend() }, nopLogger, registry);
    expect(Object.keys(caches).sort()).toEqual(['chunks', 'metadata']);
    expect(caches.chunks).toBeInstanceOf(MemoryCache);
    expect(caches.chunks?.name).toBe('chunks');
    expect(await registry.getSingleMetricAsString('panoptes_cache_requests_total')).toContain('name="metadata"} 0');
    await close();
  });

  it.each([
    { name: 'one Redis for all three shares one client', prefixes: ['p/', 'p/', 'p/'], clients: 1 },
    { name: 'two settings get two clients', prefixes: ['p/', 'q/', 'p/'], clients: 2 },
    { name: 'three settings get three clients', prefixes: ['a/', 'b/', 'c/'], clients: 3 },
  ])('names each Redis cache by its kind; $name', async ({ prefixes, clients }) => {
    const registry = new Registry();
    const redis = (i: number) => backend({ backend: 'redis' }, { keyPrefix: prefixes[i] });
    const { caches, close } = createBlocksCaches({ chunks: redis(0), index: redis(1), metadata: redis(2) }, nopLogger, registry);
    expect([caches.chunks?.name, caches.index?.name, caches.metadata?.name]).toEqual(['chunks', 'index', 'metadata']);
    expect(Object.values(caches).filter((c) => c instanceof RedisCache)).toHaveLength(clients);
    const registered = (await registry.getSingleMetricAsString('panoptes_cache_hits_total')) ?? '';
    for (const name of ['chunks', 'index', 'metadata']) expect(registered).toContain(`name="${name}"} 0`);
    await close();
  });
});
