import * as net from 'node:net';
import { UnavailableError } from '@panoptes/common';
import { createLogger, nopLogger } from '@panoptes/log';
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

    it('a watch delivers the keys written again after Redis lost its data (version counter restarted)', async () => {
      const kv = open({ pollIntervalMs: 100 });
      for (let i = 1; i <= 5; i++) await kv.cas('ring', () => ({ value: Buffer.from(`old-${i}`) }));
      const ac = new AbortController();
      const seen: Array<string | undefined> = [];
      await kv.watchKey('ring', ac.signal, (v) => seen.push(v?.toString()));
      expect(seen).toEqual(['old-5']);
      // What a Redis restart without persistence does to the store: every key gone, the version
      // counter too. The writers then write again, from version 1.
      await removePrefix(prefix);
      await eventually(() => seen[seen.length - 1] === undefined, 3000);
      await kv.cas('ring', () => ({ value: Buffer.from('new-1') }));
      await eventually(() => seen[seen.length - 1] === 'new-1', 3000);
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

    // The poll interval is 30 s in these cases, so a change seen within seconds came by pub/sub.
    const subscriberCount = async () => {
      const [, count] = (await admin.pubsub('NUMSUB', `${prefix}~kv/changes`)) as [string, number];
      return Number(count);
    };

    it('retries a watch subscription that failed as the first watch started, and delivers by pub/sub again', async () => {
      const relay = new RefusingRelay(env.host, env.port);
      try {
        const lines: string[] = [];
        const logger = createLogger({ level: 'info', sink: { write: (line) => lines.push(line) } });
        const addr = await relay.accept();
        const kv = new RedisKv(config(prefix, { addr, pollIntervalMs: 30_000 }), logger, new Registry());
        stores.push(kv);
        await kv.get('k'); // the commands connection is up, through the relay
        // Redis is "briefly unreachable" for new connections: the watch's subscriber cannot connect.
        relay.refuse();
        const ac = new AbortController();
        const seen: Array<string | undefined> = [];
        // Resolves after the first subscription attempt failed and the initial read was delivered.
        await kv.watchKey('k', ac.signal, (v) => seen.push(v?.toString()));
        expect(seen).toEqual([undefined]);
        expect(await subscriberCount()).toBe(0);
        // Retries keep failing for a while, with one warning for the whole outage.
        await new Promise((r) => setTimeout(r, 500));
        await relay.accept();
        await eventually(async () => (await subscriberCount()) === 1, 5000);
        await open().cas('k', () => ({ value: Buffer.from('after') }));
        await eventually(() => seen[seen.length - 1] === 'after', 5000);
        expect(lines.filter((l) => l.includes('KV watch subscription failed'))).toHaveLength(1);
        expect(lines.filter((l) => l.includes('KV watch subscription restored'))).toHaveLength(1);
        ac.abort();
      } finally {
        relay.close();
      }
    });

    it('restores a watch subscription whose connection was killed, and delivers by pub/sub again', async () => {
      const name = uniqueName('kvsub');
      const kv = open({ clientName: name, pollIntervalMs: 30_000 });
      const ac = new AbortController();
      const seen: Array<string | undefined> = [];
      await kv.watchKey('k', ac.signal, (v) => seen.push(v?.toString()));
      expect(await subscriberCount()).toBe(1);
      // Kill only this store's subscriber connection (its name is unique, sub=1 marks it).
      const [id] = ((await admin.client('LIST')) as string)
        .split('\n')
        .filter((line) => line.includes(` name=${name} `) && line.includes(' sub=1 '))
        .map((line) => /\bid=(\d+)/.exec(line)![1]);
      expect(id).toBeDefined();
      await admin.client('KILL', 'ID', id);
      await eventually(async () => (await subscriberCount()) === 1, 5000);
      await open().cas('k', () => ({ value: Buffer.from('after') }));
      await eventually(() => seen[seen.length - 1] === 'after', 5000);
      ac.abort();
    });
  });
});

/**
 * A TCP relay in front of the real Redis that can stop listening (new connections are refused,
 * as when Redis is down) while the connections it already relays keep working: it makes only the
 * connections opened later (the watch subscriber) fail.
 */
class RefusingRelay {
  private readonly sockets = new Set<net.Socket>();
  private port = 0;
  private readonly server = net.createServer((client) => {
    const upstream = net.connect(this.redisPort, this.redisHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });

  constructor(
    private readonly redisHost: string,
    private readonly redisPort: number,
  ) {}

  /** Accepts connections (on a free loopback port the first time, then on the same port); returns host:port. */
  accept(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(`127.0.0.1:${this.port}`);
      });
    });
  }

  /** Stops listening: new connections are refused, relayed ones stay up. */
  refuse(): void {
    this.server.close();
  }

  close(): void {
    this.refuse();
    for (const socket of this.sockets) socket.destroy();
  }
}
