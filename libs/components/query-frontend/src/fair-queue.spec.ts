import { LimitError, UnavailableError } from '@panoptes/common';
import { QueryCanceledError } from '@panoptes/promql';
import { TenantFairQueue } from './fair-queue';

describe('TenantFairQueue', () => {
  it('serves tenants round-robin, so a busy tenant does not starve a quiet one', async () => {
    const q = new TenantFairQueue({ maxConcurrent: 1, maxOutstandingPerTenant: 100, queueTimeoutMs: 0 });
    const order: string[] = [];
    const first = await q.acquire('busy', 0);
    const run = (tenant: string, i: number) =>
      q.acquire(tenant, i).then((release) => {
        order.push(`${tenant}${i}`);
        release();
      });
    const waits = [run('busy', 1), run('busy', 2), run('busy', 3), run('quiet', 1)];
    first();
    await Promise.all(waits);
    // The quiet tenant's only query runs second, not after the busy tenant's backlog.
    expect(order).toEqual(['busy1', 'quiet1', 'busy2', 'busy3']);
    expect(order).toHaveLength(4);
  });

  it('refuses a tenant past its queue limit with a 429 that names the limit', async () => {
    const q = new TenantFairQueue({ maxConcurrent: 1, maxOutstandingPerTenant: 1, queueTimeoutMs: 0 });
    const running = await q.acquire('t', 0);
    const queued = q.acquire('t', 1);
    await expect(q.acquire('t', 2)).rejects.toThrow(LimitError);
    await expect(q.acquire('t', 2)).rejects.toThrow(/tenant t: the limit is 1 queued queries/);
    // Another tenant still gets in line.
    const other = q.acquire('u', 0);
    running();
    (await queued)();
    (await other)();
    expect(q.inFlight).toBe(0);
  });

  it('drops a waiting request whose caller gave up', async () => {
    const q = new TenantFairQueue({ maxConcurrent: 1, maxOutstandingPerTenant: 10, queueTimeoutMs: 0 });
    const running = await q.acquire('t', 0);
    const ac = new AbortController();
    const waiting = q.acquire('t', 1, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow(QueryCanceledError);
    expect(q.queued('t')).toBe(0);
    running();
    expect(q.inFlight).toBe(0);
  });

  it('fails a query that waited longer than the queue timeout with a 503 naming the tenant and the wait', async () => {
    const q = new TenantFairQueue({ maxConcurrent: 0, maxOutstandingPerTenant: 10, queueTimeoutMs: 20 });
    const waiting = q.acquire('t', 0);
    await expect(waiting).rejects.toThrow(UnavailableError);
    await expect(q.acquire('t', 1)).rejects.toThrow(/tenant t waited 0.02s in the query-frontend queue/);
    expect(q.queued()).toBe(0);
  });

  it('starts waiting queries when the concurrency grows, and never preempts running ones when it shrinks', async () => {
    const q = new TenantFairQueue({ maxConcurrent: 0, maxOutstandingPerTenant: 10, queueTimeoutMs: 0 });
    let started = 0;
    const a = q.acquire('t', 0).then((r) => (started++, r));
    const b = q.acquire('t', 1).then((r) => (started++, r));
    await Promise.resolve();
    expect(started).toBe(0);
    q.setMaxConcurrent(2);
    const [ra, rb] = await Promise.all([a, b]);
    expect(q.inFlight).toBe(2);
    q.setMaxConcurrent(1);
    const c = q.acquire('t', 2);
    ra();
    expect(q.queued()).toBe(1); // still 1 running against a concurrency of 1
    rb();
    (await c)();
    expect(q.inFlight).toBe(0);
  });

  it('fails waiting and later queries with the close error', async () => {
    const q = new TenantFairQueue({ maxConcurrent: 0, maxOutstandingPerTenant: 10, queueTimeoutMs: 0 });
    const waiting = q.acquire('t', 0);
    q.close(new UnavailableError('frontend_stopping', 'shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    await expect(q.acquire('u', 0)).rejects.toThrow('shutting down');
  });
});
