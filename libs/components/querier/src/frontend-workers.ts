import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { errorMessage, sleep } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import type { ApiHandler, ApiResponse } from '@panoptes/server';
import { Service } from '@panoptes/services';
import { Counter, Gauge, type Registry } from 'prom-client';

// The worker side of the query-frontend's `panoptes.frontend.Frontend/Process` stream. The
// transport (FrontendClient of @panoptes/query-frontend) is injected: components do not import
// each other, and these shapes are what that client provides.

/** A query a frontend hands to this querier. */
export interface FrontendWorkRequest {
  id: number;
  tenant: string;
  path: string;
  method: 'GET' | 'POST';
  /** urlencoded */
  params: string;
}

/** The answer to request `id`. */
export interface FrontendWorkResponse {
  id: number;
  status: number;
  contentType: string;
  body: string;
  headers: Record<string, string>;
}

export interface FrontendStreamHandlers {
  /** The frontend accepted the stream. */
  connected(): void;
  request(req: FrontendWorkRequest): void;
  /** The frontend no longer wants the answer to request `id`; it is still sent (it frees the stream). */
  cancel(id: number): void;
  /** The stream is over, ended by the frontend (no error) or broken. Called once. */
  closed(err?: Error): void;
}

export interface FrontendStream {
  respond(res: FrontendWorkResponse): void;
  /** Half-closes: no more requests; `closed` follows when the frontend ends the stream. */
  end(): void;
  /** Tears the stream down at once. */
  cancel(): void;
}

/** A connection to one frontend address, on which each worker opens its stream. */
export interface FrontendConnection {
  process(querierId: string, handlers: FrontendStreamHandlers): FrontendStream;
  close(): void;
}

/** Opens a connection to a frontend at `host:port` (an IP address, as resolved here). */
export type FrontendConnector = (address: string) => FrontendConnection;

/** All addresses of a host name (IPv4 and IPv6); an IP literal resolves to itself. */
export type HostResolver = (host: string) => Promise<string[]>;

/**
 * The IPv4 addresses of a name, or its IPv6 ones when it has none: `localhost` resolving to both
 * 127.0.0.1 and ::1 is one frontend, not two.
 */
export const dnsHostResolver: HostResolver = async (host) => {
  if (isIP(host)) return [host];
  const found = await lookup(host, { all: true });
  const v4 = found.filter((a) => a.family === 4);
  return [...new Set((v4.length > 0 ? v4 : found).map((a) => a.address))];
};

export interface QuerierWorkersConfig {
  /** The query-frontends to pull work from, `host:port` of their gRPC servers; a name resolving to several addresses gets workers at each (`-querier.frontend-address`). */
  frontendAddresses: string[];
  /** Worker streams per frontend address: queries this querier runs at once for each frontend (`-querier.max-concurrent`). */
  maxConcurrent: number;
  /** How this querier names itself to the frontends (their logs and metrics). */
  querierId: string;
  /** How often the frontend names are resolved again, ms. */
  dnsRefreshIntervalMs: number;
  /** First wait before a worker reconnects after its stream failed, ms; doubles per failure. */
  backoffMinMs: number;
  /** Longest wait between reconnection attempts, ms. */
  backoffMaxMs: number;
  /** Longest answer body sent to a frontend, bytes; a larger result is refused with 422 instead of breaking the stream (keep it below the gRPC message limits). */
  maxResponseBytes: number;
  /** On shutdown, how long running queries may take to finish before their streams are cut, ms. */
  gracefulShutdownTimeoutMs: number;
}

export function defaultQuerierWorkersConfig(): QuerierWorkersConfig {
  return {
    frontendAddresses: [],
    maxConcurrent: 4,
    querierId: 'querier',
    dnsRefreshIntervalMs: 10_000,
    backoffMinMs: 100,
    backoffMaxMs: 10_000,
    maxResponseBytes: 100 * 1024 * 1024,
    gracefulShutdownTimeoutMs: 30_000,
  };
}

/** `host` and `port` of `host:port` or `[v6]:port`. */
export function splitHostPort(address: string): { host: string; port: string } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!m) throw new Error(`invalid frontend address ${JSON.stringify(address)}: expected host:port`);
  return { host: m[1], port: m[2] };
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function jitter(ms: number): number {
  return ms / 2 + Math.random() * (ms / 2);
}

