import { nopLogger } from '@panoptes/log';
import { encodeWriteRequestV1 } from '@panoptes/proto';
import type { GrpcServer } from '@panoptes/server';
import { eventually } from '@panoptes/testing';
import { Matcher } from '@panoptes/tsdb';
import { Registry } from 'prom-client';
import { defaultIngesterClientConfig, IngesterClient, IngesterClientMetrics } from './client';
import { type IngesterClientApi, LocalIngesterClient } from './local-client';
import { IngesterClientPool, defaultIngesterClientPoolConfig } from './pool';
import { ERROR_KINDS } from './testing/error-kinds';
import { FakeIngesterApi, makeSeries, startIngesterServer } from './testing/fake-ingester-api';
import type { SeriesChunks } from './types';

const hex = (s: SeriesChunks): unknown => ({ labels: s.labels, chunks: s.chunks.map((c) => ({ ...c, data: Buffer.from(c.data).toString('hex') })) });

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** What a call gave: its value, or its error's class, kind, reason, message and tenant. */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await call() };
  } catch (err) {
    const e = err as { constructor: { name: string }; kind?: string; reason?: string; message?: string; tenant?: string };
    return { error: e.constructor.name, kind: e.kind, reason: e.reason, message: e.message, tenant: e.tenant };
  }
}

