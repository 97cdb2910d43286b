import { UnavailableError } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { QueryCanceledError } from '@panoptes/promql';
import { Counter, Gauge, type Registry } from 'prom-client';
import { TenantFairQueue } from './fair-queue';
import type { FrontendToQuerier, WorkResponse } from './frontend-proto';
import { type DownstreamRequest, type DownstreamResponse, type QueryScheduler, shuttingDownError } from './scheduler';

export interface QuerierWorkerPoolConfig {
  /** Queued queries per tenant; more are refused with 429 (`-query-frontend.max-outstanding-requests-per-tenant`). */
  maxOutstandingPerTenant: number;
  /** A query waiting longer than this for an idle querier worker fails with 503, ms; 0 waits until the client gives up (`-query-frontend.queue-timeout`). */
  queueTimeoutMs: number;
}

export function defaultQuerierWorkerPoolConfig(): QuerierWorkerPoolConfig {
  return { maxOutstandingPerTenant: 100, queueTimeoutMs: 60_000 };
}

/** How the pool talks to one connected worker: the frontend end of its stream. */
export interface WorkerSink {
  /** Sends a request or a cancel down the stream; throws when the stream is gone. */
  send(message: FrontendToQuerier): void;
  /** Ends the stream (the worker reconnects, possibly elsewhere). */
  close(): void;
}

/** What the stream's owner reports about a worker the pool accepted. */
export interface WorkerConnection {
  /** A response arrived on the worker's stream. */
  respond(response: WorkResponse): void;
  /** The stream ended or broke; the worker is gone. */
  disconnected(): void;
}

/** A worker that left with a request in flight; the pool re-queues the request once. */
class WorkerGoneError extends Error {
  constructor(readonly querierId: string) {
    super(`querier ${querierId} disconnected`);
  }
}

interface InFlight {
  id: number;
  settled: boolean;
  resolve: (res: DownstreamResponse) => void;
  reject: (err: unknown) => void;
  /** Frees the queue slot this request holds; called once the worker is idle again or gone. */
  release: () => void;
  unlink: () => void;
}

/**
 *   idle ──run()──▶ busy ──response──▶ idle
 *     │               │ (cancel: still busy until the response)
 *     └──────┬────────┘
 *            ▼ stream ended
 *          gone
 *
 * A worker holds its queue slot from `run` until its response arrives or it is gone, so the
 * queue never lets more requests run than there are workers to run them.
 */
class Worker implements WorkerConnection {
  private state: 'idle' | 'busy' | 'gone' = 'idle';
  private current: InFlight | undefined;

  constructor(
    readonly querierId: string,
    private readonly sink: WorkerSink,
    private readonly pool: QuerierWorkerPool,
  ) {}

  run(req: DownstreamRequest, id: number, release: () => void): Promise<DownstreamResponse> {
    return new Promise<DownstreamResponse>((resolve, reject) => {
      this.state = 'busy';
      const inFlight: InFlight = { id, settled: false, resolve, reject, release, unlink: () => undefined };
      this.current = inFlight;
      try {
        this.sink.send({ kind: 'request', id, tenant: req.tenant, path: req.path, method: req.method, params: req.params.toString() });
      } catch {
        this.disconnected();
        return;
      }
      const signal = req.signal;
      if (signal) {
        const onAbort = (): void => {
          if (inFlight.settled) return;
          inFlight.settled = true;
          try {
            this.sink.send({ kind: 'cancel', id });
          } catch {
            // The stream is gone; `disconnected` frees the worker's slot.
          }
          reject(new QueryCanceledError('query was canceled while a querier ran it', { tenant: req.tenant }));
        };
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener('abort', onAbort, { once: true });
          inFlight.unlink = () => signal.removeEventListener('abort', onAbort);
        }
      }
    });
  }

  respond(res: WorkResponse): void {
    const c = this.current;
    if (this.state !== 'busy' || !c || c.id !== res.id) {
      this.pool.protocolError(this, `response for request ${res.id} that is not in flight on this stream`);
      return;
    }
    this.current = undefined;
    this.state = 'idle';
    c.unlink();
    if (!c.settled) {
      c.settled = true;
      c.resolve({ status: res.status, contentType: res.contentType, body: res.body, headers: res.headers });
    }
    // Idle again before the slot is freed, so whoever gets the slot finds this worker.
    this.pool.idleAgain(this);
    c.release();
  }

  disconnected(): void {
    if (this.state === 'gone') return;
    this.state = 'gone';
    const c = this.current;
    this.current = undefined;
    this.pool.gone(this);
    if (c) {
      c.unlink();
      if (!c.settled) {
        c.settled = true;
        c.reject(new WorkerGoneError(this.querierId));
      }
      c.release();
    }
  }

  close(): void {
    this.sink.close();
  }
}

/**
 * The frontend side of the pull model (Mimir's frontend v1): queriers open worker streams to the
 * frontend (`connect`), and each queued request goes to the longest-idle worker once the tenant's
 * turn comes (round-robin over tenants, `TenantFairQueue`). Concurrency is the number of connected
 * workers, so adding queriers adds throughput. A request whose worker disconnects is queued again
 * once, then fails with 503; with no worker connected, requests wait up to `queueTimeoutMs`.
 */
