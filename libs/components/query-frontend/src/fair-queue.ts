import { LimitError, UnavailableError } from '@panoptes/common';
import { QueryCanceledError } from '@panoptes/promql';

interface Waiting<T> {
  item: T;
  resolve: (release: () => void) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  timer?: NodeJS.Timeout;
}

export interface FairQueueConfig {
  /** Queries running at once across all tenants (the queriers' total concurrency). */
  maxConcurrent: number;
  /** Queued queries per tenant; more are refused with 429 (`-query-frontend.max-outstanding-requests-per-tenant`). */
  maxOutstandingPerTenant: number;
  /** A query waiting longer than this for a querier fails with 503, ms; 0 waits until the client gives up (`-query-frontend.queue-timeout`). */
  queueTimeoutMs: number;
}

export function defaultFairQueueConfig(): FairQueueConfig {
  return { maxConcurrent: 8, maxOutstandingPerTenant: 100, queueTimeoutMs: 60_000 };
}

/** The error a query gets when it waited `queueTimeoutMs`: says why nothing picked it up. */
export type QueueTimeoutError = (tenant: string, waitedMs: number) => Error;

const defaultTimeoutError: QueueTimeoutError = (tenant, waitedMs) =>
  new UnavailableError(
    'queue_timeout',
    `query of tenant ${tenant} waited ${waitedMs / 1000}s in the query-frontend queue without a free querier (-query-frontend.queue-timeout); add queriers or retry later`,
    { tenant },
  );

/**
 * Per-tenant queues served round-robin: a tenant sending many queries waits behind its own
 * queue, not in front of everybody else's. `acquire` resolves with a release function once the
 * query may run: while fewer than `maxConcurrent` acquired slots are unreleased. The concurrency
 * may change at any time (`setMaxConcurrent`: queriers connecting and leaving); running queries
 * are never preempted, new ones wait until the count is below the new value.
 */
export class TenantFairQueue<T = unknown> {
  private readonly queues = new Map<string, Waiting<T>[]>();
  /** Tenants with queued items, in round-robin order. */
  private readonly ring: string[] = [];
  private next = 0;
  private running = 0;
  private maxConcurrent: number;
  private closedWith: Error | undefined;

  constructor(
    private readonly config: FairQueueConfig,
    private readonly timeoutError: QueueTimeoutError = defaultTimeoutError,
  ) {
    this.maxConcurrent = config.maxConcurrent;
  }

  get inFlight(): number {
    return this.running;
  }

  get concurrency(): number {
    return this.maxConcurrent;
  }

  queued(tenant?: string): number {
    if (tenant !== undefined) return this.queues.get(tenant)?.length ?? 0;
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Changes how many queries run at once and starts waiting ones when it grew. */
  setMaxConcurrent(n: number): void {
    this.maxConcurrent = Math.max(0, n);
    this.dispatch();
  }

  acquire(tenant: string, item: T, signal?: AbortSignal): Promise<() => void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
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
          if (this.remove(tenant, w)) reject(new QueryCanceledError('query was canceled while queued', { tenant }));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      if (this.config.queueTimeoutMs > 0) {
        w.timer = setTimeout(() => {
          if (this.remove(tenant, w)) reject(this.timeoutError(tenant, this.config.queueTimeoutMs));
        }, this.config.queueTimeoutMs);
        // A queued query must not keep a stopping process alive.
        w.timer.unref();
      }
      this.dispatch();
    });
  }

  /** Fails every waiting query with `err`, and every later `acquire`; running ones keep their slots. */
  close(err: Error): void {
    this.closedWith = err;
    for (const [tenant, q] of [...this.queues]) {
      for (const w of [...q]) if (this.remove(tenant, w)) w.reject(err);
    }
  }

  /** Takes a waiting item out of its queue; false when it was no longer there. */
  private remove(tenant: string, w: Waiting<T>): boolean {
    const list = this.queues.get(tenant);
    const i = list ? list.indexOf(w) : -1;
    if (i < 0) return false;
    list!.splice(i, 1);
    if (list!.length === 0) this.dropTenant(tenant);
    this.forget(w);
    return true;
  }

  private forget(w: Waiting<T>): void {
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    if (w.timer) clearTimeout(w.timer);
  }

  private dispatch(): void {
    while (this.running < this.maxConcurrent && this.ring.length > 0) {
      if (this.next >= this.ring.length) this.next = 0;
      const tenant = this.ring[this.next];
      const q = this.queues.get(tenant)!;
      const w = q.shift()!;
      if (q.length === 0) this.dropTenant(tenant);
      else this.next++;
      this.forget(w);
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
