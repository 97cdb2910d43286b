import { Registry } from 'prom-client';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { Cache } from './cache';
import { CachingBucket, CachingBucketRule } from './caching-bucket';
import { InvalidRangeError, ObjectNotFoundError } from './errors';
import { InMemoryBucket } from './memory-bucket';
import { MemoryCache } from './memory-cache';
import { readAll } from './bucket';
import { CountingBucket } from './testing/counting-bucket';
import { metricValue } from './testing/metrics';

const RULE: CachingBucketRule = {
  match: /^cached\//,
  getTtlMs: 60_000,
  getRangeTtlMs: 60_000,
  subrangeSizeBytes: 16,
  existsTtlMs: 60_000,
  doesntExistTtlMs: 10_000,
  attributesTtlMs: 60_000,
};
const KEY = 'cached/obj';
const HUNDRED = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

/** A cache whose every call fails, like an unreachable Redis that throws instead of missing. */
class FailingCache implements Cache {
  readonly name = 'failing';
  async getMulti(): Promise<Map<string, Buffer>> {
    throw new Error('cache down');
  }
  async setMulti(): Promise<void> {
    throw new Error('cache down');
  }
  async delete(): Promise<void> {
    throw new Error('cache down');
  }
  async close(): Promise<void> {
    // nothing to release
  }
}

function setup(options: { rules?: CachingBucketRule[]; cache?: Cache } = {}) {
  const clock = new FakeClock(1_700_000_000_000);
  const store = new InMemoryBucket('store', clock);
  const inner = new CountingBucket(store);
  const registry = new Registry();
  const cache =
    options.cache ?? new MemoryCache({ maxSizeBytes: 1 << 20, maxItemSizeBytes: 1 << 20 }, 'test', registry, clock);
  const bucket = new CachingBucket(inner, cache, { rules: options.rules ?? [RULE] }, nopLogger, registry);
  return { clock, store, inner, bucket, registry };
}

