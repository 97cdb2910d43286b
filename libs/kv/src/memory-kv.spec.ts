import { nopLogger } from '@panoptes/log';
import { Registry } from 'prom-client';
import { runKvContract } from './kv.contract';
import { MemoryKv, defaultMemoryKvConfig } from './memory-kv';

runKvContract('MemoryKv', async () => {
  const root = new MemoryKv(defaultMemoryKvConfig(), nopLogger, new Registry());
  const clients: MemoryKv[] = [];
  return {
    client: async (overrides = {}) => {
      const c = clients.length === 0 && Object.keys(overrides).length === 0 ? root : root.withConfig(overrides);
      clients.push(c);
      return c;
    },
    cleanup: async () => {
      await Promise.all([root, ...clients].map((c) => c.close()));
    },
  };
});

describe('MemoryKv', () => {
  const newKv = () => new MemoryKv(defaultMemoryKvConfig(), nopLogger, new Registry());
  const num = (n: number) => Buffer.from(String(n));

  it('delivers every committed update to a watcher, without coalescing', async () => {
    const kv = newKv();
    const ac = new AbortController();
    const seen: Array<number | undefined> = [];
    await kv.watchKey('n', ac.signal, (v) => seen.push(v && Number(v.toString())));
    for (let i = 1; i <= 100; i++) await kv.cas('n', () => ({ value: num(i) }));
    await Promise.resolve();
    expect(seen).toEqual([undefined, ...Array.from({ length: 100 }, (_, i) => i + 1)]);
    ac.abort();
  });

  it('notifies watchers in a microtask after the commit, not during it', async () => {
    const kv = newKv();
    const ac = new AbortController();
    const seen: string[] = [];
    await kv.watchKey('k', ac.signal, (v) => seen.push(String(v)));
    await Promise.resolve();
    seen.length = 0;
    const done = kv.cas('k', () => ({ value: Buffer.from('x') }));
    expect(seen).toEqual([]);
    await done;
    await Promise.resolve();
    expect(seen).toEqual(['x']);
    ac.abort();
  });

  it('hands out copies: mutating a returned or written buffer does not change the store', async () => {
    const kv = newKv();
    const written = Buffer.from('abc');
    await kv.cas('k', () => ({ value: written }));
    written[0] = 0x7a;
    const got = await kv.get('k');
    got![1] = 0x7a;
    expect((await kv.get('k'))?.toString()).toBe('abc');
  });

  it('counts CAS retries and request durations in the given registry', async () => {
    const registry = new Registry();
    const kv = new MemoryKv(defaultMemoryKvConfig(), nopLogger, registry);
    let calls = 0;
    await kv.cas('k', () => (++calls < 3 ? { value: undefined, retry: true } : { value: Buffer.from('v') }));
    await kv.get('k');
    const metrics = await registry.getMetricsAsJSON();
    const retries = metrics.find((m) => m.name === 'panoptes_kv_cas_retries_total');
    expect(retries?.values[0].value).toBe(2);
    const durations = await registry.getSingleMetricAsString('panoptes_kv_request_duration_seconds');
    expect(durations).toContain('panoptes_kv_request_duration_seconds_count{operation="cas",status="success"} 1');
    expect(durations).toContain('panoptes_kv_request_duration_seconds_count{operation="get",status="success"} 1');
  });

  it('two stores can share one registry', () => {
    const registry = new Registry();
    expect(() => {
      new MemoryKv(defaultMemoryKvConfig(), nopLogger, registry);
      new MemoryKv(defaultMemoryKvConfig(), nopLogger, registry);
    }).not.toThrow();
  });
});