export class QuerierWorkerPool implements QueryScheduler {
  private readonly queue: TenantFairQueue<string>;
  private readonly workers = new Set<Worker>();
  /** Idle workers, longest idle first. */
  private idle: Worker[] = [];
  private nextId = 0;
  private closed = false;
  private readonly requeued: Counter;
  private readonly log: Logger;

  constructor(
    config: QuerierWorkerPoolConfig,
    logger: Logger,
    registry: Registry,
  ) {
    this.log = logger;
    this.queue = new TenantFairQueue({ maxConcurrent: 0, maxOutstandingPerTenant: config.maxOutstandingPerTenant, queueTimeoutMs: config.queueTimeoutMs }, (tenant, waitedMs) => {
      const workers = this.workers.size;
      const why =
        workers === 0
          ? 'no querier is connected to this query-frontend; start queriers with -querier.frontend-address pointing at its gRPC address'
          : `all ${workers} querier workers stayed busy; add queriers or raise -querier.max-concurrent`;
      return new UnavailableError('queue_timeout', `query of tenant ${tenant} waited ${waitedMs / 1000}s in the query-frontend queue (-query-frontend.queue-timeout): ${why}`, { tenant });
    });
    this.requeued = new Counter({
      name: 'panoptes_query_frontend_requeued_requests_total',
      help: 'Requests queued again because the querier running them disconnected.',
      registers: [registry],
    });
    const workers = (): number => this.workers.size;
    const queriers = (): number => this.connectedQueriers();
    new Gauge({
      name: 'panoptes_query_frontend_connected_workers',
      help: 'Querier worker streams connected to this query-frontend (its query concurrency).',
      registers: [registry],
      collect() {
        this.set(workers());
      },
    });
    new Gauge({
      name: 'panoptes_query_frontend_connected_queriers',
      help: 'Distinct queriers with at least one worker stream connected to this query-frontend.',
      registers: [registry],
      collect() {
        this.set(queriers());
      },
    });
  }

  /** Accepts a worker stream of `querierId`; undefined when the frontend is shutting down (end the stream). */
  connect(querierId: string, sink: WorkerSink): WorkerConnection | undefined {
    if (this.closed) return undefined;
    const w = new Worker(querierId, sink, this);
    const first = ![...this.workers].some((x) => x.querierId === querierId);
    this.workers.add(w);
    this.idle.push(w);
    if (first) this.log.info('querier connected', { querier: querierId });
    this.queue.setMaxConcurrent(this.workers.size);
    return w;
  }

  get connectedWorkers(): number {
    return this.workers.size;
  }

  connectedQueriers(): number {
    return new Set([...this.workers].map((w) => w.querierId)).size;
  }

  async schedule(req: DownstreamRequest): Promise<DownstreamResponse> {
    for (let attempt = 1; ; attempt++) {
      const release = await this.queue.acquire(req.tenant, req.path, req.signal);
      // The queue grants a slot only while fewer requests run than workers are connected, and a
      // worker leaves only in an I/O callback, never between the grant and this line.
      const worker = this.idle.shift();
      if (!worker) {
        release();
        throw new UnavailableError('no_idle_querier', `no idle querier worker for tenant ${req.tenant} although the queue granted a slot; retry`, { tenant: req.tenant });
      }
      try {
        return await worker.run(req, this.newId(), release);
      } catch (err) {
        if (!(err instanceof WorkerGoneError)) throw err;
        if (attempt < 2 && !this.closed) {
          this.requeued.inc();
          this.log.warn('querier disconnected while running a query; queuing it again', { tenant: req.tenant, querier: err.querierId, path: req.path });
          continue;
        }
        throw new UnavailableError(
          'querier_disconnected',
          `querier ${err.querierId} disconnected while running the query of tenant ${req.tenant}, and so did the querier that ran it before; retry`,
          { tenant: req.tenant },
        );
      }
    }
  }

  queued(tenant?: string): number {
    return this.queue.queued(tenant);
  }

  /** Request ids are uint32 on the wire and only need to differ from the one in flight on a stream. */
  private newId(): number {
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
    return this.nextId;
  }

  /** Fails waiting requests, refuses new workers, ends idle streams now and busy ones once they answer. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close(shuttingDownError());
    for (const w of this.idle.splice(0)) w.close();
  }

  /** @internal */
  idleAgain(w: Worker): void {
    if (this.closed) {
      w.close();
      return;
    }
    this.idle.push(w);
  }

  /** @internal */
  gone(w: Worker): void {
    this.workers.delete(w);
    this.idle = this.idle.filter((x) => x !== w);
    if (![...this.workers].some((x) => x.querierId === w.querierId)) this.log.info('querier disconnected', { querier: w.querierId });
    this.queue.setMaxConcurrent(this.workers.size);
  }

  /** @internal A worker broke the protocol: its stream is ended (the querier reconnects). */
  protocolError(w: Worker, what: string): void {
    this.log.warn('querier broke the frontend protocol; closing its stream', { querier: w.querierId, err: what });
    w.close();
  }
}
