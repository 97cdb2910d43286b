import { SystemClock } from '@panoptes/common';
import { RedisKv, defaultRedisKvConfig } from '@panoptes/kv';
import { nopLogger } from '@panoptes/log';
import { describeWithService, eventually, uniqueName } from '@panoptes/testing';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { Lifecycler, defaultLifecyclerConfig } from './lifecycler';
import { Operation } from './operation';
import { Ring, defaultRingConfig } from './ring';

describeWithService('redis', 'Lifecycler on Redis KV', (env) => {
  const prefix = `${uniqueName('ringtest')}/`;
  const stores: RedisKv[] = [];
  const kvClient = () => {
    const kv = new RedisKv({ ...defaultRedisKvConfig(), addr: env.addr, prefix, pollIntervalMs: 200 }, nopLogger, new Registry());
    stores.push(kv);
    return kv;
  };

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    const admin = new Redis({ host: env.host, port: env.port });
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('two lifecyclers on separate connections join one ring, a ring client sees both ACTIVE, then both leave', async () => {
    const clock = new SystemClock();
    const key = 'ring/ingester';
    const config = { ...defaultLifecyclerConfig(), ringKey: key, numTokens: 32, heartbeatPeriodMs: 100 };
    const a = new Lifecycler({ ...config, id: 'ingester-a', zone: 'zone-a' }, kvClient(), clock, nopLogger, new Registry());
    const b = new Lifecycler({ ...config, id: 'ingester-b', zone: 'zone-b' }, kvClient(), clock, nopLogger, new Registry());
    const ring = new Ring({ ...defaultRingConfig(), key, replicationFactor: 2 }, kvClient(), clock, nopLogger, new Registry());
    await ring.start();
    await Promise.all([a.start(), b.start()]);

    await eventually(() => Object.values(ring.desc().instances).filter((i) => i.state === 'ACTIVE').length === 2);
    const tokens = Object.values(ring.desc().instances).flatMap((i) => i.tokens);
    expect(new Set(tokens).size).toBe(64);
    expect(ring.get(12345, Operation.Write).instances.map((i) => i.id).sort()).toEqual(['ingester-a', 'ingester-b']);
    // Heartbeats arrive through the watch.
    const before = ring.desc().instances['ingester-a'].heartbeatMs;
    await eventually(() => ring.desc().instances['ingester-a'].heartbeatMs > before, 3000);

    await Promise.all([a.stop(), b.stop()]);
    await eventually(() => Object.keys(ring.desc().instances).length === 0, 3000);
    await ring.stop();
  });
});
