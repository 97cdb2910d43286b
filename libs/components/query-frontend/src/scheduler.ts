import { UnavailableError } from '@panoptes/common';
import type { ApiRequest, ApiResponse } from '@panoptes/server';
import { type FairQueueConfig, TenantFairQueue } from './fair-queue';

/** A request the frontend forwards to a querier: the query API's own request shape. */
export type DownstreamRequest = ApiRequest;
export type DownstreamResponse = ApiResponse;

/** Runs a request on a querier: in-process in the all-in-one target, over HTTP to `-query-frontend.downstream-url`. */
export type Downstream = (req: DownstreamRequest) => Promise<DownstreamResponse>;

/**
 * Where the frontend's requests wait for a querier and run: per-tenant fair queues in front of
 * either a fixed-size `Downstream` (push) or the queriers' connected workers (pull). `schedule`
 * rejects with typed errors: `LimitError` (tenant queue full, 429), `UnavailableError` (queue
 * timeout, no querier, shutting down: 503), `QueryCanceledError` (the client left).
 */
export interface QueryScheduler {
  schedule(req: DownstreamRequest): Promise<DownstreamResponse>;
  /** Requests waiting, of one tenant or of all. */
  queued(tenant?: string): number;
  /** Fails waiting and later requests; running ones finish. */
  close(): void;
}

export function shuttingDownError(): UnavailableError {
  return new UnavailableError('frontend_stopping', 'the query-frontend is shutting down; retry against another query-frontend');
}

/**
 * Pushes requests to a `Downstream` with at most `maxConcurrent` running at once: the
 * all-in-one target's in-process querier, or queriers behind `-query-frontend.downstream-url`.
 */
export class PushScheduler implements QueryScheduler {
  private readonly queue: TenantFairQueue<string>;

  constructor(
    config: FairQueueConfig,
    private readonly downstream: Downstream,
  ) {
    this.queue = new TenantFairQueue(config);
  }

  async schedule(req: DownstreamRequest): Promise<DownstreamResponse> {
    const release = await this.queue.acquire(req.tenant, req.path, req.signal);
    try {
      return await this.downstream(req);
    } finally {
      release();
    }
  }

  queued(tenant?: string): number {
    return this.queue.queued(tenant);
  }

  close(): void {
    this.queue.close(shuttingDownError());
  }
}
