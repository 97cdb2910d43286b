import * as grpc from '@grpc/grpc-js';
import type { Labels } from '@panoptes/block-formats';
import { httpStatusOf, LimitError, UnauthorizedError, UnavailableError, ValidationError } from '@panoptes/common';
import { encodeWriteRequestV1 } from '@panoptes/proto';
import { type GrpcServer, withTenant } from '@panoptes/server';
import { eventually } from '@panoptes/testing';
import { Matcher } from '@panoptes/tsdb';
import { Registry } from 'prom-client';
import { defaultIngesterClientConfig, IngesterClient, IngesterClientMetrics } from './client';
import { INGESTER_METHOD_PATHS } from './ingester-proto';
import { queryRequestCodec } from './codec';
import { decodeSeriesBatch } from './series-batch-codec';
import { ERROR_KINDS } from './testing/error-kinds';
import { FakeIngesterApi, makeSeries, startIngesterServer } from './testing/fake-ingester-api';
import type { SeriesChunks } from './types';

const hex = (s: SeriesChunks): unknown => ({ labels: s.labels, chunks: s.chunks.map((c) => ({ ...c, data: Buffer.from(c.data).toString('hex') })) });

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('IngesterClient against a real GrpcServer serving a fake IngesterApi', () => {
  const api = new FakeIngesterApi();
  const registry = new Registry();
  let server: GrpcServer;
  let address: string;
  let client: IngesterClient;

  beforeAll(async () => {
    ({ server, address } = await startIngesterServer(api, { queryStreamBatchSeries: 128, queryStreamBatchBytes: 64 * 1024 }));
    client = new IngesterClient(address, defaultIngesterClientConfig(), new IngesterClientMetrics(registry));
  });

  afterAll(async () => {
    client.close();
    await server.stop();
  });

  beforeEach(() => {
    api.failure = undefined;
    api.failAfterSeries = undefined;
    api.pushDelayMs = 0;
    api.pushes.length = 0;
    api.seriesByTenant.clear();
    api.statsByTenant.clear();
  });

  describe('Push', () => {
    it('delivers the remote-write bytes unchanged with the tenant and returns the counts', async () => {
      const body = encodeWriteRequestV1({
        timeseries: [
          { labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 1000 }, { value: 0, timestamp: 2000 }] },
          { labels: [{ name: '__name__', value: 'down' }], samples: [{ value: 1, timestamp: 1000 }] },
        ],
      });
      await expect(client.push('tenant-a', body)).resolves.toEqual({ samplesAppended: 3, samplesRejected: 0 });
      expect(api.pushes).toEqual([{ tenant: 'tenant-a', body }]);
    });

    it.each(ERROR_KINDS)('rebuilds a %s the ingester threw as the same typed error', async (_name, err, cls, code, http) => {
      api.failure = err;
      const got = await client.push('t1', Buffer.alloc(0)).catch((e: unknown) => e);
      expect(got).toBeInstanceOf(cls);
      expect(got).toMatchObject({ kind: err.kind, reason: err.reason, message: err.message, tenant: 't1' });
      expect(httpStatusOf(got)).toBe(http);
      expect(code).toBeGreaterThan(0);
    });

    it('rejects a call without a tenant as unauthorized (401)', async () => {
      const got = await client.push('', Buffer.alloc(0)).catch((e: unknown) => e);
      expect(got).toBeInstanceOf(UnauthorizedError);
      expect(got).toMatchObject({ reason: 'missing_tenant' });
      expect(httpStatusOf(got)).toBe(401);
      expect(api.pushes).toHaveLength(0);
    });

    it('rejects a call without tenant metadata at all as UNAUTHENTICATED on the wire', async () => {
      const raw = new grpc.Client(address, grpc.credentials.createInsecure());
      try {
        const err = await new Promise<grpc.ServiceError | null>((resolve) =>
          raw.makeUnaryRequest(INGESTER_METHOD_PATHS.push, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new grpc.Metadata(), (e) => resolve(e)),
        );
        expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
      } finally {
        raw.close();
      }
    });

    it('rejects an invalid tenant ID as a ValidationError', async () => {
      await expect(client.push('a/b', Buffer.alloc(0))).rejects.toMatchObject({ kind: 'bad_request', reason: 'invalid_tenant' });
    });

    it('fails with an UnavailableError when the deadline passes first', async () => {
      api.pushDelayMs = 300;
      const got = await client.push('t1', Buffer.alloc(0), { timeoutMs: 30 }).catch((e: unknown) => e);
      expect(got).toBeInstanceOf(UnavailableError);
      expect(got).toMatchObject({ reason: 'grpc_deadline_exceeded', message: expect.stringContaining(`ingester ${address}`) });
    });

    it('cancels the call when the signal aborts', async () => {
      api.pushDelayMs = 300;
      const abort = new AbortController();
      const pending = client.push('t1', Buffer.alloc(0), { signal: abort.signal });
      abort.abort();
      await expect(pending).rejects.toMatchObject({ kind: 'unavailable', reason: 'grpc_cancelled' });
    });

    it('records the call duration by operation and status code', async () => {
      await client.push('t1', encodeWriteRequestV1({ timeseries: [] }));
      const text = await registry.metrics();
      expect(text).toMatch(/panoptes_ingester_client_request_duration_seconds_count\{operation="push",status_code="OK"\} \d+/);
    });
  });

  describe('QueryStream', () => {
    it('streams every matching series with its chunk bytes intact, in order', async () => {
      const all = makeSeries(500, 3, 50);
      api.seriesByTenant.set('t1', all);
      api.seriesByTenant.set('t2', makeSeries(5));
      const got = await collect(client.queryStream('t1', { minT: 0, maxT: 10_000, matchers: [new Matcher('=', '__name__', 'm')] }));
      expect(got).toHaveLength(500);
      expect(got.map(hex)).toEqual(all.map(hex));
    });

    it('sends several series per message, at most the configured count or bytes', async () => {
      api.seriesByTenant.set('t1', makeSeries(300, 1, 10));
      api.seriesByTenant.set('big', makeSeries(10, 2, 10_000));
      const messages = async (tenant: string): Promise<number[]> => {
        const raw = new grpc.Client(address, grpc.credentials.createInsecure());
        try {
          const sized = raw.makeServerStreamRequest(
            INGESTER_METHOD_PATHS.queryStream,
            (b: Buffer) => b,
            decodeSeriesBatch,
            queryRequestCodec.encode({ minT: 0, maxT: 10_000, matchers: [] }),
            withTenant(tenant),
          );
          return (await collect(sized as AsyncIterable<SeriesChunks[]>)).map((b) => b.length);
        } finally {
          raw.close();
        }
      };
      // By count: 128 + 128 + 44.
      expect(await messages('t1')).toEqual([128, 128, 44]);
      // By bytes (64 KiB limit, ~20 KB a series): a message closes once its series pass the limit.
      expect(await messages('big')).toEqual([4, 4, 2]);
    });

    it('passes compiled matchers and the time range to the ingester', async () => {
      api.seriesByTenant.set('t1', makeSeries(10));
      const got = await collect(
        client.queryStream('t1', { minT: 1000, maxT: 1500, matchers: [{ type: '=', name: 'parity', value: 'odd' }, new Matcher('!~', 'i', '00000[13]')] }),
      );
      expect(got.map((s) => s.labels[1][1])).toEqual(['000005', '000007', '000009']);
      expect(got.every((s) => s.chunks.length === 1 && s.chunks[0].minT === 1000)).toBe(true);
      const seen = api.lastRequest as { minT: number; maxT: number; matchers: Matcher[] };
      expect(seen.minT).toBe(1000);
      expect(seen.maxT).toBe(1500);
      expect(seen.matchers.every((m) => m instanceof Matcher)).toBe(true);
    });

    it('rejects an invalid regex with a 400 naming it, before the ingester runs', async () => {
      api.lastRequest = undefined;
      const got = await collect(client.queryStream('t1', { minT: 0, maxT: 1, matchers: [{ type: '=~', name: 'job', value: '(unclosed' }] })).catch((e: unknown) => e);
      expect(got).toBeInstanceOf(ValidationError);
      expect(got).toMatchObject({ reason: 'invalid_regex', tenant: 't1', message: expect.stringContaining('"(unclosed"') });
      expect(api.lastRequest).toBeUndefined();
    });

    it('yields the series sent before the ingester failed, then the typed error', async () => {
      api.seriesByTenant.set('t1', makeSeries(300, 1, 10));
      api.failure = new LimitError('max_fetched_chunks', 'query would fetch too many chunks for tenant "t1"', { tenant: 't1' });
      api.failAfterSeries = 200;
      const seen: SeriesChunks[] = [];
      const err = await (async () => {
        for await (const s of client.queryStream('t1', { minT: 0, maxT: 10_000, matchers: [] })) seen.push(s);
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LimitError);
      expect(err).toMatchObject({ reason: 'max_fetched_chunks', tenant: 't1' });
      // Whole batches only: the 128 sent before the failure, not the 72 still being gathered.
      expect(seen).toHaveLength(128);
    });

    it('cancels the call and stops the ingester iterating when the caller stops reading', async () => {
      api.seriesByTenant.set('t1', makeSeries(5000, 1, 2000));
      const closedBefore = api.queryIterationsClosed;
      let n = 0;
      for await (const _s of client.queryStream('t1', { minT: 0, maxT: 10_000, matchers: [] })) {
        if (++n === 10) break;
      }
      await eventually(() => api.queryIterationsClosed > closedBefore, 2000);
    });

    it('rejects a missing tenant as unauthorized', async () => {
      await expect(collect(client.queryStream('', { minT: 0, maxT: 1, matchers: [] }))).rejects.toBeInstanceOf(UnauthorizedError);
    });
  });

  describe('label and stats APIs', () => {
    beforeEach(() => {
      const labels: Labels[] = [
        [
          ['__name__', 'up'],
          ['job', 'api'],
        ],
        [
          ['__name__', 'up'],
          ['instance', 'i1'],
          ['job', 'db'],
        ],
        [['__name__', 'requests_total']],
      ];
      api.seriesByTenant.set(
        't1',
        labels.map((l) => ({ labels: l, chunks: [] })),
      );
    });

    it('answers LabelNames for the matching series', async () => {
      await expect(client.labelNames('t1', { minT: 0, maxT: 1, matchers: [{ type: '=', name: '__name__', value: 'up' }] })).resolves.toEqual([
        '__name__',
        'instance',
        'job',
      ]);
      await expect(client.labelNames('other', { minT: 0, maxT: 1, matchers: [] })).resolves.toEqual([]);
    });

    it('answers LabelValues for the matching series', async () => {
      await expect(client.labelValues('t1', { name: 'job', minT: 0, maxT: 1, matchers: [] })).resolves.toEqual(['api', 'db']);
      await expect(client.labelValues('t1', { name: 'job', minT: 0, maxT: 1, matchers: [{ type: '!=', name: 'job', value: 'db' }] })).resolves.toEqual(['api']);
    });

    it('rejects LabelValues without a label name as a ValidationError', async () => {
      await expect(client.labelValues('t1', { name: '', minT: 0, maxT: 1, matchers: [] })).rejects.toMatchObject({ kind: 'bad_request', reason: 'invalid_label_name' });
    });

    it('answers Series with the label sets matching any matcher set', async () => {
      await expect(
        client.series('t1', {
          minT: 0,
          maxT: 1,
          matcherSets: [[{ type: '=', name: 'job', value: 'db' }], [{ type: '=~', name: '__name__', value: 'req.*' }]],
        }),
      ).resolves.toEqual([
        [
          ['__name__', 'up'],
          ['instance', 'i1'],
          ['job', 'db'],
        ],
        [['__name__', 'requests_total']],
      ]);
    });

    it('answers UserStats for the tenant and AllUserStats for every tenant without one', async () => {
      const a = { numSeries: 3, ingestionRate: 10.5, apiIngestionRate: 10, ruleIngestionRate: 0.5 };
      const b = { numSeries: 1, ingestionRate: 0, apiIngestionRate: 0, ruleIngestionRate: 0 };
      api.statsByTenant.set('a', a);
      api.statsByTenant.set('b', b);
      await expect(client.userStats('a')).resolves.toEqual(a);
      await expect(client.allUserStats()).resolves.toEqual([
        { tenant: 'a', stats: a },
        { tenant: 'b', stats: b },
      ]);
    });
  });

  it('answers MetricsMetadata with the tenant\'s entries and passes the request on', async () => {
    const entries = [
      { metricFamilyName: 'http_requests_total', type: 1, help: 'Requests.', unit: '' },
      { metricFamilyName: 'node_load1', type: 2, help: '1m load average.', unit: '' },
    ];
    api.metadataByTenant.set('t1', entries);
    await expect(client.metricsMetadata('t1', { limit: -1, limitPerMetric: 0, metric: '' })).resolves.toEqual(entries);
    await expect(client.metricsMetadata('t1', { limit: 5, limitPerMetric: 2, metric: 'node_load1' })).resolves.toEqual([entries[1]]);
    expect(api.lastRequest).toEqual({ limit: 5, limitPerMetric: 2, metric: 'node_load1' });
    await expect(client.metricsMetadata('other', { limit: -1, limitPerMetric: 0, metric: '' })).resolves.toEqual([]);
  });

  it('reports a health check as SERVING through the same channel', async () => {
    await expect(client.checkHealth(1000)).resolves.toBe(true);
  });
});

describe('IngesterClient without a server', () => {
  it('fails calls with an UnavailableError naming the address, and health checks with false', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const client = new IngesterClient('127.0.0.1:1');
    try {
      const err = await client.push('t1', Buffer.alloc(0)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ reason: 'grpc_unavailable', message: expect.stringContaining('ingester 127.0.0.1:1') });
      await expect(client.checkHealth(500)).resolves.toBe(false);
    } finally {
      client.close();
    }
  });
});
