import type { Labels } from '@panoptes/block-formats';
import { nopLogger } from '@panoptes/log';
import { type MetadataSource, defaultPromApiConfig, defaultPromApiLimits } from '@panoptes/prom-api';
import { type StoredSeries, defaultEngineConfig } from '@panoptes/promql';
import type { Matcher } from '@panoptes/tsdb';
import { Registry } from 'prom-client';
import { QUERIER_STATS_HEADER, Querier } from './querier';
import { QueryLimiter, type QueryLimits } from './storage/limiter';
import { samplesBetween, xorChunk } from './storage/testing/blocks';
import type { StorageQuerier, StorageQueryable } from './storage/types';

const T0 = 1_700_000_000_000;
const STEP = 15_000;

/** Storage holding a few series of every tenant; counts each selected series on the query's limiter. */
class MemoryStorage implements StorageQueryable {
  constructor(private readonly series: StoredSeries[]) {}

  querier(tenant: string, _minT: number, _maxT: number, limiter?: QueryLimiter): StorageQuerier {
    const lim = limiter ?? new QueryLimiter(tenant, { maxFetchedSeriesPerQuery: 0, maxFetchedChunksPerQuery: 0, maxFetchedChunkBytesPerQuery: 0 });
    const pick = (matchers: readonly Matcher[]) => this.series.filter((s) => matchers.every((m) => m.matches(s.labels.find(([n]) => n === m.name)?.[1] ?? '')));
    const selectSorted = async (matchers: readonly Matcher[]) => {
      const out = pick(matchers);
      for (const s of out) lim.addSeries(JSON.stringify(s.labels));
      return out;
    };
    return {
      selectSorted,
      select: (matchers) => ({ [Symbol.asyncIterator]: async function* () { yield* await selectSorted(matchers); } }),
      labelNames: async () => [],
      labelValues: async () => [],
      series: async () => [],
    };
  }
}

function series(instance: string): StoredSeries {
  const labels: Labels = [
    ['__name__', 'm'],
    ['instance', instance],
  ];
  return { labels, chunks: [xorChunk(samplesBetween(T0, T0 + 9 * STEP, STEP))] };
}

function newQuerier(limits?: (tenant: string) => QueryLimits, metadata?: MetadataSource) {
  const registry = new Registry();
  const q = new Querier(
    { engine: defaultEngineConfig(), api: defaultPromApiConfig(), limits: defaultPromApiLimits() },
    new MemoryStorage([series('a'), series('b')]),
    metadata,
    limits,
    nopLogger,
    registry,
  );
  return { q, registry };
}

const rangeQuery = (tenant: string, query: string) => ({
  tenant,
  path: '/api/v1/query_range',
  method: 'POST' as const,
  params: new URLSearchParams({ query, start: String(T0 / 1000), end: String((T0 + 9 * STEP) / 1000), step: '15' }),
});

describe('Querier', () => {
  it('answers /api/v1/metadata from its metadata source, for the tenant of the request', async () => {
    const asked: unknown[] = [];
    const metadata: MetadataSource = {
      metricMetadata: async (tenant, request) => {
        asked.push({ tenant, ...request });
        return [{ metric: 'm', type: 'gauge', help: 'An m.', unit: '' }];
      },
    };
    const { q } = newQuerier(undefined, metadata);
    const res = await q.handle({ tenant: 't', path: '/api/v1/metadata', method: 'GET', params: new URLSearchParams({ metric: 'm' }) });
    expect([res.status, JSON.parse(res.body)]).toEqual([200, { status: 'success', data: { m: [{ type: 'gauge', help: 'An m.', unit: '' }] } }]);
    expect(asked).toEqual([{ tenant: 't', limit: -1, limitPerMetric: -1, metric: 'm' }]);
  });

  it('reports the samples the engine read and its peak in X-Panoptes-Querier-Stats', async () => {
    const { q } = newQuerier();
    const res = await q.handle(rangeQuery('t', 'sum(m)'));
    expect(res.status).toBe(200);
    // Two series of ten samples each, all inside the range.
    expect(res.headers?.[QUERIER_STATS_HEADER]).toMatch(/^samples=20,peak=[1-9]\d*$/);
  });

  it("refuses a query fetching more series than the tenant's max_fetched_series_per_query with 422 execution naming the tenant and the limit", async () => {
    const limits = (tenant: string): QueryLimits => ({ maxFetchedSeriesPerQuery: tenant === 'small' ? 1 : 0, maxFetchedChunksPerQuery: 0, maxFetchedChunkBytesPerQuery: 0 });
    const { q, registry } = newQuerier(limits);
    const res = await q.handle(rangeQuery('small', 'm'));
    expect(res.status).toBe(422);
    const body = JSON.parse(res.body);
    expect(body.errorType).toBe('execution');
    expect(body.error).toContain('the query exceeded the maximum number of series (limit: 1 series) for tenant "small"');
    expect((await q.handle(rangeQuery('large', 'm'))).status).toBe(200);
    const rejected = await registry.getSingleMetric('panoptes_querier_queries_rejected_total')!.get();
    expect(rejected.values.find((v) => v.labels.reason === 'max_fetched_series_per_query')?.value).toBe(1);
  });
});
