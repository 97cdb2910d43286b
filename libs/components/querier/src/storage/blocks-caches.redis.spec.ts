import Redis from 'ioredis';
import { type Bucket, defaultRedisCacheConfig, InstrumentedBucket, type RedisCacheConfig, S3Bucket, ScratchS3Bucket } from '@panoptes/bucket';
import { BucketIndexLoader, defaultBucketIndexLoaderConfig } from '@panoptes/bucket-index';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import type { StoredSeries } from '@panoptes/promql';
import { describeWithService, eventually, findOnPath, freePort, ManagedProcess, uniqueName } from '@panoptes/testing';
import { Matcher } from '@panoptes/tsdb';
import { Registry } from 'prom-client';
import { type BlocksCacheBackendConfig, type BlocksCaches, createBlocksCaches } from './blocks-caches';
import { type BlocksCacheKind, cachingBlocksBucket, defaultBlocksCachingConfig } from './blocks-caching-rules';
import { BlocksQueryable } from './blocks-queryable';
import { defaultQuerierStorageConfig } from './config';
import { BlockFactory, samplesBetween, type TestSeries, writeIndex, xorChunk } from './testing/blocks';

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 1);
const T = NOW - 48 * HOUR;
const TENANT = 'tenant-cache';
const BLOCKS = 12;
const SERIES_PER_BLOCK = 300;

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want)).reduce((sum, v) => sum + v.value, 0);
}

/** Hits and misses of the named cache, and object-store reads, since `before`. */
interface Tally {
  hits: Record<BlocksCacheKind, number>;
  requests: Record<BlocksCacheKind, number>;
  failures: number;
  storeReads: number;
}

async function tally(registry: Registry): Promise<Tally> {
  const out: Tally = { hits: { chunks: 0, index: 0, metadata: 0 }, requests: { chunks: 0, index: 0, metadata: 0 }, failures: 0, storeReads: 0 };
  for (const kind of ['chunks', 'index', 'metadata'] as const) {
    out.hits[kind] = await metric(registry, 'panoptes_cache_hits_total', { name: kind });
    out.requests[kind] = await metric(registry, 'panoptes_cache_requests_total', { name: kind });
  }
  out.failures = await metric(registry, 'panoptes_cache_operation_failures_total', {});
  for (const op of ['get', 'get_range', 'attributes', 'exists']) out.storeReads += await metric(registry, 'panoptes_bucket_operations_total', { operation: op });
  return out;
}

function since(after: Tally, before: Tally) {
  const kinds = ['chunks', 'index', 'metadata'] as const;
  return {
    hits: Object.fromEntries(kinds.map((k) => [k, after.hits[k] - before.hits[k]])) as Record<BlocksCacheKind, number>,
    misses: Object.fromEntries(kinds.map((k) => [k, after.requests[k] - before.requests[k] - (after.hits[k] - before.hits[k])])) as Record<BlocksCacheKind, number>,
    failures: after.failures - before.failures,
    storeReads: after.storeReads - before.storeReads,
  };
}

