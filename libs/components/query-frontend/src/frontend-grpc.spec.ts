import * as grpc from '@grpc/grpc-js';
import { nopLogger } from '@panoptes/log';
import { eventually } from '@panoptes/testing';
import { Registry } from 'prom-client';
import { FrontendClient, type WorkStream, type WorkStreamHandlers } from './frontend-client';
import { FRONTEND_PROCESS_PATH, type WorkRequest, encodeQuerierToFrontend } from './frontend-proto';
import { registerFrontendService } from './frontend-service';
import { QuerierWorkerPool } from './worker-pool';

/** A querier worker driven by hand over a real stream. */
class ManualWorker {
  readonly requests: WorkRequest[] = [];
  readonly cancels: number[] = [];
  connected = false;
  closed: { err?: Error } | undefined;
  readonly stream: WorkStream;

  constructor(client: FrontendClient, querierId: string) {
    const handlers: WorkStreamHandlers = {
      connected: () => (this.connected = true),
      request: (r) => this.requests.push(r),
      cancel: (id) => this.cancels.push(id),
      closed: (err) => (this.closed = { err }),
    };
    this.stream = client.process(querierId, handlers);
  }
}

describe('panoptes.frontend.Frontend/Process over a real gRPC connection', () => {
  let server: grpc.Server;
  let pool: QuerierWorkerPool;
  let client: FrontendClient;
  let address: string;

  beforeEach(async () => {
    server = new grpc.Server();
    pool = new QuerierWorkerPool({ maxOutstandingPerTenant: 10, queueTimeoutMs: 5_000 }, nopLogger, new Registry());
    registerFrontendService(server, pool, nopLogger);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    address = `127.0.0.1:${port}`;
    client = new FrontendClient(address);
  });

  afterEach(async () => {
    pool.close();
    client.close();
    server.forceShutdown();
  });

  it('carries a request to a worker and its answer back: tenant, method, repeated parameters, UTF-8 body and headers', async () => {
    const w = new ManualWorker(client, 'querier-1');
    // The frontend sends headers at once: the worker knows it is connected.
    await eventually(() => w.connected && pool.connectedWorkers === 1, 5_000);
    const params = new URLSearchParams([
      ['match[]', 'up'],
      ['match[]', 'process_cpu_seconds_total{job="ä"}'],
    ]);
    const res = pool.schedule({ tenant: 'team-a', path: '/api/v1/series', method: 'GET', params });
    await eventually(() => w.requests.length === 1, 5_000);
    const r = w.requests[0];
    expect(r).toMatchObject({ tenant: 'team-a', path: '/api/v1/series', method: 'GET' });
    expect(new URLSearchParams(r.params).getAll('match[]')).toEqual(['up', 'process_cpu_seconds_total{job="ä"}']);
    w.stream.respond({ id: r.id, status: 200, contentType: 'application/json', body: '{"data":"ünïcode ✓"}', headers: { 'X-Panoptes-Querier-Stats': 'samples=3,peak=1' } });
    expect(await res).toEqual({ status: 200, contentType: 'application/json', body: '{"data":"ünïcode ✓"}', headers: { 'X-Panoptes-Querier-Stats': 'samples=3,peak=1' } });
    w.stream.end();
    await eventually(() => w.closed !== undefined, 5_000);
    expect(w.closed?.err).toBeUndefined();
    expect(pool.connectedWorkers).toBe(0);
  });

  it('queues a request again on another stream when the stream running it breaks', async () => {
    const a = new ManualWorker(client, 'querier-a');
    await eventually(() => pool.connectedWorkers === 1, 5_000);
    const res = pool.schedule({ tenant: 't', path: '/api/v1/query', method: 'POST', params: new URLSearchParams({ query: 'up' }) });
    await eventually(() => a.requests.length === 1, 5_000);
    const b = new ManualWorker(client, 'querier-b');
    await eventually(() => pool.connectedWorkers === 2, 5_000);
    a.stream.cancel();
    await eventually(() => b.requests.length === 1, 5_000);
    b.stream.respond({ id: b.requests[0].id, status: 200, contentType: 'application/json', body: '{}', headers: {} });
    expect((await res).status).toBe(200);
    expect(a.closed?.err?.message).toMatch(/CANCELLED/);
  });

  it('tells the worker when the client canceled its request', async () => {
    const w = new ManualWorker(client, 'q');
    await eventually(() => pool.connectedWorkers === 1, 5_000);
    const ac = new AbortController();
    const res = pool.schedule({ tenant: 't', path: '/api/v1/query', method: 'POST', params: new URLSearchParams({ query: 'up' }), signal: ac.signal });
    await eventually(() => w.requests.length === 1, 5_000);
    ac.abort();
    await expect(res).rejects.toThrow(/canceled/);
    await eventually(() => w.cancels.length === 1, 5_000);
    expect(w.cancels).toEqual([w.requests[0].id]);
  });

  it('ends the streams of its workers when it shuts down', async () => {
    const w = new ManualWorker(client, 'q');
    await eventually(() => pool.connectedWorkers === 1, 5_000);
    pool.close();
    await eventually(() => w.closed !== undefined, 5_000);
    expect(w.closed?.err).toBeUndefined();
  });

  it('refuses a stream whose first message does not name the querier, with INVALID_ARGUMENT', async () => {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    const call = raw.makeBidiStreamRequest<Buffer, Buffer>(FRONTEND_PROCESS_PATH, (b) => b, (b) => b, new grpc.Metadata(), {});
    call.on('error', () => undefined);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.write(encodeQuerierToFrontend({ kind: 'response', id: 1, status: 200, contentType: '', body: '', headers: {} }));
    const s = await status;
    raw.close();
    expect(s.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(s.details).toContain('must name the querier');
    expect(pool.connectedWorkers).toBe(0);
  });
});