describe('CachingBucket', () => {
  describe('get', () => {
    it('serves the second get from the cache', async () => {
      const { store, inner, bucket } = setup();
      await store.put(KEY, Buffer.from('hello'));
      expect((await bucket.get(KEY)).toString()).toBe('hello');
      expect((await bucket.get(KEY)).toString()).toBe('hello');
      expect(inner.count('get')).toBe(1);
    });

    it('serves getStream from an object get already cached', async () => {
      const { store, inner, bucket } = setup();
      await store.put(KEY, Buffer.from('hello'));
      await bucket.get(KEY);
      expect((await readAll(await bucket.getStream(KEY))).toString()).toBe('hello');
      expect(inner.count('getStream')).toBe(0);
    });

    it('reads keys that match no rule from the inner bucket every time', async () => {
      const { store, inner, bucket } = setup();
      await store.put('other/obj', Buffer.from('x'));
      await bucket.get('other/obj');
      await bucket.get('other/obj');
      expect(inner.count('get')).toBe(2);
    });

    it('reads again once the TTL has passed', async () => {
      const { clock, store, inner, bucket } = setup();
      await store.put(KEY, Buffer.from('hello'));
      await bucket.get(KEY);
      await clock.advance(60_001);
      await bucket.get(KEY);
      expect(inner.count('get')).toBe(2);
    });

    it('caches "does not exist" for the shorter TTL', async () => {
      const { clock, inner, bucket } = setup();
      await expect(bucket.get(KEY)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(bucket.get(KEY)).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(inner.count('get')).toBe(1);
      await clock.advance(10_001);
      await expect(bucket.get(KEY)).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(inner.count('get')).toBe(2);
    });

    it('does not cache objects larger than getMaxSizeBytes', async () => {
      const { store, inner, bucket } = setup({ rules: [{ ...RULE, getMaxSizeBytes: 4 }] });
      await store.put(KEY, Buffer.from('hello'));
      await bucket.get(KEY);
      await bucket.get(KEY);
      expect(inner.count('get')).toBe(2);
    });

    it('returns buffers the caller may mutate without corrupting the cache', async () => {
      const { store, bucket } = setup();
      await store.put(KEY, Buffer.from('hello'));
      (await bucket.get(KEY)).fill(0);
      (await bucket.get(KEY)).fill(0);
      expect((await bucket.get(KEY)).toString()).toBe('hello');
    });
  });

  describe('exists and attributes', () => {
    it('caches exists, both true and false', async () => {
      const { store, inner, bucket } = setup();
      await store.put(KEY, Buffer.from('x'));
      expect(await bucket.exists(KEY)).toBe(true);
      expect(await bucket.exists(KEY)).toBe(true);
      expect(await bucket.exists('cached/missing')).toBe(false);
      expect(await bucket.exists('cached/missing')).toBe(false);
      expect(inner.count('exists')).toBe(2);
    });

    it('caches attributes', async () => {
      const { store, inner, bucket } = setup();
      await store.put(KEY, Buffer.from('abc'));
      expect((await bucket.attributes(KEY)).size).toBe(3);
      expect((await bucket.attributes(KEY)).size).toBe(3);
      expect(inner.count('attributes')).toBe(1);
    });
  });

  describe('invalidation', () => {
    it.each([
      ['put', async (b: CachingBucket) => b.put(KEY, Buffer.from('second version')), 'second version'],
      ['delete', async (b: CachingBucket) => b.delete(KEY), undefined],
    ])('drops cached get, exists and attributes on %s', async (_op, write, after) => {
      const { store, bucket } = setup();
      await store.put(KEY, Buffer.from('first'));
      await bucket.get(KEY);
      await bucket.exists(KEY);
      await bucket.attributes(KEY);
      await write(bucket);
      if (after === undefined) {
        await expect(bucket.get(KEY)).rejects.toBeInstanceOf(ObjectNotFoundError);
        expect(await bucket.exists(KEY)).toBe(false);
        await expect(bucket.attributes(KEY)).rejects.toBeInstanceOf(ObjectNotFoundError);
      } else {
        expect((await bucket.get(KEY)).toString()).toBe(after);
        expect(await bucket.exists(KEY)).toBe(true);
        expect((await bucket.attributes(KEY)).size).toBe(after.length);
      }
    });

    it('drops a cached "does not exist" on put', async () => {
      const { bucket } = setup();
      expect(await bucket.exists(KEY)).toBe(false);
      await expect(bucket.get(KEY)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await bucket.put(KEY, Buffer.from('now here'));
      expect(await bucket.exists(KEY)).toBe(true);
      expect((await bucket.get(KEY)).toString()).toBe('now here');
    });

    it('drops cached ranges on put, even when size and mtime stay the same', async () => {
      const { store, bucket } = setup();
      await store.put(KEY, HUNDRED);
      expect([...(await bucket.getRange(KEY, 10, 20))]).toEqual([...HUNDRED.subarray(10, 30)]);
      const rewritten = Buffer.alloc(100, 0xee); // the fake clock has not moved: same mtime
      await bucket.put(KEY, rewritten);
      expect([...(await bucket.getRange(KEY, 10, 20))]).toEqual([...rewritten.subarray(10, 30)]);
    });

    it('drops cached ranges on delete', async () => {
      const { store, bucket } = setup();
      await store.put(KEY, HUNDRED);
      await bucket.getRange(KEY, 0, 50);
      await bucket.delete(KEY);
      await expect(bucket.getRange(KEY, 0, 50)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });
  });

  describe('getRange', () => {
    it('reads only the missing aligned subranges, merging neighbours into one request', async () => {
      const { store, inner, bucket } = setup();
      await store.put(KEY, HUNDRED);
      const steps: Array<[string, number, number, Array<[number, number]>]> = [
        ['cold read of 10..40 fetches subranges 0..48', 10, 30, [[0, 48]]],
        ['read inside cached subranges fetches nothing', 20, 20, []],
        ['read overlapping the cached part fetches only 48..80', 40, 30, [[48, 32]]],
        ['read of the whole object fetches the short last subrange', 0, 100, [[80, 20]]],
        ['read past the end fetches nothing more', 95, 50, []],
      ];
      for (const [step, offset, length, expected] of steps) {
        inner.reset();
        const got = await bucket.getRange(KEY, offset, length);
        expect({ step, got: [...got] }).toEqual({ step, got: [...HUNDRED.subarray(offset, offset + length)] });
        const fetched = inner.calls.filter((c) => c.op === 'getRange').map((c) => [c.offset, c.length]);
        expect({ step, fetched }).toEqual({ step, fetched: expected });
      }
    });

    it('fetches separated gaps with separate requests', async () => {
      const { store, inner, bucket } = setup();
      await store.put(KEY, HUNDRED);
      await bucket.getRange(KEY, 0, 16);
      await bucket.getRange(KEY, 32, 16);
      inner.reset();
      expect([...(await bucket.getRange(KEY, 0, 64))]).toEqual([...HUNDRED.subarray(0, 64)]);
      const fetched = inner.calls.filter((c) => c.op === 'getRange').map((c) => [c.offset, c.length]);
      expect(fetched.sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([
        [16, 16],
        [48, 16],
      ]);
    });

    it('answers every offset and length exactly as the inner bucket does', async () => {
      const { store, bucket } = setup();
      await store.put(KEY, HUNDRED);
      for (let offset = 0; offset <= 100; offset += 7) {
        for (const length of [0, 1, 15, 16, 17, 33, 200]) {
          const want = await store.getRange(KEY, offset, length);
          const got = await bucket.getRange(KEY, offset, length);
          expect({ offset, length, got: [...got] }).toEqual({ offset, length, got: [...want] });
        }
      }
    });

    it('throws InvalidRangeError for an offset past the end, and ObjectNotFoundError for a missing object', async () => {
      const { store, bucket } = setup();
      await store.put(KEY, HUNDRED);
      await expect(bucket.getRange(KEY, 101, 1)).rejects.toBeInstanceOf(InvalidRangeError);
      await expect(bucket.getRange('cached/missing', 0, 1)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('reads the object as it is now when another writer changed it behind the cache', async () => {
      const { store, bucket } = setup();
      await store.put(KEY, HUNDRED);
      await bucket.getRange(KEY, 0, 10); // caches attributes (size 100)
      await store.put(KEY, Buffer.alloc(50, 7)); // not through the caching bucket
      await expect(bucket.getRange(KEY, 60, 10)).rejects.toBeInstanceOf(InvalidRangeError);
      expect([...(await bucket.getRange(KEY, 40, 20))]).toEqual(Array(10).fill(7));
    });
  });

  describe('with a failing cache', () => {
    it('degrades to inner reads for every operation and counts the failures', async () => {
      const { store, inner, bucket, registry } = setup({ cache: new FailingCache() });
      await store.put(KEY, HUNDRED);
      for (let i = 0; i < 2; i++) {
        expect((await bucket.get(KEY)).equals(HUNDRED)).toBe(true);
        expect([...(await bucket.getRange(KEY, 10, 20))]).toEqual([...HUNDRED.subarray(10, 30)]);
        expect(await bucket.exists(KEY)).toBe(true);
        expect((await bucket.attributes(KEY)).size).toBe(100);
      }
      await bucket.put(KEY, Buffer.from('new'));
      expect((await bucket.get(KEY)).toString()).toBe('new');
      await bucket.delete(KEY);
      expect(await bucket.exists(KEY)).toBe(false);
      expect(inner.count('get')).toBe(3);
      expect(inner.count('getRange')).toBe(2);
      expect(await metricValue(registry, 'panoptes_cache_operation_failures_total', { name: 'failing' })).toBeGreaterThan(0);
    });
  });

  it('counts cache requests and hits', async () => {
    const { store, bucket, registry } = setup();
    await store.put(KEY, Buffer.from('x'));
    await bucket.get(KEY);
    await bucket.get(KEY);
    expect(await metricValue(registry, 'panoptes_cache_hits_total', { name: 'test' })).toBe(1);
    expect(await metricValue(registry, 'panoptes_cache_requests_total', { name: 'test' })).toBeGreaterThanOrEqual(2);
  });
});
