import { LimitError } from '@panoptes/common';
import { QueryCanceledError } from '@panoptes/promql';
import { TenantFairQueue } from './fair-queue';

describe('TenantFairQueue', () => {
  it('serves tenants round-robin, so a busy tenant does not starve a quiet one', async () => {
    const q = new TenantFairQueue({ maxConcurrent: 1, maxOutstandingPerTenant: 100 });
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
    const q = new TenantFairQueue({ maxConcurrent: 1, maxOutstandingPerTenant: 1 });
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
    const q = new TenantFairQueue({ maxConcurrent: 1, maxOutstandingPerTenant: 10 });
    const running = await q.acquire('t', 0);
    const ac = new AbortController();
    const waiting = q.acquire('t', 1, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow(QueryCanceledError);
    expect(q.queued('t')).toBe(0);
    running();
    expect(q.inFlight).toBe(0);
  });
});
