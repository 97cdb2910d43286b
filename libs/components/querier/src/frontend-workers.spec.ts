import { nopLogger } from '@panoptes/log';
import type { ApiRequest, ApiResponse } from '@panoptes/server';
import { eventually } from '@panoptes/testing';
import { Registry } from 'prom-client';
import {
  type FrontendConnector,
  type FrontendStream,
  type FrontendStreamHandlers,
  type FrontendWorkResponse,
  type HostResolver,
  QuerierWorkers,
  type QuerierWorkersConfig,
  defaultQuerierWorkersConfig,
} from './frontend-workers';

/** One worker stream as a fake frontend sees it. */
class FakeStream implements FrontendStream {
  readonly responses: FrontendWorkResponse[] = [];
  ended = false;
  over = false;

  constructor(
    readonly address: string,
    readonly querierId: string,
    private readonly h: FrontendStreamHandlers,
  ) {}

  respond(res: FrontendWorkResponse): void {
    this.responses.push(res);
  }

  /** The frontend answers a half-close by ending the stream. */
  end(): void {
    this.ended = true;
    setImmediate(() => this.close());
  }

  cancel(): void {
    this.close(new Error('CANCELLED'));
  }

  send(id: number, params = 'query=up', tenant = 't'): void {
    this.h.request({ id, tenant, path: '/api/v1/query', method: 'POST', params });
  }

  cancelRequest(id: number): void {
    this.h.cancel(id);
  }

  accept(): void {
    this.h.connected();
  }

  close(err?: Error): void {
    if (this.over) return;
    this.over = true;
    this.h.closed(err);
  }
}

/** Fake frontends: accept every stream (or refuse them all while `refuse` is set). */
class FakeFrontends {
  readonly streams: FakeStream[] = [];
  readonly closedConnections: string[] = [];
  refuse = false;

  readonly connect: FrontendConnector = (address) => ({
    process: (querierId, h) => {
      const s = new FakeStream(address, querierId, h);
      this.streams.push(s);
      setImmediate(() => (this.refuse ? s.close(new Error('UNAVAILABLE: connection refused')) : s.accept()));
      return s;
    },
    close: () => this.closedConnections.push(address),
  });

  open(address?: string): FakeStream[] {
    return this.streams.filter((s) => !s.over && (address === undefined || s.address === address));
  }
}

/** A querier whose answers the test releases; it honours the request's signal. */
class ManualQuerier {
  readonly calls: { req: ApiRequest; answer: (res: ApiResponse) => void; aborted: () => boolean }[] = [];

  handle(req: ApiRequest): Promise<ApiResponse> {
    return new Promise((resolve) => {
      this.calls.push({ req, answer: resolve, aborted: () => req.signal?.aborted === true });
      req.signal?.addEventListener('abort', () => resolve({ status: 499, contentType: 'application/json', body: '{"status":"error","errorType":"canceled"}' }), { once: true });
    });
  }
}

const ok = (body = '{"status":"success"}'): ApiResponse => ({ status: 200, contentType: 'application/json', body, headers: { 'X-Panoptes-Querier-Stats': 'samples=5,peak=2' } });