function errorEnvelope(status: number, errorType: string, message: string): ApiResponse {
  return { status, contentType: 'application/json', body: JSON.stringify({ status: 'error', errorType, error: message }) };
}

interface WorkerMetrics {
  streams: Gauge;
  streamFailures: Counter;
}

/**
 *   connecting ──connected──▶ open ──stream ends──▶ backoff ──▶ connecting
 *        │                     │
 *        └─── failed ──────────┴──▶ backoff        (stop: half-close once idle, then done)
 *
 * One worker: one stream to one frontend at a time, reopened with exponential backoff (reset
 * once a stream was accepted). Requests run concurrently with reading the stream, so a cancel
 * reaches the running query.
 */
class WorkerLoop {
  private stream: FrontendStream | undefined;
  private readonly running = new Map<number, AbortController>();
  private stopRequested = false;
  private readonly wake = new AbortController();
  readonly done: Promise<void>;

  constructor(
    private readonly address: string,
    private readonly connection: FrontendConnection,
    private readonly config: QuerierWorkersConfig,
    private readonly handler: ApiHandler,
    private readonly metrics: WorkerMetrics,
    private readonly logger: Logger,
  ) {
    this.done = this.loop();
  }

  /** Leaves gracefully: no new requests, running ones answered, then the stream half-closed. */
  stop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.wake.abort();
    if (this.running.size === 0) this.stream?.end();
  }

  /** Cuts the stream now, aborting running queries. */
  kill(): void {
    for (const ac of this.running.values()) ac.abort();
    this.stream?.cancel();
  }

  private async loop(): Promise<void> {
    let backoff = this.config.backoffMinMs;
    let failures = 0;
    while (!this.stopRequested) {
      const { connected, err } = await this.runStream();
      if (this.stopRequested) break;
      if (connected) {
        backoff = this.config.backoffMinMs;
        failures = 0;
      }
      if (err) {
        this.metrics.streamFailures.inc();
        // The first failure in a row is worth a warning; retries of an unreachable frontend are not.
        const fields = { frontend: this.address, err: err.message, backoff_ms: backoff };
        if (failures++ === 0) this.logger.warn('query-frontend stream failed; reconnecting with backoff', fields);
        else this.logger.debug('query-frontend stream failed; reconnecting with backoff', fields);
      }
      await sleep(jitter(backoff), this.wake.signal);
      backoff = Math.min(backoff * 2, this.config.backoffMaxMs);
    }
  }

  /** Resolves when the stream is over; `connected` tells whether the frontend had accepted it. */
  private runStream(): Promise<{ connected: boolean; err?: Error }> {
    return new Promise((resolve) => {
      let connected = false;
      let over = false;
      const stream: FrontendStream = this.connection.process(this.config.querierId, {
        connected: () => {
          connected = true;
          this.metrics.streams.inc();
        },
        request: (req) => void this.run(stream, req),
        cancel: (id) => this.running.get(id)?.abort(),
        closed: (err) => {
          over = true;
          if (connected) this.metrics.streams.dec();
          for (const ac of this.running.values()) ac.abort();
          if (this.stream === stream) this.stream = undefined;
          resolve({ connected, err });
        },
      });
      // `closed` may already have run, for a connection that failed at once.
      if (!over) {
        this.stream = stream;
        if (this.stopRequested) stream.end();
      }
    });
  }

  private async run(stream: FrontendStream, req: FrontendWorkRequest): Promise<void> {
    const ac = new AbortController();
    this.running.set(req.id, ac);
    let res: ApiResponse;
    try {
      res = await this.handler.handle({ tenant: req.tenant, path: req.path, method: req.method, params: new URLSearchParams(req.params), signal: ac.signal });
    } catch (err) {
      this.logger.error('querier failed to answer a frontend request', { tenant: req.tenant, path: req.path, err: errorMessage(err) });
      res = errorEnvelope(500, 'internal', `querier ${this.config.querierId} failed: ${errorMessage(err)}`);
    }
    this.running.delete(req.id);
    if (Buffer.byteLength(res.body) > this.config.maxResponseBytes) {
      res = errorEnvelope(
        422,
        'execution',
        `the query result is larger than the ${this.config.maxResponseBytes} bytes a querier sends to the query-frontend (-server.grpc-max-send-msg-size) for tenant "${req.tenant}"; narrow the query or use a larger step`,
      );
    }
    if (this.stream !== stream) return; // the stream broke meanwhile: the frontend re-queued the request
    stream.respond({ id: req.id, status: res.status, contentType: res.contentType, body: res.body, headers: res.headers ?? {} });
    if (this.stopRequested && this.running.size === 0) stream.end();
  }
}

