import { Registry } from 'prom-client';
import { FakeClock, ValidationError } from '@panoptes/common';
import { MemoryCache } from './memory-cache';
import { metricValue } from './testing/metrics';

function setup(maxSizeBytes = 1000, maxItemSizeBytes = 500) {
  const clock = new FakeClock(1_000_000); // not 0: lru-cache treats a start time of 0 as "no TTL"
  const registry = new Registry();
  const cache = new MemoryCache({ maxSizeBytes, maxItemSizeBytes }, 'mem', registry, clock);
  return { clock, registry, cache };
}

describe('MemoryCache', () => {
  it('returns what was set, binary-safe, and nothing for unknown keys', async () => {
    const { cache } = setup();
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await cache.setMulti(
      new Map([
        ['a', binary],
        ['empty', Buffer.alloc(0)],
      ]),
      1000,
    );
    const got = await cache.getMulti(['a', 'empty', 'missing']);
    expect([...got.keys()].sort()).toEqual(['a', 'empty']);
    expect(got.get('a')?.equals(binary)).toBe(true);
    expect(got.get('empty')?.length).toBe(0);
  });

  it('expires entries after their TTL', async () => {
    const { clock, cache } = setup();
    await cache.setMulti(new Map([['short', Buffer.from('x')]]), 100);
    await cache.setMulti(new Map([['long', Buffer.from('y')]]), 10_000);
    await clock.advance(99);
    expect([...(await cache.getMulti(['short', 'long'])).keys()]).toEqual(['short', 'long']);
    await clock.advance(2);
    expect([...(await cache.getMulti(['short', 'long'])).keys()]).toEqual(['long']);
  });

  it('evicts the least recently used entries to stay within max bytes', async () => {
    const { cache } = setup(1000, 500);
    await cache.setMulti(new Map([['k1', Buffer.alloc(398)]]), 10_000); // 400 bytes with the key
    await cache.setMulti(new Map([['k2', Buffer.alloc(398)]]), 10_000);
    await cache.getMulti(['k1']); // k1 is now more recent than k2
    await cache.setMulti(new Map([['k3', Buffer.alloc(398)]]), 10_000);
    expect([...(await cache.getMulti(['k1', 'k2', 'k3'])).keys()]).toEqual(['k1', 'k3']);
    expect(cache.sizeBytes).toBeLessThanOrEqual(1000);
  });

  it('does not store values larger than the max item size', async () => {
    const { cache } = setup(1000, 100);
    await cache.setMulti(new Map([['big', Buffer.alloc(200)]]), 10_000);
    expect((await cache.getMulti(['big'])).size).toBe(0);
  });

  it('drops deleted keys', async () => {
    const { cache } = setup();
    await cache.setMulti(new Map([['a', Buffer.from('1')], ['b', Buffer.from('2')]]), 10_000);
    await cache.delete(['a', 'never-set']);
    expect([...(await cache.getMulti(['a', 'b'])).keys()]).toEqual(['b']);
  });

  it('stores a copy, so the caller may reuse the buffer it set', async () => {
    const { cache } = setup();
    const value = Buffer.from('abc');
    await cache.setMulti(new Map([['a', value]]), 10_000);
    value.fill(0);
    expect((await cache.getMulti(['a'])).get('a')?.toString()).toBe('abc');
  });

  it('counts requested keys and hits', async () => {
    const { cache, registry } = setup();
    await cache.setMulti(new Map([['a', Buffer.from('1')]]), 10_000);
    await cache.getMulti(['a', 'b', 'c']);
    expect(await metricValue(registry, 'panoptes_cache_requests_total', { name: 'mem' })).toBe(3);
    expect(await metricValue(registry, 'panoptes_cache_hits_total', { name: 'mem' })).toBe(1);
  });

  it('rejects a non-positive size', () => {
    expect(() => new MemoryCache({ maxSizeBytes: 0, maxItemSizeBytes: 1 }, 'bad', new Registry())).toThrow(
      ValidationError,
    );
  });
});
