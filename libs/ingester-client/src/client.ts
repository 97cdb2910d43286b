import * as grpc from '@grpc/grpc-js';
import type { Labels } from '@panoptes/block-formats';
import { UnavailableError } from '@panoptes/common';
import { healthService, withTenant } from '@panoptes/server';
import { Histogram, Registry } from 'prom-client';
import {
  allUserStatsRequestCodec,
  allUserStatsResponseCodec,
  labelNamesRequestCodec,
  labelNamesResponseCodec,
  labelValuesRequestCodec,
  labelValuesResponseCodec,
  MessageCodec,
  metricsMetadataRequestCodec,
  metricsMetadataResponseCodec,
  pushResponseCodec,
  queryRequestCodec,
  seriesRequestCodec,
  seriesResponseCodec,
  userStatsRequestCodec,
  userStatsResponseCodec,
} from './codec';
import { grpcStatusToError, isGrpcStatus } from './errors';
import { INGESTER_METHOD_PATHS } from './ingester-proto';
import { decodeSeriesBatch } from './series-batch-codec';
import type {
  LabelNamesRequest,
  LabelValuesRequest,
  MatcherSpec,
  MetricMetadata,
  MetricsMetadataRequest,
  PushResult,
  QueryRequest,
  SeriesChunks,
  SeriesRequest,
  TenantUserStats,
  UserStats,
} from './types';

export interface IngesterClientConfig {
  /** Deadline of a Push call, in milliseconds. */
  pushTimeoutMs: number;
  /** Deadline of QueryStream (the whole stream), label, series and stats calls, in milliseconds. */
  queryTimeoutMs: number;
  /** Largest response message the client accepts, in bytes. */
  maxRecvMessageBytes: number;
  /** Largest request message the client sends, in bytes. */
  maxSendMessageBytes: number;
}

export function defaultIngesterClientConfig(): IngesterClientConfig {
  return {
    pushTimeoutMs: 2_000,
    queryTimeoutMs: 120_000,
    maxRecvMessageBytes: 100 * 1024 * 1024,
    maxSendMessageBytes: 100 * 1024 * 1024,
  };
}

/** Per-call options. */
export interface IngesterCallOptions {
  /** Overrides the configured deadline of this call, in milliseconds. */
  timeoutMs?: number;
  /** Cancels the call (it fails with an `UnavailableError`, reason `grpc_cancelled`). */
  signal?: AbortSignal;
}

/** Metrics of every client a process makes; build once per registry and share. */
export class IngesterClientMetrics {
  readonly requestDuration: Histogram<'operation' | 'status_code'>;

  constructor(registry: Registry) {
    this.requestDuration = new Histogram({
      name: 'panoptes_ingester_client_request_duration_seconds',
      help: 'Time spent on calls to ingesters, by operation and gRPC status code.',
      labelNames: ['operation', 'status_code'],
      buckets: [0.001, 0.004, 0.016, 0.064, 0.256, 1, 4, 16, 64],
      registers: [registry],
    });
  }
}

const identity = (b: Buffer): Buffer => b;
const toBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * A client of one ingester: one grpc-js channel (with its own connection, not shared with other
 * clients) to `address`. Every call carries its tenant in `x-scope-orgid` and a deadline; a failed
 * call rejects with the typed error the ingester threw (same class, reason, message and tenant) or,
 * for transport failures, a typed error chosen by the gRPC code (`grpcStatusToError`).
 */
export class IngesterClient {
  private readonly client: grpc.Client;
  private readonly source: string;
  private closed = false;

