import { Registry } from 'prom-client';
import { InMemoryBucket } from '@panoptes/bucket';
import { FakeClock, UnavailableError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { BucketIndex, emptyBucketIndex, writeBucketIndex } from './bucket-index';
import { BucketIndexCorruptError, BucketIndexNotFoundError, BucketIndexTooOldError } from './errors';
import { BucketIndexLoader, BucketIndexLoaderConfig } from './loader';
import { testBlock } from './testing/blocks';
import { CountingBucket } from './testing/test-bucket';

const T = 't1';
const SEC = 1000;
const MIN = 60 * SEC;
const config: BucketIndexLoaderConfig = {
  updateIntervalMs: 15 * MIN,
  updateOnErrorIntervalMs: 1 * MIN,
  idleTimeoutMs: 60 * MIN,
  maxStalePeriodMs: 60 * MIN,
};

const indexOf = (updatedAt: number, ...blocks: number[]): BucketIndex => ({
  ...emptyBucketIndex(updatedAt),
  blocks: blocks.map((n) => ({ id: testBlock(n).id, minTime: 0, maxTime: 1, uploadedAt: 0, compactionLevel: 1, source: '' })),
});

async function metric(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

describe('BucketIndexLoader', () => {
  let clock: FakeClock;
  let bucket: CountingBucket;
  let registry: Registry;
  let loader: BucketIndexLoader;
  const reads = () => bucket.count('get', 'bucket-index.json.gz');
  const down = () => new UnavailableError('object_store_unavailable', 'down');

  beforeEach(() => {
    clock = new FakeClock(10 * 24 * 60 * MIN);
    bucket = new CountingBucket(new InMemoryBucket('memory', clock));
    registry = new Registry();
    loader = new BucketIndexLoader(config, bucket, clock, nopLogger, registry);
  });

  it('reads the index once and serves it from memory until updateIntervalMs passed, then re-reads it', async () => {
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    expect((await loader.getIndex(T)).blocks).toHaveLength(1);

    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1, 2));
    await clock.advance(15 * MIN - 1);
    expect((await loader.getIndex(T)).blocks).toHaveLength(1);
    expect(reads()).toBe(1);

    await clock.advance(1);
    expect((await loader.getIndex(T)).blocks).toHaveLength(2);
    expect(reads()).toBe(2);
  });

  it('shares one read between concurrent callers', async () => {
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    const [a, b, c] = await Promise.all([loader.getIndex(T), loader.getIndex(T), loader.getIndex(T)]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(reads()).toBe(1);
  });

  it('returns a frozen index, so one caller cannot change what others see', async () => {
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    const index = await loader.getIndex(T);
    expect(Object.isFrozen(index)).toBe(true);
    expect(Object.isFrozen(index.blocks)).toBe(true);
    expect(Object.isFrozen(index.blocks[0])).toBe(true);
  });

  it('caches "no index" like an index: NotFound until updateIntervalMs passed, then finds a new one', async () => {
    await expect(loader.getIndex(T)).rejects.toBeInstanceOf(BucketIndexNotFoundError);
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    await clock.advance(config.updateOnErrorIntervalMs);
    await expect(loader.getIndex(T)).rejects.toBeInstanceOf(BucketIndexNotFoundError);
    expect(reads()).toBe(1);

    await clock.advance(config.updateIntervalMs);
    expect((await loader.getIndex(T)).blocks).toHaveLength(1);
    expect(await metric(registry, 'panoptes_bucket_index_load_failures_total')).toBe(0);
  });

  it('keeps serving the last good index when a reload fails, and retries after updateOnErrorIntervalMs', async () => {
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    const good = await loader.getIndex(T);
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1, 2));

    bucket.fail = (op) => (op === 'get' ? down() : undefined);
    await clock.advance(config.updateIntervalMs);
    expect(await loader.getIndex(T)).toBe(good);
    await clock.advance(config.updateOnErrorIntervalMs - 1);
    expect(await loader.getIndex(T)).toBe(good);
    expect(reads()).toBe(2);

    bucket.fail = undefined;
    await clock.advance(1);
    expect((await loader.getIndex(T)).blocks).toHaveLength(2);
    expect(await metric(registry, 'panoptes_bucket_index_load_failures_total')).toBe(1);
  });

  it('refuses an index older than maxStalePeriodMs, served from memory or freshly read', async () => {
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    await loader.getIndex(T);

    // The compactor stopped: the stored index stays the same while time passes.
    await clock.advance(config.maxStalePeriodMs);
    expect((await loader.getIndex(T)).blocks).toHaveLength(1);
    await clock.advance(1);
    const err = await loader.getIndex(T).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BucketIndexTooOldError);
    expect(err).toMatchObject({ reason: 'bucket_index_too_old', tenant: T, kind: 'unavailable' });
    expect((err as Error).message).toContain('compactor');

    // Once the compactor writes again, the next reload serves it.
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1, 2));
    await clock.advance(config.updateIntervalMs);
    expect((await loader.getIndex(T)).blocks).toHaveLength(2);
  });

  it('refuses the last good index once a failing store kept it from being replaced for maxStalePeriodMs', async () => {
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    await loader.getIndex(T);
    bucket.fail = (op) => (op === 'get' ? down() : undefined);
    await clock.advance(config.maxStalePeriodMs + 1);
    await expect(loader.getIndex(T)).rejects.toBeInstanceOf(BucketIndexTooOldError);
  });

  it('serves an index of any age when maxStalePeriodMs is 0', async () => {
    loader = new BucketIndexLoader({ ...config, maxStalePeriodMs: 0 }, bucket, clock, nopLogger, registry);
    await writeBucketIndex(bucket, T, indexOf(0, 1));
    expect((await loader.getIndex(T)).blocks).toHaveLength(1);
  });

  it.each([
    ['the store is unavailable', async () => void (bucket.fail = () => down()), UnavailableError],
    ['the index is corrupt', () => bucket.put(`${T}/bucket-index.json.gz`, Buffer.from('x')), BucketIndexCorruptError],
  ])('fails without a previous index when %s, and retries only after updateOnErrorIntervalMs', async (_case, setup, type) => {
    await setup();
    await expect(loader.getIndex(T)).rejects.toBeInstanceOf(type);
    await clock.advance(config.updateOnErrorIntervalMs - 1);
    await expect(loader.getIndex(T)).rejects.toBeInstanceOf(type);
    expect(reads()).toBe(1);

    bucket.fail = undefined;
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    await clock.advance(1);
    expect((await loader.getIndex(T)).blocks).toHaveLength(1);
  });

  it('drops an index not asked for during idleTimeoutMs, and reads it again on the next request', async () => {
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    await writeBucketIndex(bucket, 't2', indexOf(clock.now(), 1));
    await loader.getIndex(T);
    await loader.getIndex('t2');
    expect(await metric(registry, 'panoptes_bucket_index_loaded')).toBe(2);

    // t2 stays in use; t1 goes idle.
    for (let i = 0; i < 6; i++) {
      await clock.advance(10 * MIN);
      await writeBucketIndex(bucket, 't2', indexOf(clock.now(), 1));
      await loader.getIndex('t2');
    }
    await clock.advance(6 * MIN);
    await loader.getIndex('t2');

    expect(loader.cachedTenants()).toEqual(['t2']);
    expect(await metric(registry, 'panoptes_bucket_index_loaded')).toBe(1);
    bucket.reset();
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1, 2));
    expect((await loader.getIndex(T)).blocks).toHaveLength(2);
    expect(reads()).toBe(1);
  });

  it('drops a previous index when the tenant\'s index is deleted', async () => {
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    await loader.getIndex(T);
    await bucket.delete(`${T}/bucket-index.json.gz`);
    await clock.advance(config.updateIntervalMs);
    await expect(loader.getIndex(T)).rejects.toBeInstanceOf(BucketIndexNotFoundError);
    expect(await metric(registry, 'panoptes_bucket_index_loaded')).toBe(0);
  });

  it('counts reads and shares its metrics with other loaders of the same registry', async () => {
    const other = new BucketIndexLoader(config, bucket, clock, nopLogger, registry);
    await writeBucketIndex(bucket, T, indexOf(clock.now(), 1));
    await loader.getIndex(T);
    await other.getIndex(T);
    expect(await metric(registry, 'panoptes_bucket_index_loads_total')).toBe(2);
    expect(await metric(registry, 'panoptes_bucket_index_loaded')).toBe(2);
  });
});
