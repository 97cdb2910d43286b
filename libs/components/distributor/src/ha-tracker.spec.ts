import { Registry } from 'prom-client';
import { DeduplicatedError, FakeClock, httpStatusOf } from '@panoptes/common';
import { MemoryKv, RedisKv, defaultKvCasConfig, defaultRedisKvConfig } from '@panoptes/kv';
import { nopLogger } from '@panoptes/log';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { defaultHaTrackerConfig, HaTracker, renderHaTrackerHtml, validateHaTrackerConfig } from './ha-tracker';

const config = { ...defaultHaTrackerConfig(), updateTimeoutMs: 15_000, updateTimeoutJitterMaxMs: 0, failoverTimeoutMs: 30_000 };

async function tracker(kv: MemoryKv | RedisKv, clock: FakeClock, prefix = config.kvPrefix) {
  const t = new HaTracker({ ...config, kvPrefix: prefix }, kv, clock, nopLogger, new Registry(), () => 0);
  await t.start();
  return t;
}

async function status(p: Promise<void>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    return httpStatusOf(err);
  }
}

describe('HaTracker', () => {
  let clock: FakeClock;
  let kv: MemoryKv;

  beforeEach(() => {
    clock = new FakeClock(1_000_000);
    kv = new MemoryKv(defaultKvCasConfig(), nopLogger, new Registry());
  });
  afterEach(() => kv.close());

  it('elects the first replica and drops the other with 202', async () => {
    const t = await tracker(kv, clock);
    expect(await status(t.checkReplica('t1', 'prom', 'a', 0))).toBe(200);
    const err = await t.checkReplica('t1', 'prom', 'b', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeduplicatedError);
    expect((err as DeduplicatedError).message).toBe('replicas did not match, rejecting sample: replica="b", elected="a" (tenant "t1", cluster "prom")');
    expect(httpStatusOf(err)).toBe(202);
    await t.stop();
  });

  it('keeps the elected replica while it keeps writing, past the failover timeout', async () => {
    const t = await tracker(kv, clock);
    await t.checkReplica('t1', 'prom', 'a', 0);
    for (let i = 0; i < 10; i++) {
      await clock.advance(10_000);
      expect(await status(t.checkReplica('t1', 'prom', 'a', 0))).toBe(200);
      expect(await status(t.checkReplica('t1', 'prom', 'b', 0))).toBe(202);
    }
    await t.stop();
  });

  it('fails over to another replica after the elected one is silent for the failover timeout', async () => {
    const t = await tracker(kv, clock);
    await t.checkReplica('t1', 'prom', 'a', 0);
    await clock.advance(29_000);
    expect(await status(t.checkReplica('t1', 'prom', 'b', 0))).toBe(202);
    await clock.advance(2_000);
    expect(await status(t.checkReplica('t1', 'prom', 'b', 0))).toBe(200);
    expect(await status(t.checkReplica('t1', 'prom', 'a', 0))).toBe(202);
    expect(t.rows()).toEqual([expect.objectContaining({ tenant: 't1', cluster: 'prom', replica: 'b', electedChanges: 1 })]);
    await t.stop();
  });

  it('tracks clusters and tenants independently', async () => {
    const t = await tracker(kv, clock);
    await t.checkReplica('t1', 'c1', 'a', 0);
    expect(await status(t.checkReplica('t1', 'c2', 'b', 0))).toBe(200);
    expect(await status(t.checkReplica('t2', 'c1', 'b', 0))).toBe(200);
    await t.stop();
  });

  it('rejects a new cluster over the per-tenant limit with 400', async () => {
    const t = await tracker(kv, clock);
    await t.checkReplica('t1', 'c1', 'a', 2);
    await t.checkReplica('t1', 'c2', 'a', 2);
    const err = await t.checkReplica('t1', 'c3', 'a', 2).catch((e: unknown) => e);
    expect(httpStatusOf(err)).toBe(400);
    expect(String(err)).toContain('too many HA clusters for tenant "t1": the limit of 2 is reached');
    expect(await status(t.checkReplica('t1', 'c1', 'a', 2))).toBe(200);
    await t.stop();
  });

  it('two distributors sharing the KV agree on the elected replica', async () => {
    const d1 = await tracker(kv, clock);
    const d2 = await tracker(kv.withConfig({}), clock);
    await d1.checkReplica('t1', 'prom', 'a', 0);
    expect(await status(d2.checkReplica('t1', 'prom', 'b', 0))).toBe(202);
    await Promise.all([d1.stop(), d2.stop()]);
  });

  it('a restarted distributor reads the elections back from the KV', async () => {
    const first = await tracker(kv, clock);
    await first.checkReplica('t1', 'prom', 'a', 0);
    await first.stop();
    const second = await tracker(kv, clock);
    expect(await status(second.checkReplica('t1', 'prom', 'b', 0))).toBe(202);
    await second.stop();
  });

  it('refreshes the elected replica in the KV only after the update timeout', async () => {
    const t = await tracker(kv, clock);
    await t.checkReplica('t1', 'prom', 'a', 0);
    const stored = async () => JSON.parse((await kv.get(`${config.kvPrefix}t1/prom`))!.toString()).receivedAtMs as number;
    const first = await stored();
    await clock.advance(5_000);
    await t.checkReplica('t1', 'prom', 'a', 0);
    expect(await stored()).toBe(first);
    await clock.advance(11_000);
    await t.checkReplica('t1', 'prom', 'a', 0);
    expect(await stored()).toBe(first + 16_000);
    await t.stop();
  });

  it('renders its page', async () => {
    const t = await tracker(kv, clock);
    await t.checkReplica('t1', 'prom', 'a', 0);
    expect(renderHaTrackerHtml(t.rows(), clock.now())).toContain('<td>t1</td><td>prom</td><td>a</td>');
    await t.stop();
  });

  it.each([
    ['failover not longer than update + jitter', { failoverTimeoutMs: 20_000 }, 'must be longer than the update timeout'],
    ['same cluster and replica labels', { replicaLabel: 'cluster' }, 'must differ'],
  ])('config validation: %s', (_n, override, message) => {
    expect(validateHaTrackerConfig({ ...defaultHaTrackerConfig(), ...override }).join('\n')).toContain(message);
  });
});

describeWithService('redis', 'HaTracker on the Redis KV', (redis) => {
  it('elects exactly one replica when two distributors see two replicas at once', async () => {
    const prefix = `${uniqueName('ha')}/`;
    const clock = new FakeClock(1_000_000);
    const mk = () => new RedisKv({ ...defaultRedisKvConfig(), addr: redis.addr, prefix }, nopLogger, new Registry());
    const kv1 = mk();
    const kv2 = mk();
    const d1 = await tracker(kv1, clock);
    const d2 = await tracker(kv2, clock);
    try {
      for (let round = 0; round < 20; round++) {
        const results = await Promise.all([status(d1.checkReplica('t1', `c${round}`, 'a', 0)), status(d2.checkReplica('t1', `c${round}`, 'b', 0))]);
        expect(results.sort()).toEqual([200, 202]);
      }
    } finally {
      await Promise.all([d1.stop(), d2.stop()]);
      for (const key of await kv1.list('')) await kv1.delete(key);
      await Promise.all([kv1.close(), kv2.close()]);
    }
  });
});