describe('QuerierWorkers', () => {
  let workers: QuerierWorkers | undefined;
  afterEach(async () => {
    await workers?.stop();
    workers = undefined;
  });

  function start(frontends: FakeFrontends, config: Partial<QuerierWorkersConfig>, resolve: HostResolver = async (h) => [h], querier = new ManualQuerier()) {
    const registry = new Registry();
    workers = new QuerierWorkers(
      { ...defaultQuerierWorkersConfig(), querierId: 'querier-1', dnsRefreshIntervalMs: 3_600_000, backoffMinMs: 1, backoffMaxMs: 4, ...config },
      querier,
      frontends.connect,
      resolve,
      nopLogger,
      registry,
    );
    return { workers, registry, querier, started: workers.start() };
  }

  it('keeps max_concurrent streams open to every address a frontend name resolves to, naming the querier', async () => {
    const f = new FakeFrontends();
    const resolve: HostResolver = async (host) => (host === 'frontend.svc' ? ['10.0.0.1', '10.0.0.2'] : [host]);
    const { workers: w, registry, started } = start(f, { frontendAddresses: ['frontend.svc:9095', '10.0.0.9:9095'], maxConcurrent: 2 }, resolve);
    await started;
    await eventually(() => f.open().length === 6, 5_000);
    expect(w.frontends).toEqual(['10.0.0.1:9095', '10.0.0.2:9095', '10.0.0.9:9095']);
    expect(f.open('10.0.0.2:9095')).toHaveLength(2);
    expect(new Set(f.streams.map((s) => s.querierId))).toEqual(new Set(['querier-1']));
    await eventually(async () => (await registry.getSingleMetric('panoptes_querier_frontend_streams')!.get()).values[0].value === 6, 5_000);
  });

  it('runs a request on the querier and answers it on its stream, with the querier\'s headers', async () => {
    const f = new FakeFrontends();
    const { querier, started } = start(f, { frontendAddresses: ['10.0.0.1:9095'], maxConcurrent: 1 });
    await started;
    await eventually(() => f.open().length === 1, 5_000);
    const s = f.open()[0];
    s.send(7, 'query=sum(up)&match%5B%5D=a&match%5B%5D=b', 'team-a');
    await eventually(() => querier.calls.length === 1, 5_000);
    const { req } = querier.calls[0];
    expect(req).toMatchObject({ tenant: 'team-a', path: '/api/v1/query', method: 'POST' });
    expect(req.params.get('query')).toBe('sum(up)');
    expect(req.params.getAll('match[]')).toEqual(['a', 'b']);
    querier.calls[0].answer(ok());
    await eventually(() => s.responses.length === 1, 5_000);
    expect(s.responses[0]).toEqual({ id: 7, status: 200, contentType: 'application/json', body: '{"status":"success"}', headers: { 'X-Panoptes-Querier-Stats': 'samples=5,peak=2' } });
  });

  it('aborts the running query when the frontend cancels it, and still answers (the answer frees the stream)', async () => {
    const f = new FakeFrontends();
    const { querier, started } = start(f, { frontendAddresses: ['10.0.0.1:9095'], maxConcurrent: 1 });
    await started;
    await eventually(() => f.open().length === 1, 5_000);
    const s = f.open()[0];
    s.send(3);
    await eventually(() => querier.calls.length === 1, 5_000);
    s.cancelRequest(3);
    expect(querier.calls[0].aborted()).toBe(true);
    await eventually(() => s.responses.length === 1, 5_000);
    expect(s.responses[0]).toMatchObject({ id: 3, status: 499 });
  });

  it('reconnects with backoff while the frontend refuses its streams, and works once it accepts', async () => {
    const f = new FakeFrontends();
    f.refuse = true;
    const { registry, started } = start(f, { frontendAddresses: ['10.0.0.1:9095'], maxConcurrent: 1 });
    await started;
    await eventually(() => f.streams.length >= 4, 5_000);
    f.refuse = false;
    await eventually(() => f.open().length === 1, 5_000);
    const failures = await registry.getSingleMetric('panoptes_querier_frontend_stream_failures_total')!.get();
    expect(failures.values[0].value).toBeGreaterThanOrEqual(3);
  });

  it('reopens a stream the frontend ended (e.g. the frontend restarting)', async () => {
    const f = new FakeFrontends();
    const { started } = start(f, { frontendAddresses: ['10.0.0.1:9095'], maxConcurrent: 1 });
    await started;
    await eventually(() => f.open().length === 1, 5_000);
    const first = f.open()[0];
    first.close();
    await eventually(() => f.open().length === 1 && f.open()[0] !== first, 5_000);
  });

  it('leaves a frontend gone from DNS, and keeps the addresses found before when a lookup fails', async () => {
    const f = new FakeFrontends();
    let answer: string[] | Error = ['10.0.0.1', '10.0.0.2'];
    const resolve: HostResolver = async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    };
    const { workers: w, started } = start(f, { frontendAddresses: ['frontend.svc:9095'], maxConcurrent: 1 }, resolve);
    await started;
    await eventually(() => f.open().length === 2, 5_000);
    answer = new Error('ENOTFOUND frontend.svc');
    await w.reconcile();
    expect(w.frontends).toEqual(['10.0.0.1:9095', '10.0.0.2:9095']);
    answer = ['10.0.0.2'];
    await w.reconcile();
    expect(w.frontends).toEqual(['10.0.0.2:9095']);
    await eventually(() => f.closedConnections.includes('10.0.0.1:9095'), 5_000);
    expect(f.streams.find((s) => s.address === '10.0.0.1:9095')?.ended).toBe(true);
  });

  it('on stop half-closes idle streams at once and busy ones after answering their query', async () => {
    const f = new FakeFrontends();
    const { workers: w, querier, started } = start(f, { frontendAddresses: ['10.0.0.1:9095'], maxConcurrent: 2 });
    await started;
    await eventually(() => f.open().length === 2, 5_000);
    const [busy, idle] = f.open();
    busy.send(1);
    await eventually(() => querier.calls.length === 1, 5_000);
    const stopped = w.stop();
    workers = undefined;
    await eventually(() => idle.ended, 5_000);
    expect(busy.ended).toBe(false);
    querier.calls[0].answer(ok());
    await stopped;
    expect(busy.responses.map((r) => r.id)).toEqual([1]);
    expect(busy.ended).toBe(true);
    expect(f.closedConnections).toEqual(['10.0.0.1:9095']);
  });

  it('answers a result larger than max_response_bytes with 422 instead of breaking the stream', async () => {
    const f = new FakeFrontends();
    const { querier, started } = start(f, { frontendAddresses: ['10.0.0.1:9095'], maxConcurrent: 1, maxResponseBytes: 10 });
    await started;
    await eventually(() => f.open().length === 1, 5_000);
    const s = f.open()[0];
    s.send(1, 'query=up', 'team-a');
    await eventually(() => querier.calls.length === 1, 5_000);
    querier.calls[0].answer(ok('x'.repeat(11)));
    await eventually(() => s.responses.length === 1, 5_000);
    expect(s.responses[0].status).toBe(422);
    expect(JSON.parse(s.responses[0].body)).toMatchObject({ status: 'error', errorType: 'execution', error: expect.stringContaining('larger than the 10 bytes') });
  });

  it('refuses a frontend address without a port when built', () => {
    expect(
      () => new QuerierWorkers({ ...defaultQuerierWorkersConfig(), frontendAddresses: ['frontend.svc'] }, new ManualQuerier(), new FakeFrontends().connect, async (h) => [h], nopLogger, new Registry()),
    ).toThrow('invalid frontend address "frontend.svc": expected host:port');
  });
});
