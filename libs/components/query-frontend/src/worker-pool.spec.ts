import { UnavailableError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { QueryCanceledError } from '@panoptes/promql';
import { Registry } from 'prom-client';
import { QueryFrontendHandler, defaultQueryFrontendConfig } from './frontend';
import type { FrontendToQuerier, WorkRequest } from './frontend-proto';
import { defaultFrontendTenantLimits } from './limits';
import type { DownstreamRequest } from './scheduler';
import { QuerierWorkerPool, type WorkerConnection } from './worker-pool';

/** One worker stream of a fake querier: records what the frontend sent, answers on demand. */
class FakeWorker {
  readonly sent: FrontendToQuerier[] = [];
  closed = false;
  conn!: WorkerConnection;

  constructor(
    readonly querier: string,
    pool: QuerierWorkerPool,
    private readonly log?: string[],
  ) {
    const conn = pool.connect(querier, {
      send: (m) => {
        if (this.closed) throw new Error('closed');
        this.sent.push(m);
        if (m.kind === 'request') this.log?.push(`${querier}:${m.tenant}${new URLSearchParams(m.params).get('n')}`);
      },
      close: () => {
        this.closed = true;
      },
    });
    if (conn) this.conn = conn;
  }

  get requests(): WorkRequest[] {
    return this.sent.filter((m): m is Extract<FrontendToQuerier, { kind: 'request' }> => m.kind === 'request');
  }

  /** Answers the last request sent to this worker. */
  answer(status = 200): void {
    const r = this.requests.at(-1)!;
    this.conn.respond({ id: r.id, status, contentType: 'application/json', body: `{"n":"${new URLSearchParams(r.params).get('n')}"}`, headers: {} });
  }
}

const req = (tenant: string, n: number, signal?: AbortSignal): DownstreamRequest => ({
  tenant,
  path: '/api/v1/query',
  method: 'POST',
  params: new URLSearchParams({ query: 'up', n: String(n) }),
  signal,
});

const tick = () => new Promise((r) => setImmediate(r));

function newPool(queueTimeoutMs = 0, maxOutstandingPerTenant = 100) {
  const registry = new Registry();
  return { pool: new QuerierWorkerPool({ maxOutstandingPerTenant, queueTimeoutMs }, nopLogger, registry), registry };
}

describe('QuerierWorkerPool', () => {
  it('runs as many requests at once as workers are connected, on both queriers, serving tenants round-robin', async () => {
    const { pool, registry } = newPool();
    const order: string[] = [];
    const a = new FakeWorker('querier-a', pool, order);
    const b = new FakeWorker('querier-b', pool, order);
    const results = [req('busy', 1), req('busy', 2), req('busy', 3), req('busy', 4), req('quiet', 1)].map((r) => pool.schedule(r));
    await tick();
    expect(order).toEqual(['querier-a:busy1', 'querier-b:busy2']);
    expect(pool.queued()).toBe(3);
    // Each answer frees one worker, which takes the next tenant's turn: the quiet tenant's only
    // query runs before the busy tenant's last one.
    for (let i = 0; i < 3; i++) {
      const w = i % 2 === 0 ? a : b;
      w.answer();
      await tick();
    }
    a.answer();
    b.answer();
    const bodies = (await Promise.all(results)).map((r) => JSON.parse(r.body).n);
    expect(order).toEqual(['querier-a:busy1', 'querier-b:busy2', 'querier-a:busy3', 'querier-b:quiet1', 'querier-a:busy4']);
    expect(bodies).toEqual(['1', '2', '3', '4', '1']);
    const workers = await registry.getSingleMetric('panoptes_query_frontend_connected_workers')!.get();
    expect(workers.values[0].value).toBe(2);
    const queriers = await registry.getSingleMetric('panoptes_query_frontend_connected_queriers')!.get();
    expect(queriers.values[0].value).toBe(2);
  });

  it('queues requests while no querier is connected and runs them when one connects', async () => {
    const { pool } = newPool();
    const res = pool.schedule(req('t', 1));
    await tick();
    expect(pool.queued('t')).toBe(1);
    const w = new FakeWorker('q', pool);
    await tick();
    w.answer();
    expect((await res).status).toBe(200);
  });

  it('re-queues a request whose querier disconnected mid-request, and another querier answers it', async () => {
    const { pool, registry } = newPool();
    const a = new FakeWorker('querier-a', pool);
    const res = pool.schedule(req('t', 7));
    await tick();
    expect(a.requests).toHaveLength(1);
    const b = new FakeWorker('querier-b', pool);
    a.conn.disconnected();
    await tick();
    expect(b.requests.map((r) => new URLSearchParams(r.params).get('n'))).toEqual(['7']);
    b.answer();
    expect(JSON.parse((await res).body)).toEqual({ n: '7' });
    expect(pool.connectedWorkers).toBe(1);
    const requeued = await registry.getSingleMetric('panoptes_query_frontend_requeued_requests_total')!.get();
    expect(requeued.values[0].value).toBe(1);
  });

  it('fails a request with 503 when the querier it was queued again to disconnects too', async () => {
    const { pool } = newPool();
    const a = new FakeWorker('querier-a', pool);
    const b = new FakeWorker('querier-b', pool);
    const res = pool.schedule(req('t', 1));
    await tick();
    a.conn.disconnected();
    await tick();
    b.conn.disconnected();
    await expect(res).rejects.toThrow(UnavailableError);
    await expect(res).rejects.toThrow(/querier querier-b disconnected while running the query of tenant t, and so did the querier that ran it before/);
  });

  it('answers 503 in the error envelope when no querier connects within the queue timeout', async () => {
    const { pool, registry } = newPool(30);
    const h = new QueryFrontendHandler(defaultQueryFrontendConfig(), pool, undefined, defaultFrontendTenantLimits, () => 0, nopLogger, registry);
    const res = await h.handle({ tenant: 't', path: '/api/v1/query', method: 'POST', params: new URLSearchParams({ query: 'up' }) });
    expect(res.status).toBe(503);
    const body = JSON.parse(res.body);
    expect(body.errorType).toBe('unavailable');
    expect(body.error).toBe(
      'query of tenant t waited 0.03s in the query-frontend queue (-query-frontend.queue-timeout): no querier is connected to this query-frontend; start queriers with -querier.frontend-address pointing at its gRPC address',
    );
    const discarded = await registry.getSingleMetric('panoptes_query_frontend_discarded_requests_total')!.get();
    expect(discarded.values.find((v) => v.labels.reason === 'queue_timeout')?.value).toBe(1);
  });

  it('sends a cancel when the client leaves, and keeps the worker busy until the querier answers', async () => {
    const { pool } = newPool();
    const w = new FakeWorker('q', pool);
    const ac = new AbortController();
    const first = pool.schedule(req('t', 1, ac.signal));
    await tick();
    ac.abort();
    await expect(first).rejects.toThrow(QueryCanceledError);
    expect(w.sent.at(-1)).toEqual({ kind: 'cancel', id: w.requests[0].id });
    const second = pool.schedule(req('t', 2));
    await tick();
    expect(w.requests).toHaveLength(1); // the worker still runs the canceled query
    w.conn.respond({ id: w.requests[0].id, status: 499, contentType: 'application/json', body: '{}', headers: {} });
    await tick();
    expect(w.requests).toHaveLength(2);
    w.answer();
    expect((await second).status).toBe(200);
  });

  it('ends the stream of a worker answering a request it was not given', async () => {
    const { pool } = newPool();
    const w = new FakeWorker('q', pool);
    w.conn.respond({ id: 42, status: 200, contentType: 'application/json', body: '{}', headers: {} });
    expect(w.closed).toBe(true);
  });

  it('on close ends idle streams now and busy ones once they answer, and refuses new workers', async () => {
    const { pool } = newPool();
    const a = new FakeWorker('q1', pool);
    const b = new FakeWorker('q2', pool);
    const running = pool.schedule(req('t', 1));
    await tick();
    expect(a.requests).toHaveLength(1);
    pool.close();
    expect([a.closed, b.closed]).toEqual([false, true]);
    a.answer();
    expect((await running).status).toBe(200);
    expect(a.closed).toBe(true);
    expect(pool.connect('q3', { send: () => undefined, close: () => undefined })).toBeUndefined();
  });

  it('on close fails queued requests with 503', async () => {
    const { pool } = newPool();
    new FakeWorker('q1', pool);
    void pool.schedule(req('t', 1));
    const queued = pool.schedule(req('t', 2));
    await tick();
    pool.close();
    await expect(queued).rejects.toThrow(UnavailableError);
    await expect(queued).rejects.toThrow('the query-frontend is shutting down; retry against another query-frontend');
  });
});
