import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { defaultOtlpTranslationConfig } from '@panoptes/otlp';
import { DecodedWriteRequest, compressSnappy, encodeWriteRequestV1 } from '@panoptes/proto';
import { ApiRouter } from '@panoptes/server';
import { Distributor } from './distributor';
import { generousLimits } from './testing/limits';
import { pushApiMounts } from './push-handler';
import { SeriesSink } from './series-sink';

const NOW = 1_700_000_000_000;

/** Keeps the series strings written, per tenant. */
class MemorySink implements SeriesSink {
  readonly written: string[] = [];
  async write(tenant: string, req: DecodedWriteRequest, series: Uint32Array, count: number): Promise<undefined> {
    for (let k = 0; k < count; k++) this.written.push(`${tenant} ${req.seriesString(series[k])}`);
    return undefined;
  }
}

const V1_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };

function v1Body(metricNames: string[]): Buffer {
  return compressSnappy(
    encodeWriteRequestV1({
      timeseries: metricNames.map((name, i) => ({
        labels: [
          { name: '__name__', value: name },
          { name: 'job', value: 'api' },
        ],
        samples: [{ timestamp: NOW - i, value: i }],
      })),
    }),
  );
}

describe('push endpoints on the plain API router', () => {
  let server: Server;
  let base: string;
  let sink: MemorySink;

  beforeEach(async () => {
    sink = new MemorySink();
    const clock = new FakeClock(NOW);
    const distributor = new Distributor(
      { maxRecvMsgSizeBytes: 1 << 20, otlp: defaultOtlpTranslationConfig(), maxErrorsPerRequest: 10 },
      generousLimits,
      sink,
      undefined,
      { cluster: 'cluster', replica: '__replica__' },
      clock,
      nopLogger,
      new Registry(),
    );
    const router = new ApiRouter(pushApiMounts(distributor, 64 * 1024), { tenancy: { multitenancyEnabled: true, noAuthTenant: 'anonymous' }, maxRequestBodyBytes: 1024 }, nopLogger);
    server = createServer((req, res) => {
      if (!router.serve(req, res)) res.writeHead(404).end('not found\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (path: string, body: Buffer, headers: Record<string, string>) =>
    fetch(`${base}${path}`, { method: 'POST', body, headers: { 'x-scope-orgid': 't1', ...headers } });

  it('answers a valid remote write 1.0 request 204 with the written counts and writes every series', async () => {
    const res = await post('/api/v1/push', v1Body(['up', 'node_load1']), V1_HEADERS);
    expect(res.status).toBe(204);
    expect(res.headers.get('x-prometheus-remote-write-samples-written')).toBe('2');
    expect(res.headers.get('x-prometheus-remote-write-histograms-written')).toBe('0');
    expect(res.headers.get('x-prometheus-remote-write-exemplars-written')).toBe('0');
    expect(sink.written).toEqual(['t1 {__name__="up", job="api"}', 't1 {__name__="node_load1", job="api"}']);
  });

  it('answers 400 in plain text naming the refused series, with the counts of what was written', async () => {
    const res = await post('/api/v1/push', v1Body(['up', '']), V1_HEADERS);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('x-prometheus-remote-write-samples-written')).toBe('1');
    const text = await res.text();
    expect(text).toMatch(/refused 1 samples \(1 samples were written\).*job="api"/);
    expect(text.endsWith('\n')).toBe(true);
    expect(sink.written).toEqual(['t1 {__name__="up", job="api"}']);
  });

  it.each([
    { name: 'a request without a tenant is refused 401', path: '/api/v1/push', headers: { ...V1_HEADERS, 'x-scope-orgid': '' }, body: v1Body(['up']), status: 401 },
    { name: 'an unknown content type is refused 415', path: '/api/v1/push', headers: { ...V1_HEADERS, 'content-type': 'text/plain' }, body: v1Body(['up']), status: 415 },
    { name: 'an empty remote write body is refused 400', path: '/api/v1/push', headers: V1_HEADERS, body: Buffer.alloc(0), status: 400 },
    { name: 'corrupt snappy is refused 400', path: '/api/v1/push', headers: V1_HEADERS, body: Buffer.from([0x05, 0xff, 0xff, 0xff]), status: 400 },
    { name: 'a body over the limit is refused 413', path: '/api/v1/push', headers: V1_HEADERS, body: Buffer.alloc(64 * 1024 + 1), status: 413 },
    { name: 'an OTLP body over the limit is refused 413', path: '/otlp/v1/metrics', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.alloc(64 * 1024 + 1), status: 413 },
  ])('$name', async ({ path, headers, body, status }) => {
    const res = await post(path, body, headers);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect((await res.text()).length).toBeGreaterThan(1);
    expect(sink.written).toEqual([]);
  });

  it('answers GET on a push path 405 naming POST', async () => {
    const res = await fetch(`${base}/api/v1/push`, { headers: { 'x-scope-orgid': 't1' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it.each([
    { name: 'protobuf', contentType: 'application/x-protobuf', body: Buffer.alloc(0), expectedType: 'application/x-protobuf' },
    { name: 'JSON', contentType: 'application/json', body: Buffer.from('{"resourceMetrics":[]}'), expectedType: 'application/json; charset=utf-8' },
  ])('answers an OTLP $name export 200 in the request encoding', async ({ contentType, body, expectedType }) => {
    const res = await post('/otlp/v1/metrics', body, { 'content-type': contentType });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(expectedType);
    if (expectedType.startsWith('application/json')) expect(JSON.parse(await res.text())).toEqual({});
    else expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('writes the series of an OTLP JSON export', async () => {
    const body = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
          scopeMetrics: [{ metrics: [{ name: 'queue_depth', gauge: { dataPoints: [{ timeUnixNano: String(NOW * 1e6), asDouble: 3 }] } }] }],
        },
      ],
    });
    const res = await post('/otlp/v1/metrics', Buffer.from(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(sink.written.some((s) => s.startsWith('t1 {__name__="queue_depth"'))).toBe(true);
  });
});