interface FrontendTarget {
  address: string;
  connection: FrontendConnection;
  workers: WorkerLoop[];
}

/**
 * The querier's side of the pull model (Mimir's querier worker): for every query-frontend address
 * (`frontendAddresses`, names resolved every `dnsRefreshIntervalMs`, so a headless Service lists
 * every frontend pod) it keeps `maxConcurrent` worker streams open, each running one query at a
 * time on the handler (the Querier). A frontend that disappears from DNS is left gracefully; a
 * failed lookup keeps the addresses found before. Stopping lets running queries finish (up to
 * `gracefulShutdownTimeoutMs`), then leaves every frontend.
 */
export class QuerierWorkers extends Service {
  private readonly targets = new Map<string, FrontendTarget>();
  /** Addresses each configured entry resolved to last time. */
  private readonly resolved = new Map<string, string[]>();
  private readonly metrics: WorkerMetrics;
  private readonly leaving = new Set<Promise<void>>();

  constructor(
    private readonly config: QuerierWorkersConfig,
    private readonly handler: ApiHandler,
    private readonly connect: FrontendConnector,
    private readonly resolve: HostResolver,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super('querier-workers');
    for (const a of config.frontendAddresses) splitHostPort(a); // fail at construction on a malformed address
    this.metrics = {
      streams: new Gauge({ name: 'panoptes_querier_frontend_streams', help: 'Worker streams this querier holds open to query-frontends.', registers: [registry] }),
      streamFailures: new Counter({
        name: 'panoptes_querier_frontend_stream_failures_total',
        help: 'Worker streams to query-frontends that failed or could not be opened (each is retried with backoff).',
        registers: [registry],
      }),
    };
  }

  /** Frontend addresses (resolved) with workers now. */
  get frontends(): string[] {
    return [...this.targets.keys()].sort();
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.reconcile();
      await sleep(this.config.dnsRefreshIntervalMs, signal);
    }
  }

  protected override async stopping(): Promise<void> {
    const all = [...this.targets.values()];
    this.targets.clear();
    await Promise.all([...all.map((t) => this.leave(t)), ...this.leaving]);
  }

  /** Resolves every configured address and starts or leaves frontends to match. */
  async reconcile(): Promise<void> {
    const wanted = new Set<string>();
    await Promise.all(
      this.config.frontendAddresses.map(async (entry) => {
        const { host, port } = splitHostPort(entry);
        try {
          const hosts = await this.resolve(host);
          this.resolved.set(entry, hosts.map((h) => joinHostPort(h, port)));
        } catch (err) {
          this.logger.warn('cannot resolve query-frontend address; keeping the addresses found before', { frontend: entry, err: errorMessage(err) });
        }
        for (const a of this.resolved.get(entry) ?? []) wanted.add(a);
      }),
    );
    if (this.signal.aborted) return;
    for (const address of wanted) {
      if (this.targets.has(address)) continue;
      const connection = this.connect(address);
      const workers = Array.from({ length: this.config.maxConcurrent }, () => new WorkerLoop(address, connection, this.config, this.handler, this.metrics, this.logger));
      this.targets.set(address, { address, connection, workers });
      this.logger.info('pulling queries from query-frontend', { frontend: address, workers: this.config.maxConcurrent });
    }
    for (const [address, target] of [...this.targets]) {
      if (wanted.has(address)) continue;
      this.targets.delete(address);
      this.logger.info('query-frontend gone from DNS; leaving it', { frontend: address });
      const p = this.leave(target).finally(() => this.leaving.delete(p));
      this.leaving.add(p);
    }
  }

  private async leave(target: FrontendTarget): Promise<void> {
    for (const w of target.workers) w.stop();
    const all = Promise.all(target.workers.map((w) => w.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.config.gracefulShutdownTimeoutMs);
      timer.unref();
    });
    if (await Promise.race([all.then(() => false), timedOut])) {
      this.logger.warn('queries still running after the graceful shutdown timeout; cutting their streams', { frontend: target.address });
      for (const w of target.workers) w.kill();
      await all;
    }
    clearTimeout(timer);
    target.connection.close();
  }
}