describeWithService('s3', 'querier block caches over MinIO', (s3) => {
  describeWithService('redis', 'with Redis', (redisEnv) => {
    const scratch = new ScratchS3Bucket(s3, uniqueName('panoptes-querier-caches'));
    const factory = new BlockFactory();
    const prefixes: string[] = [];
    let s3Bucket: S3Bucket;
    let raw: Redis;
    let want: string[];
    const openCaches: BlocksCaches[] = [];

    const labelsOf = (block: number, i: number): TestSeries['labels'] => [
      ['__name__', 'cache_bench'],
      ['block', String(block).padStart(2, '0')],
      ['pod', `pod-${String(i).padStart(4, '0')}`],
    ];
    const show = (list: readonly (StoredSeries | TestSeries)[]) =>
      list.map((s) => `${s.labels.map(([n, v]) => `${n}=${v}`).join(',')}:${s.chunks.map((c) => `${c.minT}-${c.maxT}:${Buffer.from(c.data).toString('hex')}`).join('|')}`);

    const redisBackend = (address: string, keyPrefix: string, overrides: Partial<RedisCacheConfig> = {}): BlocksCacheBackendConfig => ({
      backend: 'redis',
      inmemoryMaxSizeBytes: 1,
      redis: { ...defaultRedisCacheConfig(), address, keyPrefix, timeoutMs: 500, dialTimeoutMs: 500, ...overrides },
    });
    const memoryBackend = (): BlocksCacheBackendConfig => ({ backend: 'inmemory', inmemoryMaxSizeBytes: 256 * 1024 * 1024, redis: defaultRedisCacheConfig() });
    const caches = (c: Record<BlocksCacheKind, BlocksCacheBackendConfig>, registry: Registry): BlocksCaches => {
      const made = createBlocksCaches(c, nopLogger, registry);
      openCaches.push(made);
      return made;
    };
    const redisCaches = (registry: Registry, address = redisEnv.addr, overrides: Partial<RedisCacheConfig> = {}): BlocksCaches => {
      const prefix = `${uniqueName('panoptes-querier-cache')}:`;
      prefixes.push(prefix);
      const b = redisBackend(address, prefix, overrides);
      return caches({ chunks: b, index: b, metadata: b }, registry);
    };

    /** A querier process of its own (empty index memory, no sync dir) over `made`'s caches; store reads counted in `registry`. */
    const querier = (made: BlocksCaches | undefined, registry: Registry): BlocksQueryable => {
      const clock = new FakeClock(NOW);
      const store: Bucket = new InstrumentedBucket(s3Bucket, 'blocks', registry);
      const cached = cachingBlocksBucket(store, made?.caches ?? {}, defaultBlocksCachingConfig(), nopLogger, registry);
      const loader = new BucketIndexLoader({ ...defaultBucketIndexLoaderConfig(), maxStalePeriodMs: 0 }, cached, clock, nopLogger, new Registry());
      return new BlocksQueryable({ ...defaultQuerierStorageConfig(), syncDir: '' }, cached, loader, clock, nopLogger, new Registry(), store);
    };
    const select = async (q: BlocksQueryable): Promise<string[]> => {
      const out: StoredSeries[] = [];
      for await (const s of q.querier(TENANT, T - HOUR, T + 3 * HOUR).select([new Matcher('=', '__name__', 'cache_bench')], { start: T - HOUR, end: T + 3 * HOUR, step: 0, range: 0 })) out.push(s);
      return show(out);
    };
    const timed = async (q: BlocksQueryable): Promise<number> => {
      const start = process.hrtime.bigint();
      expect(await select(q)).toEqual(want);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };

    beforeAll(async () => {
      await scratch.create();
      s3Bucket = new S3Bucket(scratch.config());
      await factory.init();
      raw = new Redis({ host: redisEnv.host, port: redisEnv.port, lazyConnect: true });
      const metas = [];
      const all: TestSeries[] = [];
      for (let b = 0; b < BLOCKS; b++) {
        const series: TestSeries[] = Array.from({ length: SERIES_PER_BLOCK }, (_, i) => ({
          labels: labelsOf(b, i),
          chunks: [xorChunk(samplesBetween(T, T + HOUR, 30_000, b * 1000 + i)), xorChunk(samplesBetween(T + HOUR + 30_000, T + 2 * HOUR, 30_000, i))],
        }));
        all.push(...series);
        metas.push(await factory.upload(s3Bucket, TENANT, series));
      }
      await writeIndex(s3Bucket, TENANT, metas, NOW - 60_000);
      want = show(all);
    }, 120_000);

    afterAll(async () => {
      for (const c of openCaches) await c.close();
      for (const prefix of prefixes) {
        let cursor = '0';
        do {
          const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          if (keys.length > 0) await raw.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
      await raw?.quit();
      await s3Bucket?.close();
      await scratch.destroy();
      await factory.cleanup();
    }, 60_000);

    it('serves a second querier from Redis: the first query misses, the second hits and reads nothing from object storage, with identical results', async () => {
      const registry = new Registry();
      const made = redisCaches(registry);
      const t0 = await tally(registry);
      expect(await select(querier(made, registry))).toEqual(want);
      const t1 = await tally(registry);
      const cold = since(t1, t0);
      // An index load asks for the index size twice (attributes, then getRange): the second is a hit.
      expect(cold.hits).toEqual({ chunks: 0, index: BLOCKS, metadata: 0 });
      expect(cold.misses.chunks).toBeGreaterThan(0);
      expect(cold.misses.index).toBeGreaterThan(0);
      expect(cold.misses.metadata).toBe(1);
      expect(cold.storeReads).toBeGreaterThan(0);

      expect(await select(querier(made, registry))).toEqual(want);
      const warm = since(await tally(registry), t1);
      expect(warm.misses).toEqual({ chunks: 0, index: 0, metadata: 0 });
      expect(warm.hits.chunks).toBe(cold.misses.chunks);
      expect(warm.hits.index).toBe(cold.misses.index + cold.hits.index);
      expect(warm.hits.metadata).toBe(1);
      expect(warm.storeReads).toBe(0);
      expect(warm.failures).toBe(0);
    });

    it('answers correctly when Redis is unreachable, counting every failed lookup as a miss', async () => {
      const registry = new Registry();
      const down = await freePort();
      const made = redisCaches(registry, `127.0.0.1:${down}`, { timeoutMs: 100, dialTimeoutMs: 100 });
      const t0 = await tally(registry);
      expect(await select(querier(made, registry))).toEqual(want);
      const d = since(await tally(registry), t0);
      expect(d.hits).toEqual({ chunks: 0, index: 0, metadata: 0 });
      expect(d.failures).toBeGreaterThan(0);
    }, 60_000);

    const redisServer = findOnPath('redis-server');
    (redisServer ? it : it.skip)('answers correctly while its Redis restarts, and fills the restarted Redis again', async () => {
      const port = await freePort();
      const start = async (): Promise<ManagedProcess> => {
        const p = ManagedProcess.start({ command: redisServer!, args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'] });
        await p.waitForOutput(/Ready to accept connections/);
        return p;
      };
      let server = await start();
      try {
        const registry = new Registry();
        const made = redisCaches(registry, `127.0.0.1:${port}`, { timeoutMs: 100, dialTimeoutMs: 100 });
        expect(await select(querier(made, registry))).toEqual(want);
        const t1 = await tally(registry);
        expect(await select(querier(made, registry))).toEqual(want);
        expect(since(await tally(registry), t1).hits.chunks).toBeGreaterThan(0);

        await server.stop();
        const t2 = await tally(registry);
        expect(await select(querier(made, registry))).toEqual(want);
        const whileDown = since(await tally(registry), t2);
        expect(whileDown.failures).toBeGreaterThan(0);
        expect(whileDown.hits.chunks).toBe(0);

        // Restarted empty (no persistence): the client reconnects, queries refill it, then hit again.
        server = await start();
        await eventually(async () => {
          expect(await select(querier(made, registry))).toEqual(want);
          const t = await tally(registry);
          expect(await select(querier(made, registry))).toEqual(want);
          const d = since(await tally(registry), t);
          return d.failures === 0 && d.misses.chunks === 0 && d.hits.chunks > 0;
        }, 20_000);
      } finally {
        await server.stop();
      }
    }, 60_000);

    it('measures one query over every block: cold, warm in Redis, warm in memory (figures printed, not asserted)', async () => {
      const rounds = 5;
      await select(querier(undefined, new Registry())); // warm-up: JIT and connections
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const figures: Record<string, number[]> = {
        'no cache, new querier': [],
        'no cache, same querier (index in memory)': [],
        'redis cold, new querier': [],
        'redis warm, new querier (no local index)': [],
        'memory cold, new querier': [],
        'memory warm, same querier': [],
        'memory warm, new querier (index from store)': [],
      };
      for (let r = 0; r < rounds; r++) {
        const noCache = querier(undefined, new Registry());
        figures['no cache, new querier'].push(await timed(noCache));
        figures['no cache, same querier (index in memory)'].push(await timed(noCache));

        const redisRegistry = new Registry();
        const redis = redisCaches(redisRegistry);
        figures['redis cold, new querier'].push(await timed(querier(redis, redisRegistry)));
        figures['redis warm, new querier (no local index)'].push(await timed(querier(redis, redisRegistry)));

        const memRegistry = new Registry();
        const memory = caches({ chunks: memoryBackend(), index: memoryBackend(), metadata: memoryBackend() }, memRegistry);
        const q = querier(memory, memRegistry);
        figures['memory cold, new querier'].push(await timed(q));
        figures['memory warm, same querier'].push(await timed(q));
        figures['memory warm, new querier (index from store)'].push(await timed(querier(memory, memRegistry)));
      }
      const lines = Object.entries(figures).map(([name, ms]) => `  ${name.padEnd(46)} median ${median(ms).toFixed(1).padStart(7)} ms  (${ms.map((m) => m.toFixed(0)).join(', ')})`);
      process.stdout.write(`\nquerier block caches: one query over ${BLOCKS} blocks x ${SERIES_PER_BLOCK} series x 2 chunks (MinIO, Redis on loopback), ${rounds} rounds\n${lines.join('\n')}\n`);
    }, 120_000);
  });
});
