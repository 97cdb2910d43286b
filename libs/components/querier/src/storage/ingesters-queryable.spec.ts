import type { Labels } from '@panoptes/block-formats';
import { FakeClock, LimitError, UnavailableError, UnprocessableError, ValidationError } from '@panoptes/common';
import { defaultIngesterClientPoolConfig, IngesterClientPool, type SeriesChunks } from '@panoptes/ingester-client';
import { nopLogger } from '@panoptes/log';
import type { EncodedChunk, SelectHints, StoredSeries } from '@panoptes/promql';
import { Matcher } from '@panoptes/tsdb';
import { Registry } from 'prom-client';
import { defaultQuerierStorageConfig, type QuerierStorageConfig } from './config';
import type { IngesterReadPlan, IngesterReadTopology, IngesterReplica } from './ingester-topology';
import { IngestersQueryable, metricTypeName } from './ingesters-queryable';
import { xorChunk, samplesBetween } from './testing/blocks';
import { FakeIngester } from './testing/fake-ingester';

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 1);
const T = NOW - HOUR; // recent data: inside queryIngestersWithin

const up = (job: string, instance = 'a'): Labels => [
  ['__name__', 'up'],
  ['instance', instance],
  ['job', job],
];
const chunkA = xorChunk(samplesBetween(T, T + 600_000, 15_000));
const chunkB = xorChunk(samplesBetween(T + 615_000, T + 1_200_000, 15_000));
const chunkB2 = xorChunk(samplesBetween(T + 630_000, T + 1_200_000, 30_000)); // another replica's cut of the same time
const hints = (start = T - HOUR, end = NOW): SelectHints => ({ start, end, step: 0, range: 0 });
const byName = (name: string) => [new Matcher('=', '__name__', name)];
const show = (series: StoredSeries[]) => series.map((s) => ({ labels: s.labels, chunks: s.chunks.map(showChunk) }));
const showChunk = (c: EncodedChunk) => ({ minT: c.minT, maxT: c.maxT, data: Buffer.from(c.data).toString('hex') });

