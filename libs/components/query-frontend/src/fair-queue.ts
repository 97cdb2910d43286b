import { LimitError } from '@panoptes/common';
import { QueryCanceledError } from '@panoptes/promql';

interface Waiting<T> {
  item: T;
  resolve: (release: () => void) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export interface FairQueueConfig {
  /** Queries running at once across all tenants (the queriers' total concurrency). */
  maxConcurrent: number;
  /** Queued queries per tenant; more are refused with 429 (`-query-frontend.max-outstanding-requests-per-tenant`). */
  maxOutstandingPerTenant: number;
}

export function defaultFairQueueConfig(): FairQueueConfig {
  return { maxConcurrent: 8, maxOutstandingPerTenant: 100 };
}

/**
 * Per-tenant queues served round-robin: a tenant sending many queries waits behind its own
 * queue, not in front of everybody else's. `acquire` resolves with a release function once the
 * query may run.
 */
export class TenantFairQueue<T = unknown> {
  private readonly queues = new Map<string, Waiting<T>[]>();
  /** Tenants with queued items, in round-robin order. */
  private readonly ring: string[] = [];
  private next = 0;
  private running = 0;

  constructor(private readonly config: FairQueueConfig) {}

  get inFlight(): number {
    return this.running;
  }

  queued(tenant?: string): number {
    if (tenant !== undefined) return this.queues.get(tenant)?.length ?? 0;
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  acquire(tenant: string, item: T, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new QueryCanceledError('query was canceled before it was queued', { tenant }));
    let q = this.queues.get(tenant);
    if (q && q.length >= this.config.maxOutstandingPerTenant) {
      return Promise.reject(
        new LimitError(
          'too_many_outstanding_requests',
          `too many outstanding requests for tenant ${tenant}: the limit is ${this.config.maxOutstandingPerTenant} queued queries (-query-frontend.max-outstanding-requests-per-tenant); retry later or send fewer queries at once`,
          { tenant },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const w: Waiting<T> = { item, resolve, reject, signal };
      if (!q) {
        q = [];
        this.queues.set(tenant, q);
        this.ring.push(tenant);
      }
      q.push(w);
      if (signal) {
        w.onAbort = () => {
          const list = this.queues.get(tenant);
          const i = list ? list.indexOf(w) : -1;
          if (i < 0) return;
          list!.splice(i, 1);
          if (list!.length === 0) this.dropTenant(tenant);
          reject(new QueryCanceledError('query was canceled while queued', { tenant }));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.running < this.config.maxConcurrent && this.ring.length > 0) {
      if (this.next >= this.ring.length) this.next = 0;
      const tenant = this.ring[this.next];
      const q = this.queues.get(tenant)!;
      const w = q.shift()!;
      if (q.length === 0) this.dropTenant(tenant);
      else this.next++;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      this.running++;
      let released = false;
      w.resolve(() => {
        if (released) return;
        released = true;
        this.running--;
        this.dispatch();
      });
    }
  }

  private dropTenant(tenant: string): void {
    this.queues.delete(tenant);
    const i = this.ring.indexOf(tenant);
    if (i >= 0) {
      this.ring.splice(i, 1);
      if (i < this.next) this.next--;
    }
  }
}
