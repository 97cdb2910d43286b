import { UnavailableError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { describeWithService, eventually, uniqueName } from '@panoptes/testing';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { runKvContract } from './kv.contract';
import { RedisKv, RedisKvConfig, defaultRedisKvConfig } from './redis-kv';

describeWithService('redis', 'RedisKv', (env) => {
  let admin: Redis;

  beforeAll(() => {
    admin = new Redis({ host: env.host, port: env.port, lazyConnect: false });
  });

  afterAll(async () => {
    await admin.quit();
  });

  async function removePrefix(prefix: string): Promise<void> {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
  }

  function config(prefix: string, overrides: Partial<RedisKvConfig> = {}): RedisKvConfig {
    return { ...defaultRedisKvConfig(), addr: env.addr, prefix, pollIntervalMs: 200, ...overrides };
  }

  runKvContract('RedisKv', async () => {
    const prefix = `${uniqueName('kvtest')}/`;
    const clients: RedisKv[] = [];
    const registry = new Registry();
    return {
      client: async (overrides = {}) => {
        const c = new RedisKv(config(prefix, overrides), nopLogger, registry);
        clients.push(c);
        return c;
      },
      cleanup: async () => {
        await Promise.all(clients.map((c) => c.close()));
        await removePrefix(prefix);
      },
    };
  });

  describe('RedisKv specifics', () => {
    let prefix: string;
    const stores: RedisKv[] = [];
    const open = (overrides: Partial<RedisKvConfig> = {}) => {
      const kv = new RedisKv(config(prefix, overrides), nopLogger, new Registry());
      stores.push(kv);
      return kv;
    };

    beforeEach(() => {
      prefix = `${uniqueName('kvtest')}/`;
    });

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await removePrefix(prefix);
    });

    it('stores with different prefixes do not see each other', async () => {
      const a = open();
      const b = new RedisKv(config(`${prefix}other/`), nopLogger, new Registry());
      stores.push(b);
      await a.cas('k', () => ({ value: Buffer.from('a') }));
      expect(await b.get('k')).toBeUndefined();
      expect(await b.list('')).toEqual([]);
    });

    it('a watch catches up by polling when a change was committed without a pub/sub message', async () => {
      const kv = open({ pollIntervalMs: 100 });
      const ac = new AbortController();
      const seen: Array<string | undefined> = [];
      await kv.watchKey('silent', ac.signal, (v) => seen.push(v?.toString()));
      // Write behind the store's back (same layout, no PUBLISH): only the poll can notice.
      await admin.hset(`${prefix}silent`, 'val', 'quiet', 'ver', '999999');
      await eventually(() => seen[seen.length - 1] === 'quiet', 3000);
      ac.abort();
    });

    it('operations fail with UnavailableError when Redis cannot be reached', async () => {
      const kv = open({ addr: '127.0.0.1:1', requestTimeoutMs: 300, dialTimeoutMs: 200 });
      const err = await kv.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).reason).toBe('kv_unavailable');
    });

    it('reconnects after its connection is killed, and watches keep working', async () => {
      const name = uniqueName('kvconn');
      const kv = open({ clientName: name });
      await kv.cas('k', () => ({ value: Buffer.from('1') }));
      const ac = new AbortController();
      const seen: Array<string | undefined> = [];
      await kv.watchKey('k', ac.signal, (v) => seen.push(v?.toString()));
      // Kill only this store's connections (commands and watch), found by their unique name.
      const ids = ((await admin.client('LIST')) as string)
        .split('\n')
        .filter((line) => line.includes(` name=${name} `))
        .map((line) => /\bid=(\d+)/.exec(line)![1]);
      expect(ids).toHaveLength(2);
      for (const id of ids) await admin.client('KILL', 'ID', id);
      await eventually(async () => (await kv.get('k').catch(() => undefined))?.toString() === '1', 5000);
      const writer = open();
      await writer.cas('k', () => ({ value: Buffer.from('2') }));
      await eventually(() => seen[seen.length - 1] === '2', 5000);
      ac.abort();
    });
  });
});
