import { type IncomingHttpHeaders, type IncomingMessage, type Server, createServer } from 'node:http';
import { PeerError } from './peer-error';
import { type PeerHandle, registerPeer, unregisterPeer } from './peer-registry';

/** One POST the sink received. Header names are lower-case (Node's IncomingMessage). */
export interface RecordedRequest {
  /** 0-based arrival order, counting requests no longer kept. */
  index: number;
  method: string;
  /** Path and query string. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The status the sink answered. */
  status: number;
  /** Milliseconds since the epoch. */
  receivedAt: number;
}

/** Chooses the status for the request with this arrival index. */
export type SinkResponder = (index: number, request: Omit<RecordedRequest, 'status'>) => number;

export interface HttpSinkOptions {
  /** Status policy; answers 204 to everything by default. */
  respond?: SinkResponder;
  /** How many requests are kept; older ones are dropped (still counted in `received`). */
  maxRecorded?: number;
  /** Bigger bodies are answered 413 without being kept. */
  maxBodyBytes?: number;
}

/**
 * An HTTP server on a free 127.0.0.1 port that records every POST (headers and raw body) and
 * answers a status chosen per request, so tests can play a remote-write receiver or a webhook
 * and script failures (`failFirst(2, 500)`) to observe the sender's retries. Non-POST requests
 * get 405 and are not recorded.
 */
export class HttpSink implements PeerHandle {
  readonly name: string;
  private readonly kept: RecordedRequest[] = [];
  private count = 0;
  private respond: SinkResponder;
  private readonly waiters = new Set<() => void>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: HttpSinkOptions,
  ) {
    this.name = `http-sink:127.0.0.1:${port}`;
    this.respond = options.respond ?? (() => 204);
  }

  static async start(options: HttpSinkOptions = {}): Promise<HttpSink> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('http sink has no TCP address');
    const sink = new HttpSink(server, address.port, options);
    server.on('request', (req, res) => {
      sink.handle(req).then(
        (status) => {
          res.statusCode = status;
          res.end(status >= 400 ? `http sink answered ${status} as scripted by the test\n` : undefined);
        },
        () => res.destroy(),
      );
    });
    registerPeer(sink);
    return sink;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests still kept, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.kept;
  }

  /** How many POSTs arrived in total. */
  get received(): number {
    return this.count;
  }

  /** Replaces the status policy for requests that arrive from now on. */
  setResponder(respond: SinkResponder): void {
    this.respond = respond;
  }

  /** Resolves with the kept requests once `n` POSTs have arrived in total. */
  async waitFor(n: number, timeoutMs = 15_000): Promise<readonly RecordedRequest[]> {
    if (this.count >= n) return this.kept;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.count < n) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const statuses = this.kept.map((r) => r.status).join(',') || 'none';
        reject(
          new PeerError('peer_timeout', `${this.name}: received ${this.count} of ${n} requests within ${timeoutMs} ms (statuses: ${statuses})`),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
    return this.kept;
  }

  stop(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    }).finally(() => unregisterPeer(this));
    return this.closing;
  }

  killNow(): void {
    this.server.closeAllConnections();
  }

  private async handle(req: IncomingMessage): Promise<number> {
    if (req.method !== 'POST') {
      req.resume();
      return 405;
    }
    const max = this.options.maxBodyBytes ?? 32 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    }
    if (size > max) return 413;
    const partial = {
      index: this.count,
      method: req.method,
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks),
      receivedAt: Date.now(),
    };
    const status = this.respond(partial.index, partial);
    this.count++;
    this.kept.push({ ...partial, status });
    const maxRecorded = this.options.maxRecorded ?? 1000;
    if (this.kept.length > maxRecorded) this.kept.splice(0, this.kept.length - maxRecorded);
    for (const wake of [...this.waiters]) wake();
    return status;
  }
}

/** A sink that records any POST: a webhook receiver, an OTLP or Loki push target. */
export function startHttpSink(options: HttpSinkOptions = {}): Promise<HttpSink> {
  return HttpSink.start(options);
}

/** A sink for Prometheus remote write: it records the snappy-compressed protobuf bodies as they come. */
export const startRemoteWriteSink = startHttpSink;

/** Answers `status` to the first `n` requests, then `then` (204 by default). */
export function failFirst(n: number, status: number, then = 204): SinkResponder {
  return (index) => (index < n ? status : then);
}
