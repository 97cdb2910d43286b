import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import type { Bucket } from '@panoptes/bucket';
import { readBucketIndex } from '@panoptes/bucket-index';
import { nopLogger } from '@panoptes/log';
import { compressSnappy, encodeWriteRequestV1, TimeSeriesV1Input } from '@panoptes/proto';
import { describeWithService, eventually, freePort, uniqueName } from '@panoptes/testing';
import { PanoptesConfig } from './config';
import { RunningProcess, startProcess } from './runner';
import { testConfig } from './testing/test-config';

const TENANT = 'team-cache';
const STEP = 15_000;
const END = Math.floor((Date.now() - 60_000) / STEP) * STEP;
const START = END - 10 * 60_000;

function counter(job: string): TimeSeriesV1Input {
  const samples = [];
  for (let t = START, v = 0; t <= END; t += STEP, v++) samples.push({ timestamp: t, value: v });
  return { labels: [{ name: '__name__', value: 'cached_total' }, { name: 'job', value: job }], samples };
}

/** Value of one series in a Prometheus text exposition, 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/**
 * The all-in-one process with its querier reading only blocks (ingesters are asked about the last
 * millisecond only), after one block was flushed and listed in the bucket index.
 */
function describeQuerierCaches(title: string, configure: (c: PanoptesConfig) => void, kinds: string[]): void {
  describe(title, () => {
    let dir: string;
    let proc: RunningProcess;
    let base: string;

    const metrics = async () => (await fetch(`${base}/metrics`)).text();
    const queryRange = async () => {
      const form = new URLSearchParams({ query: 'cached_total', start: String(START / 1000), end: String(END / 1000), step: '15' });
      const res = await fetch(`${base}/prometheus/api/v1/query_range`, {
        method: 'POST',
        headers: { 'X-Scope-OrgID': TENANT, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: { result: unknown[] } }).data.result;
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'panoptes-querier-caches-'));
      const grpcPort = await freePort();
      proc = await startProcess(
        testConfig(dir, (c) => {
          c.server.grpcListenPort = grpcPort;
          c.ingester.ring.instanceAddr = `127.0.0.1:${grpcPort}`;
          c.compactor.compactionIntervalMs = 1_000;
          c.compactor.ring.heartbeatPeriodMs = 1_000;
          c.querier.queryStoreAfterMs = 0;
          c.querier.queryIngestersWithinMs = 1;
          c.queryFrontend.cacheResults = false;
          configure(c);
        }),
        nopLogger,
        new Registry(),
      );
      base = `http://127.0.0.1:${proc.wiring.http.port}`;
      const push = await fetch(`${base}/api/v1/push`, {
        method: 'POST',
        headers: { 'X-Scope-OrgID': TENANT, 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
        body: compressSnappy(encodeWriteRequestV1({ timeseries: [counter('a'), counter('b')] })),
      });
      expect(push.status).toBe(204);
      // The block must be in the bucket index before the first query: the querier caches "no index" for a while.
      await eventually(async () => (await fetch(`${base}/ingester/flush`, { method: 'POST' })).status === 201 && (await blocksListed()) > 0, 20_000, 500);
    }, 60_000);

    const blocksListed = async () => {
      try {
        return (await readBucketIndex(proc.wiring.modules.get('bucket') as Bucket, TENANT)).blocks.length;
      } catch {
        return 0;
      }
    };

    afterAll(async () => {
      await proc?.manager.stopAll();
      rmSync(dir, { recursive: true, force: true });
    });

    it(`exposes hit and request counters of the ${kinds.join(', ')} caches on /metrics, and the second query over blocks hits the chunks cache with the same answer`, async () => {
      const before = await metrics();
      for (const name of kinds) {
        expect(before).toContain(`panoptes_cache_requests_total{name="${name}"}`);
        expect(before).toContain(`panoptes_cache_hits_total{name="${name}"}`);
      }
      const first = await queryRange();
      expect(first).toHaveLength(2);
      const afterFirst = await metrics();
      expect(sample(afterFirst, 'panoptes_cache_requests_total{name="chunks"}')).toBeGreaterThan(sample(before, 'panoptes_cache_requests_total{name="chunks"}'));

      expect(await queryRange()).toEqual(first);
      const afterSecond = await metrics();
      const hits = (text: string) => sample(text, 'panoptes_cache_hits_total{name="chunks"}');
      expect(hits(afterSecond)).toBeGreaterThan(hits(afterFirst));
      // The chunks came from the cache: the second query read no chunk bytes from the bucket.
      const ranges = (text: string) => sample(text, 'panoptes_bucket_operations_total{bucket="blocks",operation="get_range"}');
      expect(ranges(afterSecond)).toBe(ranges(afterFirst));
    }, 30_000);
  });
}

describeQuerierCaches('querier block caches in the all-in-one process (in memory)', () => undefined, ['chunks', 'metadata']);

describeWithService('redis', 'querier block caches in Redis', (env) => {
  const prefix = `${uniqueName('panoptes-modules-cache')}:`;
  afterAll(async () => {
    const raw = new Redis({ host: env.host, port: env.port, lazyConnect: true });
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await raw.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await raw.quit();
  });
  describeQuerierCaches(
    'the all-in-one process with its block caches in Redis',
    (c) => {
      for (const cache of [c.blocksStorage.bucketStore.chunksCache, c.blocksStorage.bucketStore.indexCache, c.blocksStorage.bucketStore.metadataCache]) {
        cache.backend = 'redis';
        cache.redis.endpoint = env.addr;
        cache.redis.keyPrefix = prefix;
      }
    },
    ['chunks', 'index', 'metadata'],
  );
});
