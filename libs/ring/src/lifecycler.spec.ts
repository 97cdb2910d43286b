import { FakeClock, UnavailableError } from '@panoptes/common';
import { CasFn, KvStore, MemoryKv, defaultMemoryKvConfig } from '@panoptes/kv';
import { nopLogger } from '@panoptes/log';
import { ServiceState } from '@panoptes/services';
import { Registry } from 'prom-client';
import { Lifecycler, LifecyclerConfig, defaultLifecyclerConfig } from './lifecycler';
import { Operation } from './operation';
import { InstanceState, RingDesc, decodeRingDesc } from './ring-desc';
import { Ring, defaultRingConfig } from './ring';
import { RandomTokenGenerator, seededRandom } from './tokens';

const KEY = 'ring/ingester';
const settle = () => new Promise((r) => setImmediate(r));

/** A KV that fails every CAS while `failing` is set: a Redis outage, without mocking Redis. */
class FlakyKv implements KvStore {
  failing = false;
  constructor(private readonly inner: KvStore) {}
  get(key: string) {
    return this.inner.get(key);
  }
  cas(key: string, fn: CasFn) {
    if (this.failing) return Promise.reject(new UnavailableError('kv_unavailable', 'KV down (test)'));
    return this.inner.cas(key, fn);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  watchKey(key: string, signal: AbortSignal, onChange: (v: Buffer | undefined) => void) {
    return this.inner.watchKey(key, signal, onChange);
  }
  watchPrefix(prefix: string, signal: AbortSignal, onChange: (k: string, v: Buffer | undefined) => void) {
    return this.inner.watchPrefix(prefix, signal, onChange);
  }
  close() {
    return this.inner.close();
  }
}

describe('Lifecycler', () => {
  let kv: MemoryKv;
  let clock: FakeClock;
  let registry: Registry;
  const started: Array<Lifecycler | Ring> = [];

  beforeEach(() => {
    kv = new MemoryKv(defaultMemoryKvConfig(), nopLogger, new Registry());
    clock = new FakeClock(1_000_000);
    registry = new Registry();
  });

  afterEach(async () => {
    for (const s of started.splice(0).reverse()) await s.stop();
    await kv.close();
  });

  function lifecycler(overrides: Partial<LifecyclerConfig> = {}, store: KvStore = kv, seed = 1): Lifecycler {
    const config = { ...defaultLifecyclerConfig(), ringKey: KEY, id: 'ingester-1', numTokens: 16, ...overrides };
    const l = new Lifecycler(config, store, clock, nopLogger, registry, new RandomTokenGenerator(seededRandom(seed)));
    started.push(l);
    return l;
  }

  function ring(heartbeatTimeoutMs = 60_000): Ring {
    const r = new Ring({ ...defaultRingConfig(), key: KEY, heartbeatTimeoutMs, replicationFactor: 1 }, kv, clock, nopLogger, registry);
    started.push(r);
    return r;
  }

  const stored = async (): Promise<RingDesc> => decodeRingDesc(await kv.get(KEY));

  it('goes JOINING, then ACTIVE after minReadyDurationMs, then LEAVING, then leaves the ring', async () => {
    const history: Array<InstanceState | 'removed'> = [];
    const ac = new AbortController();
    await kv.watchKey(KEY, ac.signal, (v) => {
      const inst = decodeRingDesc(v).instances['ingester-1'];
      const state = inst ? inst.state : 'removed';
      if (v && history[history.length - 1] !== state) history.push(state);
    });
    const l = lifecycler({ minReadyDurationMs: 10_000 });
    await l.start();
    expect(l.ringState).toBe('JOINING');
    await clock.advance(9_999);
    expect(l.ringState).toBe('JOINING');
    await clock.advance(1);
    expect(l.ringState).toBe('ACTIVE');
    await l.stop();
    await settle();
    expect(l.ringState).toBe('LEFT');
    expect(history).toEqual(['JOINING', 'ACTIVE', 'LEAVING', 'removed']);
    expect((await stored()).instances).toEqual({});
    ac.abort();
  });

  it('is ACTIVE as soon as start() resolves when minReadyDurationMs is 0', async () => {
    const l = lifecycler({ minReadyDurationMs: 0, addr: '10.0.0.1:9095', zone: 'zone-a' });
    await l.start();
    expect(l.ringState).toBe('ACTIVE');
    const entry = (await stored()).instances['ingester-1'];
    expect(entry).toMatchObject({ state: 'ACTIVE', addr: '10.0.0.1:9095', zone: 'zone-a', heartbeatMs: 1_000_000, registeredAtMs: 1_000_000 });
    expect(entry.tokens).toEqual(l.tokens);
    expect(entry.tokens).toHaveLength(16);
  });

  it('heartbeats every heartbeatPeriodMs', async () => {
    const l = lifecycler({ heartbeatPeriodMs: 15_000 });
    await l.start();
    for (const expected of [1_015_000, 1_030_000, 1_045_000]) {
      await clock.advance(15_000);
      expect((await stored()).instances['ingester-1'].heartbeatMs).toBe(expected);
    }
  });

  it.each([
    { name: 'keeps heartbeating, the ring sees it healthy', heartbeats: true, healthy: true },
    { name: 'stops heartbeating, the ring marks it unhealthy after the timeout', heartbeats: false, healthy: false },
  ])('an instance that $name', async ({ heartbeats, healthy }) => {
    const kvFlaky = new FlakyKv(kv);
    const l = lifecycler({ heartbeatPeriodMs: 15_000 }, kvFlaky);
    const r = ring(60_000);
    await l.start();
    await r.start();
    expect(r.snapshot().isHealthy('ingester-1', Operation.Write, clock.now())).toBe(true);
    kvFlaky.failing = !heartbeats;
    await clock.advance(60_001);
    await settle();
    expect(r.snapshot().isHealthy('ingester-1', Operation.Write, clock.now())).toBe(healthy);
    if (healthy) expect(r.get(12345).instances.map((i) => i.id)).toEqual(['ingester-1']);
    else expect(() => r.get(12345)).toThrow(UnavailableError);
    // A KV outage does not stop the lifecycler; it counts the failures and carries on.
    expect(l.state).toBe(ServiceState.Running);
    const failures = (await registry.getMetricsAsJSON()).find((m) => m.name === 'panoptes_ring_heartbeat_failures_total');
    expect((failures?.values[0]?.value ?? 0) > 0).toBe(!heartbeats);
    kvFlaky.failing = false;
  });

  it('a restarted instance keeps its tokens and registration time', async () => {
    const first = lifecycler({ unregisterOnShutdown: false }, kv, 1);
    await first.start();
    const tokens = [...first.tokens];
    await first.stop();
    expect((await stored()).instances['ingester-1'].state).toBe('LEAVING');
    await clock.advance(5_000);
    const second = lifecycler({ unregisterOnShutdown: false }, kv, 2);
    await second.start();
    expect(second.tokens).toEqual(tokens);
    expect((await stored()).instances['ingester-1']).toMatchObject({ state: 'ACTIVE', tokens, registeredAtMs: 1_000_000 });
  });

  it('tops up an existing entry that has fewer tokens than configured', async () => {
    const first = lifecycler({ unregisterOnShutdown: false, numTokens: 4 });
    await first.start();
    await first.stop();
    const second = lifecycler({ numTokens: 8 }, kv, 3);
    await second.start();
    expect(second.tokens).toHaveLength(8);
    expect(second.tokens).toEqual(expect.arrayContaining([...first.tokens]));
  });

  it('lifecyclers joining concurrently all appear, with no token claimed twice', async () => {
    // Same seed for all: they would pick identical tokens if they did not check the ring.
    const ls = Array.from({ length: 5 }, (_, i) => lifecycler({ id: `ingester-${i}` }, kv.withConfig({}), 7));
    await Promise.all(ls.map((l) => l.start()));
    const desc = await stored();
    expect(Object.keys(desc.instances).sort()).toEqual(['ingester-0', 'ingester-1', 'ingester-2', 'ingester-3', 'ingester-4']);
    const all = Object.values(desc.instances).flatMap((i) => i.tokens);
    expect(new Set(all).size).toBe(5 * 16);
  });

  it('an instance forgotten from the ring re-adds itself on its next heartbeat', async () => {
    const l = lifecycler({ heartbeatPeriodMs: 15_000 });
    const r = ring();
    await l.start();
    await r.start();
    await expect(r.forget('ingester-1')).resolves.toBe(true);
    await expect(r.forget('ingester-1')).resolves.toBe(false);
    await settle();
    expect(r.desc().instances).toEqual({});
    await clock.advance(15_000);
    await settle();
    expect(r.desc().instances['ingester-1']?.tokens).toEqual(l.tokens);
  });

  it('reports ring members by state in panoptes_ring_members', async () => {
    const a = lifecycler({ id: 'a' });
    const b = lifecycler({ id: 'b', minReadyDurationMs: 60_000 });
    const r = ring();
    await a.start();
    await b.start();
    await r.start();
    const members = await registry.getSingleMetricAsString('panoptes_ring_members');
    expect(members).toContain('panoptes_ring_members{name="ingester",state="ACTIVE"} 1');
    expect(members).toContain('panoptes_ring_members{name="ingester",state="JOINING"} 1');
    expect(members).toContain('panoptes_ring_members{name="ingester",state="Unhealthy"} 0');
    expect(await registry.getSingleMetricAsString('panoptes_ring_tokens_total')).toContain(
      'panoptes_ring_tokens_total{name="ingester"} 32',
    );
  });
});