  constructor(
    readonly address: string,
    private readonly config: IngesterClientConfig = defaultIngesterClientConfig(),
    private readonly metrics: IngesterClientMetrics = new IngesterClientMetrics(new Registry()),
  ) {
    this.source = `ingester ${address}`;
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': config.maxRecvMessageBytes,
      'grpc.max_send_message_length': config.maxSendMessageBytes,
      // A client the pool drops for failing must not hand its broken connection (or its reconnect
      // backoff) to the next client for the same address.
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** Sends an uncompressed Prometheus remote-write 1.0 WriteRequest for `tenant`. */
  push(tenant: string, body: Uint8Array, options: IngesterCallOptions = {}): Promise<PushResult> {
    return this.unary('push', INGESTER_METHOD_PATHS.push, toBuffer, pushResponseCodec.decode, body, tenant, this.config.pushTimeoutMs, options);
  }

  /**
   * The series matching `req`, each with its chunks, in the order the ingester sends them. Leaving
   * the iteration early cancels the call.
   */
  async *queryStream(tenant: string, req: QueryRequest<MatcherSpec>, options: IngesterCallOptions = {}): AsyncGenerator<SeriesChunks, void, undefined> {
    this.checkOpen();
    const started = performance.now();
    let code = grpc.status.OK;
    const call = this.client.makeServerStreamRequest<Buffer, SeriesChunks[]>(
      INGESTER_METHOD_PATHS.queryStream,
      identity,
      decodeSeriesBatch,
      queryRequestCodec.encode(req),
      withTenant(tenant),
      { deadline: this.deadline(options, this.config.queryTimeoutMs) },
    );
    // The async iterator below reports errors; this listener keeps a late CANCELLED status (after
    // the iterator was left) from becoming an uncaught 'error' event.
    call.on('error', () => undefined);
    const unlink = linkSignal(options.signal, () => call.cancel());
    try {
      for await (const batch of call as AsyncIterable<SeriesChunks[]>) {
        for (const series of batch) yield series;
      }
    } catch (err) {
      code = isGrpcStatus(err) ? err.code : grpc.status.UNKNOWN;
      throw this.toError(err);
    } finally {
      unlink();
      call.cancel();
      this.observe('query_stream', code, started);
    }
  }

  labelNames(tenant: string, req: LabelNamesRequest<MatcherSpec>, options: IngesterCallOptions = {}): Promise<string[]> {
    return this.unary(
      'label_names',
      INGESTER_METHOD_PATHS.labelNames,
      labelNamesRequestCodec.encode,
      labelNamesResponseCodec.decode,
      req,
      tenant,
      this.config.queryTimeoutMs,
      options,
    );
  }

  labelValues(tenant: string, req: LabelValuesRequest<MatcherSpec>, options: IngesterCallOptions = {}): Promise<string[]> {
    return this.unary(
      'label_values',
      INGESTER_METHOD_PATHS.labelValues,
      labelValuesRequestCodec.encode,
      labelValuesResponseCodec.decode,
      req,
      tenant,
      this.config.queryTimeoutMs,
      options,
    );
  }

  /** Label sets of the series matching any of the matcher sets (Mimir's MetricsForLabelMatchers). */
  series(tenant: string, req: SeriesRequest<MatcherSpec>, options: IngesterCallOptions = {}): Promise<Labels[]> {
    return this.unary('series', INGESTER_METHOD_PATHS.series, seriesRequestCodec.encode, seriesResponseCodec.decode, req, tenant, this.config.queryTimeoutMs, options);
  }

  userStats(tenant: string, options: IngesterCallOptions = {}): Promise<UserStats> {
    return this.unary(
      'user_stats',
      INGESTER_METHOD_PATHS.userStats,
      userStatsRequestCodec.encode,
      userStatsResponseCodec.decode,
      undefined,
      tenant,
      this.config.queryTimeoutMs,
      options,
    );
  }

  /** Stats of every tenant the ingester holds; needs no tenant. */
  allUserStats(options: IngesterCallOptions = {}): Promise<TenantUserStats[]> {
    return this.unary(
      'all_user_stats',
      INGESTER_METHOD_PATHS.allUserStats,
      allUserStatsRequestCodec.encode,
      allUserStatsResponseCodec.decode,
      undefined,
      undefined,
      this.config.queryTimeoutMs,
      options,
    );
  }

  /** The tenant's metric metadata, grouped by family in name order (Mimir's MetricsMetadata). */
  metricsMetadata(tenant: string, req: MetricsMetadataRequest, options: IngesterCallOptions = {}): Promise<MetricMetadata[]> {
    return this.unary(
      'metrics_metadata',
      INGESTER_METHOD_PATHS.metricsMetadata,
      metricsMetadataRequestCodec.encode,
      metricsMetadataResponseCodec.decode,
      req,
      tenant,
      this.config.queryTimeoutMs,
      options,
    );
  }

  /**
   * Whether the ingester answers the standard health check (grpc.health.v1) with SERVING within
   * `timeoutMs`. Never throws.
   */
  checkHealth(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const check = healthService.service.Check;
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        check.path,
        check.requestSerialize,
        check.responseDeserialize,
        { service: '' },
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => resolve(!err && (res as { status?: unknown } | undefined)?.status === 'SERVING'),
      );
    });
  }

  /** Closes the channel. Calls made afterwards fail with an `UnavailableError` (reason `client_closed`). */
  close(): void {
    this.closed = true;
    this.client.close();
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new UnavailableError('client_closed', `the client of ${this.source} is closed (the address left the ring or failed a health check); get a new one from the pool`);
    }
  }

  private unary<Req, Res>(
    operation: string,
    path: string,
    serialize: (req: Req) => Buffer,
    deserialize: MessageCodec<Res>['decode'],
    req: Req,
    tenant: string | undefined,
    defaultTimeoutMs: number,
    options: IngesterCallOptions,
  ): Promise<Res> {
    const started = performance.now();
    return new Promise<Res>((resolve, reject) => {
      let body: Buffer;
      try {
        this.checkOpen();
        body = serialize(req);
      } catch (err) {
        reject(err);
        return;
      }
      const metadata = tenant === undefined ? new grpc.Metadata() : withTenant(tenant);
      let unlink = (): void => undefined;
      const call = this.client.makeUnaryRequest<Buffer, Res>(
        path,
        identity,
        (b) => deserialize(b),
        body,
        metadata,
        { deadline: this.deadline(options, defaultTimeoutMs) },
        (err, res) => {
          unlink();
          this.observe(operation, err ? err.code : grpc.status.OK, started);
          if (err) reject(this.toError(err));
          else resolve(res!);
        },
      );
      unlink = linkSignal(options.signal, () => call.cancel());
    });
  }

  private deadline(options: IngesterCallOptions, defaultTimeoutMs: number): number {
    return Date.now() + (options.timeoutMs ?? defaultTimeoutMs);
  }

  private toError(err: unknown): unknown {
    return isGrpcStatus(err) ? grpcStatusToError(err, this.source) : err;
  }

  private observe(operation: string, code: number, started: number): void {
    this.metrics.requestDuration.observe({ operation, status_code: grpc.status[code] ?? String(code) }, (performance.now() - started) / 1000);
  }
}

/** Calls `cancel` when `signal` aborts; returns the function that unlinks the two. */
function linkSignal(signal: AbortSignal | undefined, cancel: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    // Cancelling synchronously inside makeUnaryRequest is fine: grpc-js reports it through the callback.
    queueMicrotask(cancel);
    return () => undefined;
  }
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}