async function collect<T>(it: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

class StaticTopology implements IngesterReadTopology {
  plan: IngesterReadPlan = { kind: 'replication-set', instances: [], maxErrors: 0, maxUnavailableZones: 0 };
  readPlan(): IngesterReadPlan {
    return this.plan;
  }
}

describe('IngestersQueryable against real gRPC ingesters', () => {
  const ingesters = [new FakeIngester(), new FakeIngester(), new FakeIngester()];
  const pool = new IngesterClientPool(defaultIngesterClientPoolConfig(), undefined, nopLogger, new Registry());
  const topology = new StaticTopology();
  const clock = new FakeClock(NOW);
  let replicas: IngesterReplica[];
  let registry: Registry;

  const queryable = (overrides: Partial<QuerierStorageConfig> = {}) => {
    registry = new Registry();
    return new IngestersQueryable({ ...defaultQuerierStorageConfig(), ...overrides }, topology, pool, clock, nopLogger, registry);
  };
  const classic = (maxErrors: number, maxUnavailableZones = 0, zones = ['', '', '']) => {
    topology.plan = { kind: 'replication-set', instances: replicas.map((r, i) => ({ ...r, zone: zones[i] })), maxErrors, maxUnavailableZones };
  };

  beforeAll(async () => {
    replicas = [];
    for (const [i, ing] of ingesters.entries()) replicas.push({ id: `ingester-${i}`, addr: await ing.start(), zone: '' });
  });

  afterAll(async () => {
    pool.close();
    await Promise.all(ingesters.map((i) => i.stop()));
  });

  beforeEach(() => {
    for (const ing of ingesters) {
      ing.seriesByTenant.clear();
      ing.metadataByTenant.clear();
      ing.requests.length = 0;
      ing.failure = undefined;
    }
    classic(1);
  });

  describe('classic mode (replication factor 3)', () => {
    it('merges the RF copies of a series into one, each identical chunk once and differing cuts both', async () => {
      ingesters[0].holds('t1', [{ labels: up('api'), chunks: [chunkA, chunkB] }]);
      ingesters[1].holds('t1', [{ labels: up('api'), chunks: [chunkA, chunkB] }]);
      ingesters[2].holds('t1', [{ labels: up('api'), chunks: [chunkA, chunkB2] }]);
      const got = await collect(queryable().querier('t1', T - HOUR, NOW).select(byName('up'), hints()));
      expect(show(got)).toEqual(show([{ labels: up('api'), chunks: [chunkA, chunkB, chunkB2] }]));
      expect(await registry.getSingleMetricAsString('panoptes_querier_fetched_series_total')).toContain('panoptes_querier_fetched_series_total{source="ingesters"} 3');
    });

    it('returns series spread over the ingesters sorted by labels, each asked with the tenant, range and matchers', async () => {
      ingesters[0].holds('t1', [{ labels: up('web'), chunks: [chunkA] }]);
      ingesters[1].holds('t1', [{ labels: up('api', 'b'), chunks: [chunkA] }, { labels: up('api'), chunks: [chunkB] }]);
      ingesters[2].holds('t2', [{ labels: up('other'), chunks: [chunkA] }]);
      const got = await collect(queryable().querier('t1', T - HOUR, NOW).select([new Matcher('=~', 'job', 'api|web')], hints(T, T + HOUR)));
      expect(got.map((s) => s.labels)).toEqual([up('api'), up('web'), up('api', 'b')]);
      for (const ing of ingesters) {
        expect(ing.requests).toEqual([
          { method: 'query_stream', tenant: 't1', req: expect.objectContaining({ minT: T, maxT: T + HOUR, matchers: [expect.objectContaining({ type: '=~', name: 'job', value: 'api|web' })] }) },
        ]);
      }
    });

    it.each([
      { name: 'one of three fails, one may fail: answered by the other two', failing: [0], maxErrors: 1, zones: undefined, maxZones: 0, ok: true },
      { name: 'two of three fail, one may fail: unavailable', failing: [0, 2], maxErrors: 1, zones: undefined, maxZones: 0, ok: false },
      { name: 'two fail in one zone, one zone may fail: answered', failing: [0, 1], maxErrors: 0, zones: ['a', 'a', 'b'], maxZones: 1, ok: true },
      { name: 'failures in two zones, one zone may fail: unavailable', failing: [0, 2], maxErrors: 0, zones: ['a', 'b', 'c'], maxZones: 1, ok: false },
    ])('$name', async ({ failing, maxErrors, zones, maxZones, ok }) => {
      classic(maxErrors, maxZones, zones);
      for (const ing of ingesters) ing.holds('t1', [{ labels: up('api'), chunks: [chunkA] }]);
      for (const i of failing) ingesters[i].failure = new UnavailableError('ingester_stopping', 'ingester is stopping');
      const pending = collect(queryable().querier('t1', T - HOUR, NOW).select(byName('up'), hints()));
      if (ok) {
        expect(show(await pending)).toEqual(show([{ labels: up('api'), chunks: [chunkA] }]));
      } else {
        const err = await pending.catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnavailableError);
        expect(err).toMatchObject({ reason: 'ingesters_unavailable', tenant: 't1', message: expect.stringContaining(`2 of 3 ingesters failed query_stream`) });
      }
    });

    it('passes on an error about the request itself (an invalid regex) instead of calling it unavailable', async () => {
      const bad = [{ type: '=~', name: 'job', value: '(' } as unknown as Matcher];
      const err = await collect(queryable().querier('t1', T - HOUR, NOW).select(bad, hints())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
    });

    it('answers label names, label values and series as sorted unions of every ingester', async () => {
      ingesters[0].holds('t1', [{ labels: up('web'), chunks: [chunkA] }]);
      ingesters[1].holds('t1', [{ labels: [['__name__', 'cpu'], ['zone', 'eu']], chunks: [chunkA] }, { labels: up('web'), chunks: [chunkA] }]);
      ingesters[2].holds('t1', [{ labels: up('api'), chunks: [chunkA] }]);
      const q = queryable().querier('t1', T - HOUR, NOW);
      expect(await q.labelNames([])).toEqual(['__name__', 'instance', 'job', 'zone']);
      expect(await q.labelValues('job', byName('up'))).toEqual(['api', 'web']);
      expect(await q.series([byName('up'), [new Matcher('=', 'zone', 'eu')]])).toEqual([[['__name__', 'cpu'], ['zone', 'eu']], up('api'), up('web')]);
    });
  });

  describe('ingest-log mode (one owner per partition)', () => {
    it('asks one owner of each partition and merges the partitions', async () => {
      topology.plan = {
        kind: 'partitions',
        partitions: [
          { id: 0, owners: [replicas[0], replicas[1]] },
          { id: 1, owners: [replicas[2]] },
        ],
      };
      for (const i of [0, 1]) ingesters[i].holds('t1', [{ labels: up('api'), chunks: [chunkA] }]);
      ingesters[2].holds('t1', [{ labels: up('web'), chunks: [chunkB] }]);
      const got = await collect(queryable().querier('t1', T - HOUR, NOW).select(byName('up'), hints()));
      expect(show(got)).toEqual(show([{ labels: up('api'), chunks: [chunkA] }, { labels: up('web'), chunks: [chunkB] }]));
      expect(ingesters[0].requests.length + ingesters[1].requests.length).toBe(1);
    });

    it('puts a lone owner\'s series in label order and each series\' chunks in time order', async () => {
      topology.plan = { kind: 'partitions', partitions: [{ id: 0, owners: [replicas[0]] }] };
      ingesters[0].holds('t1', [
        { labels: up('web'), chunks: [chunkB, chunkA] },
        { labels: up('api'), chunks: [chunkA, chunkB] },
      ]);
      const got = await collect(queryable().querier('t1', T - HOUR, NOW).select(byName('up'), hints()));
      expect(show(got)).toEqual(show([{ labels: up('api'), chunks: [chunkA, chunkB] }, { labels: up('web'), chunks: [chunkA, chunkB] }]));
    });

    it('falls back to another owner when the first one fails', async () => {
      topology.plan = { kind: 'partitions', partitions: [{ id: 0, owners: [replicas[0], replicas[1]] }] };
      for (const i of [0, 1]) ingesters[i].holds('t1', [{ labels: up('api'), chunks: [chunkA] }]);
      ingesters[0].failure = new UnavailableError('ingester_stopping', 'ingester is stopping');
      const q = queryable();
      for (let round = 0; round < 2; round++) {
        expect(show(await collect(q.querier('t1', T - HOUR, NOW).select(byName('up'), hints())))).toEqual(show([{ labels: up('api'), chunks: [chunkA] }]));
      }
      expect(ingesters[1].requests).toHaveLength(2);
      expect(await registry.getSingleMetricAsString('panoptes_querier_ingester_request_failures_total')).toContain('operation="query_stream",reason="ingester_stopping"} 1');
    });

    it('fails with UnavailableError naming the partition when every owner fails', async () => {
      topology.plan = { kind: 'partitions', partitions: [{ id: 7, owners: [replicas[0], replicas[1]] }] };
      for (const i of [0, 1]) ingesters[i].failure = new UnavailableError('ingester_stopping', 'ingester is stopping');
      const err = await collect(queryable().querier('t1', T - HOUR, NOW).select(byName('up'), hints())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ reason: 'partition_unavailable', message: expect.stringContaining('every owner of partition 7 failed query_stream') });
    });

    it('does not retry a limit error on another owner', async () => {
      topology.plan = { kind: 'partitions', partitions: [{ id: 0, owners: [replicas[0], replicas[1]] }] };
      for (const i of [0, 1]) ingesters[i].failure = new LimitError('max_series', 'too many series', { tenant: 't1' });
      const err = await collect(queryable().querier('t1', T - HOUR, NOW).select(byName('up'), hints())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LimitError);
      expect(ingesters[0].requests.length + ingesters[1].requests.length).toBe(1);
    });
  });

  describe('metric metadata', () => {
    const ALL = { limit: -1, limitPerMetric: -1, metric: '' };
    const md = (metricFamilyName: string, type: number, help: string, unit = '') => ({ metricFamilyName, type, help, unit });
    const entry = (metric: string, type: string, help: string, unit = '') => ({ metric, type, help, unit });

    it('merges the replicas\' entries into one list: deduplicated, by metric in name order, types named as Prometheus names them', async () => {
      ingesters[0].holdsMetadata('t1', [md('node_load1', 2, 'Load.'), md('up_total', 1, 'Ups.')]);
      ingesters[1].holdsMetadata('t1', [md('node_load1', 2, 'Load.'), md('node_load1', 2, 'Older load.'), md('up_total', 1, 'Ups.')]);
      ingesters[2].holdsMetadata('t1', [md('b_bytes', 7, 'A state set.', 'bytes'), md('up_total', 1, 'Ups.')]);
      ingesters[2].holdsMetadata('t2', [md('other', 2, 'Another tenant.')]);
      expect(await queryable().metricMetadata('t1', ALL)).toEqual([
        entry('b_bytes', 'stateset', 'A state set.', 'bytes'),
        entry('node_load1', 'gauge', 'Load.'),
        entry('node_load1', 'gauge', 'Older load.'),
        entry('up_total', 'counter', 'Ups.'),
      ]);
      for (const ing of ingesters) expect(ing.requests).toEqual([{ method: 'metrics_metadata', tenant: 't1', req: ALL }]);
    });

    it.each([
      { name: 'limit keeps the first metrics by name over every ingester', req: { ...ALL, limit: 2 }, want: [entry('a', 'gauge', 'A.'), entry('b', 'gauge', 'B.'), entry('b', 'gauge', 'B2.')] },
      { name: 'limit_per_metric keeps the first entries of each metric', req: { ...ALL, limitPerMetric: 1 }, want: ['a', 'b', 'c', 'd'].map((n) => entry(n, 'gauge', `${n.toUpperCase()}.`)) },
      { name: 'metric keeps that metric alone', req: { ...ALL, metric: 'c' }, want: [entry('c', 'gauge', 'C.')] },
      { name: 'limit 0 answers nothing without asking', req: { ...ALL, limit: 0 }, want: [] },
    ])('applies the limits: $name', async ({ req, want }) => {
      ingesters[0].holdsMetadata('t1', [md('a', 2, 'A.'), md('c', 2, 'C.')]);
      ingesters[1].holdsMetadata('t1', [md('b', 2, 'B.'), md('b', 2, 'B2.'), md('d', 2, 'D.')]);
      expect(await queryable().metricMetadata('t1', req)).toEqual(want);
      if (req.limit === 0) for (const ing of ingesters) expect(ing.requests).toEqual([]);
    });

    it('tolerates the failures replication allows and is unavailable beyond them', async () => {
      for (const ing of ingesters) ing.holdsMetadata('t1', [md('up', 2, 'Up.')]);
      ingesters[0].failure = new UnavailableError('ingester_stopping', 'ingester is stopping');
      expect(await queryable().metricMetadata('t1', ALL)).toEqual([entry('up', 'gauge', 'Up.')]);
      ingesters[1].failure = ingesters[0].failure;
      const err = await queryable().metricMetadata('t1', ALL).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: 'ingesters_unavailable', tenant: 't1', message: expect.stringContaining('2 of 3 ingesters failed metrics_metadata') });
    });

    it('asks one owner of each partition in ingest-log mode', async () => {
      topology.plan = {
        kind: 'partitions',
        partitions: [
          { id: 0, owners: [replicas[0], replicas[1]] },
          { id: 1, owners: [replicas[2]] },
        ],
      };
      for (const i of [0, 1]) ingesters[i].holdsMetadata('t1', [md('up', 2, 'Up.')]);
      ingesters[2].holdsMetadata('t1', [md('node_load1', 2, 'Load.')]);
      expect(await queryable().metricMetadata('t1', ALL)).toEqual([entry('node_load1', 'gauge', 'Load.'), entry('up', 'gauge', 'Up.')]);
      expect(ingesters[0].requests.length + ingesters[1].requests.length).toBe(1);
    });

    it.each([
      { type: 0, name: 'unknown' },
      { type: 1, name: 'counter' },
      { type: 2, name: 'gauge' },
      { type: 3, name: 'histogram' },
      { type: 4, name: 'gaugehistogram' },
      { type: 5, name: 'summary' },
      { type: 6, name: 'info' },
      { type: 7, name: 'stateset' },
      { type: 42, name: 'unknown' },
    ])('names remote write type $type "$name"', ({ type, name }) => {
      expect(metricTypeName(type)).toBe(name);
    });
  });

  describe('per-query limits', () => {
    const many = (n: number): SeriesChunks[] => Array.from({ length: n }, (_, i) => ({ labels: up('api', `i${i}`), chunks: [chunkA, chunkB] }));

    it.each([
      { name: 'series over the limit', limits: { maxFetchedSeriesPerQuery: 2 }, reason: 'max_fetched_series_per_query', flag: '-querier.max-fetched-series-per-query', limit: 'limit: 2 series' },
      { name: 'chunks over the limit', limits: { maxFetchedChunksPerQuery: 5 }, reason: 'max_fetched_chunks_per_query', flag: '-querier.max-fetched-chunks-per-query', limit: 'limit: 5 chunks' },
      {
        name: 'chunk bytes over the limit',
        limits: { maxFetchedChunkBytesPerQuery: chunkA.data.length },
        reason: 'max_fetched_chunk_bytes_per_query',
        flag: '-querier.max-fetched-chunk-bytes-per-query',
        limit: `limit: ${chunkA.data.length} bytes`,
      },
    ])('rejects a query with $name as unprocessable, naming tenant, limit and flag', async ({ limits, reason, flag, limit }) => {
      ingesters[0].holds('t1', many(3));
      const err = await collect(queryable(limits).querier('t1', T - HOUR, NOW).select(byName('up'), hints())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnprocessableError);
      expect(err).toMatchObject({ reason, tenant: 't1', message: expect.stringContaining(limit) });
      expect((err as Error).message).toContain(flag);
      expect((err as Error).message).toContain('tenant "t1"');
      expect(await registry.getSingleMetricAsString('panoptes_querier_queries_rejected_total')).toContain(`reason="${reason}"} 1`);
    });

    it('counts a series held by three replicas once against the series limit', async () => {
      for (const ing of ingesters) ing.holds('t1', many(2));
      const got = await collect(queryable({ maxFetchedSeriesPerQuery: 2 }).querier('t1', T - HOUR, NOW).select(byName('up'), hints()));
      expect(got).toHaveLength(2);
    });
  });

  describe('query-ingesters-within', () => {
    it('does not call ingesters for a range that ended before now minus queryIngestersWithin', async () => {
      const q = queryable({ queryIngestersWithinMs: 13 * HOUR }).querier('t1', NOW - 20 * HOUR, NOW - 14 * HOUR);
      expect(await collect(q.select(byName('up'), hints(NOW - 20 * HOUR, NOW - 14 * HOUR)))).toEqual([]);
      expect(await q.labelNames([])).toEqual([]);
      expect(ingesters.flatMap((i) => i.requests)).toEqual([]);
    });

    it.each([
      { name: 'a range reaching past now minus 13h is asked from there', within: 13 * HOUR, minT: NOW - 20 * HOUR, want: NOW - 13 * HOUR },
      { name: 'with 0 the whole range is asked', within: 0, minT: NOW - 20 * HOUR, want: NOW - 20 * HOUR },
    ])('$name', async ({ within, minT, want }) => {
      await collect(queryable({ queryIngestersWithinMs: within }).querier('t1', minT, NOW).select(byName('up'), hints(minT, NOW)));
      expect(ingesters[0].requests[0].req).toMatchObject({ minT: want, maxT: NOW });
    });
  });
});
