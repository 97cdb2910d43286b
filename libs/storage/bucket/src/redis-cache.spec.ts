import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { ValidationError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { describeWithService, eventually, uniqueName } from '@panoptes/testing';
import { CachingBucket } from './caching-bucket';
import { InMemoryBucket } from './memory-bucket';
import { RedisCache, defaultRedisCacheConfig } from './redis-cache';
import { CountingBucket } from './testing/counting-bucket';
import { metricValue } from './testing/metrics';

describe('RedisCache without a reachable Redis', () => {
  it('treats every lookup as a miss, never throws, and counts the failures', async () => {
    const registry = new Registry();
    // Port 1 on loopback refuses connections.
    const cache = new RedisCache(
      { ...defaultRedisCacheConfig(), address: '127.0.0.1:1', timeoutMs: 200, dialTimeoutMs: 200 },
      'down',
      nopLogger,
      registry,
    );
    try {
      expect((await cache.getMulti(['a', 'b'])).size).toBe(0);
      await expect(cache.setMulti(new Map([['a', Buffer.from('1')]]), 1000)).resolves.toBeUndefined();
      await expect(cache.delete(['a'])).resolves.toBeUndefined();
      expect(await metricValue(registry, 'panoptes_cache_operation_failures_total', { name: 'down', operation: 'get' })).toBe(1);
      expect(await metricValue(registry, 'panoptes_cache_requests_total', { name: 'down' })).toBe(2);
      expect(await metricValue(registry, 'panoptes_cache_hits_total', { name: 'down' })).toBe(0);
    } finally {
      await cache.close();
    }
  });

  it('counts the failures of a view under the view\'s name', async () => {
    const registry = new Registry();
    const cache = new RedisCache({ ...defaultRedisCacheConfig(), address: '127.0.0.1:1', timeoutMs: 200, dialTimeoutMs: 200 }, 'owner', nopLogger, registry);
    try {
      const view = cache.view('other');
      expect((await view.getMulti(['a'])).size).toBe(0);
      expect(await metricValue(registry, 'panoptes_cache_operation_failures_total', { name: 'other', operation: 'get' })).toBe(1);
      expect(await metricValue(registry, 'panoptes_cache_operation_failures_total', { name: 'owner' })).toBe(0);
    } finally {
      await cache.close();
    }
  });

  it.each([['no port', 'localhost'], ['empty', ''], ['a bad port', 'host:99999']])(
    'rejects an address with %s',
    (_case, address) => {
      expect(() => new RedisCache({ ...defaultRedisCacheConfig(), address }, 'bad', nopLogger, new Registry())).toThrow(
        ValidationError,
      );
    },
  );
});

describeWithService('redis', 'RedisCache', (env) => {
  let raw: Redis;
  let cache: RedisCache;
  let registry: Registry;
  const prefix = `${uniqueName('panoptes-bucket-cache')}:`;

  beforeAll(() => {
    raw = new Redis({ host: env.host, port: env.port, lazyConnect: true });
    registry = new Registry();
    cache = new RedisCache(
      { ...defaultRedisCacheConfig(), address: env.addr, keyPrefix: prefix, maxBatchSize: 3 },
      'redis-test',
      nopLogger,
      registry,
    );
  });

  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await cache.close();
    await raw.quit();
  });

  it('round-trips binary values byte for byte, including empty and every byte value', async () => {
    const values = new Map<string, Buffer>([
      ['bytes', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
      ['empty', Buffer.alloc(0)],
      ['invalid-utf8', Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0d, 0x0a])],
      ['unicode key ключ 😀', Buffer.from('v')],
    ]);
    await cache.setMulti(values, 60_000);
    const got = await cache.getMulti([...values.keys(), 'missing']);
    expect([...got.keys()].sort()).toEqual([...values.keys()].sort());
    for (const [key, value] of values) expect({ key, equal: got.get(key)?.equals(value) }).toEqual({ key, equal: true });
  });

  it('stores keys under the configured prefix with the TTL in milliseconds', async () => {
    await cache.setMulti(new Map([['prefixed', Buffer.from('x')]]), 30_000);
    expect(await raw.exists(`${prefix}prefixed`)).toBe(1);
    const pttl = await raw.pttl(`${prefix}prefixed`);
    expect(pttl).toBeGreaterThan(25_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  it('expires values after a short TTL', async () => {
    await cache.setMulti(new Map([['short', Buffer.from('x')], ['long', Buffer.from('y')]]), 150);
    await cache.setMulti(new Map([['long', Buffer.from('y')]]), 60_000);
    expect((await cache.getMulti(['short'])).size).toBe(1);
    await eventually(async () => (await cache.getMulti(['short'])).size === 0, 3000);
    expect((await cache.getMulti(['long'])).get('long')?.toString()).toBe('y');
  });

  it('gets, sets and deletes more keys than one batch holds', async () => {
    const items = new Map(Array.from({ length: 10 }, (_, i) => [`batch-${i}`, Buffer.from(`v${i}`)] as const));
    await cache.setMulti(items, 60_000);
    const got = await cache.getMulti([...items.keys()]);
    expect(got.size).toBe(10);
    await cache.delete([...items.keys()].slice(0, 7));
    expect([...(await cache.getMulti([...items.keys()])).keys()]).toEqual(['batch-7', 'batch-8', 'batch-9']);
  });

  it('skips values larger than the max item size', async () => {
    const small = new RedisCache(
      { ...defaultRedisCacheConfig(), address: env.addr, keyPrefix: prefix, maxItemSizeBytes: 10 },
      'redis-small',
      nopLogger,
      new Registry(),
    );
    try {
      await small.setMulti(new Map([['too-big', Buffer.alloc(11)], ['fits', Buffer.alloc(10)]]), 60_000);
      expect([...(await small.getMulti(['too-big', 'fits'])).keys()]).toEqual(['fits']);
    } finally {
      await small.close();
    }
  });

  it('counts requests and hits', async () => {
    const before = await metricValue(registry, 'panoptes_cache_hits_total', { name: 'redis-test' });
    await cache.setMulti(new Map([['counted', Buffer.from('x')]]), 60_000);
    await cache.getMulti(['counted', 'not-there']);
    expect(await metricValue(registry, 'panoptes_cache_hits_total', { name: 'redis-test' })).toBe(before + 1);
  });

  it('shares its connection with views that count requests and hits under their own names', async () => {
    const view = cache.view('redis-view');
    expect(view.name).toBe('redis-view');
    expect(await metricValue(registry, 'panoptes_cache_requests_total', { name: 'redis-view' })).toBe(0);
    await view.setMulti(new Map([['from-view', Buffer.from('v')]]), 60_000);
    const ownerHits = await metricValue(registry, 'panoptes_cache_hits_total', { name: 'redis-test' });
    expect((await view.getMulti(['from-view', 'absent'])).get('from-view')?.toString()).toBe('v');
    expect(await metricValue(registry, 'panoptes_cache_requests_total', { name: 'redis-view' })).toBe(2);
    expect(await metricValue(registry, 'panoptes_cache_hits_total', { name: 'redis-view' })).toBe(1);
    expect(await metricValue(registry, 'panoptes_cache_hits_total', { name: 'redis-test' })).toBe(ownerHits);
    // Same connection and prefix: the owner sees the view's keys; closing the view leaves it open.
    await view.close();
    expect((await cache.getMulti(['from-view'])).size).toBe(1);
    await view.delete(['from-view']);
    expect((await cache.getMulti(['from-view'])).size).toBe(0);
  });

  it('serves a CachingBucket: the second get comes from Redis', async () => {
    const inner = new CountingBucket(new InMemoryBucket('redis-backed'));
    await inner.put('meta/a.json', Buffer.from('{"a":1}'));
    const bucket = new CachingBucket(inner, cache, { rules: [{ match: /\.json$/, getTtlMs: 60_000 }] }, nopLogger, registry);
    expect((await bucket.get('meta/a.json')).toString()).toBe('{"a":1}');
    expect((await bucket.get('meta/a.json')).toString()).toBe('{"a":1}');
    expect(inner.count('get')).toBe(1);
    await bucket.put('meta/a.json', Buffer.from('{"a":2}'));
    expect((await bucket.get('meta/a.json')).toString()).toBe('{"a":2}');
  });
});