describe('LocalIngesterClient answers exactly as IngesterClient over gRPC, on the same IngesterApi', () => {
  const api = new FakeIngesterApi();
  const metrics = new IngesterClientMetrics(new Registry());
  let server: GrpcServer;
  let remote: IngesterClient;
  let local: LocalIngesterClient;

  beforeAll(async () => {
    let address: string;
    ({ server, address } = await startIngesterServer(api));
    remote = new IngesterClient(address, defaultIngesterClientConfig(), metrics);
    local = new LocalIngesterClient(address, api, metrics);
    api.seriesByTenant.set('t1', makeSeries(300, 3, 20));
    api.seriesByTenant.set('t2', makeSeries(4));
    api.statsByTenant.set('t1', { numSeries: 300, ingestionRate: 1.5, apiIngestionRate: 1.5, ruleIngestionRate: 0 });
    api.metadataByTenant.set('t1', [
      { metricFamilyName: 'http_requests_total', type: 1, help: 'Requests.', unit: '' },
      { metricFamilyName: 'node_load1', type: 2, help: '1m load average.', unit: '' },
    ]);
  });

  afterAll(async () => {
    remote.close();
    await server.stop();
  });

  beforeEach(() => {
    api.failure = undefined;
    api.failAfterSeries = undefined;
  });

  const body = encodeWriteRequestV1({ timeseries: [{ labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 1000 }] }] });
  const CALLS: { name: string; call: (c: IngesterClientApi) => Promise<unknown> }[] = [
    { name: 'push', call: (c) => c.push('t1', body) },
    { name: 'push without a tenant', call: (c) => c.push('', body) },
    { name: 'push with an invalid tenant', call: (c) => c.push('../etc', body) },
    { name: 'query stream', call: async (c) => (await collect(c.queryStream('t1', { minT: 0, maxT: 10_000, matchers: [new Matcher('=', 'parity', 'odd')] }))).map(hex) },
    { name: 'query stream with a wire matcher', call: async (c) => (await collect(c.queryStream('t2', { minT: 0, maxT: 10_000, matchers: [{ type: '=~', name: 'i', value: '00000[12]' }] }))).map(hex) },
    { name: 'query stream with an invalid regex', call: (c) => collect(c.queryStream('t1', { minT: 0, maxT: 1, matchers: [{ type: '=~', name: 'job', value: '(unclosed' }] })) },
    { name: 'query stream without a tenant', call: (c) => collect(c.queryStream('', { minT: 0, maxT: 1, matchers: [] })) },
    { name: 'label names', call: (c) => c.labelNames('t1', { minT: 0, maxT: 10_000, matchers: [] }) },
    { name: 'label values', call: (c) => c.labelValues('t2', { name: 'i', minT: 0, maxT: 10_000, matchers: [] }) },
    { name: 'label values without a name', call: (c) => c.labelValues('t2', { name: '', minT: 0, maxT: 10_000, matchers: [] }) },
    { name: 'series', call: (c) => c.series('t2', { minT: 0, maxT: 10_000, matcherSets: [[{ type: '=', name: 'parity', value: 'even' }]] }) },
    { name: 'series without matcher sets', call: (c) => c.series('t2', { minT: 0, maxT: 10_000, matcherSets: [] }) },
    { name: 'user stats', call: (c) => c.userStats('t1') },
    { name: 'all user stats', call: (c) => c.allUserStats() },
    { name: 'metrics metadata', call: (c) => c.metricsMetadata('t1', { limit: -1, limitPerMetric: 0, metric: '' }) },
    { name: 'metrics metadata of one metric', call: (c) => c.metricsMetadata('t1', { limit: 10, limitPerMetric: 1, metric: 'node_load1' }) },
    { name: 'metrics metadata with limits beyond int32', call: async (c) => [await c.metricsMetadata('t1', { limit: 2 ** 40, limitPerMetric: -(2 ** 40), metric: '' }), api.lastRequest] },
    { name: 'metrics metadata without a tenant', call: (c) => c.metricsMetadata('', { limit: -1, limitPerMetric: 0, metric: '' }) },
  ];

  it.each(CALLS)('$name', async ({ call }) => {
    const [viaGrpc, inProcess] = [await outcome(() => call(remote)), await outcome(() => call(local))];
    expect(inProcess).toEqual(viaGrpc);
  });

  it.each(ERROR_KINDS.map(([name, err]) => ({ name, err })))('rebuilds a $name the ingester threw as gRPC would', async ({ err }) => {
    api.failure = err;
    const [viaGrpc, inProcess] = [await outcome(() => remote.push('t1', body)), await outcome(() => local.push('t1', body))];
    expect(inProcess).toEqual(viaGrpc);
  });

  it('yields the series the ingester gave before it failed, then the typed error', async () => {
    api.failure = ERROR_KINDS.find(([name]) => name === 'LimitError')![1];
    api.failAfterSeries = 200;
    const seen: SeriesChunks[] = [];
    const err = await (async () => {
      for await (const s of local.queryStream('t1', { minT: 0, maxT: 10_000, matchers: [] })) seen.push(s);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'limit', tenant: 't1' });
    // No batching in-process: every series before the failure arrives.
    expect(seen).toHaveLength(200);
  });

  it('stops the ingester iterating when the caller stops reading, and when its signal aborts', async () => {
    const closed = api.queryIterationsClosed;
    for await (const _s of local.queryStream('t1', { minT: 0, maxT: 10_000, matchers: [] })) break;
    await eventually(() => api.queryIterationsClosed === closed + 1, 2000);
    const controller = new AbortController();
    const err = await (async () => {
      let n = 0;
      for await (const _s of local.queryStream('t1', { minT: 0, maxT: 10_000, matchers: [] }, { signal: controller.signal })) if (++n === 5) controller.abort();
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'grpc_cancelled' });
    await eventually(() => api.queryIterationsClosed === closed + 2, 2000);
  });
});

describe('IngesterClientPool with a local ingester', () => {
  it('hands out the in-process client for the local address and gRPC clients for the others', () => {
    const pool = new IngesterClientPool(defaultIngesterClientPoolConfig(), undefined, nopLogger, new Registry());
    const api = new FakeIngesterApi();
    const before = pool.getClientFor('127.0.0.1:9095');
    expect(before).toBeInstanceOf(IngesterClient);
    pool.setLocal('127.0.0.1:9095', api);
    expect(pool.getClientFor('127.0.0.1:9095')).toBeInstanceOf(LocalIngesterClient);
    expect(pool.getClientFor('127.0.0.1:9096')).toBeInstanceOf(IngesterClient);
    pool.close();
  });
});
