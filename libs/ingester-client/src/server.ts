import * as grpc from '@grpc/grpc-js';
import type { Labels } from '@panoptes/block-formats';
import { ANONYMOUS_TENANT, errorMessage, isPanoptesError, ValidationError } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { tenantFromMetadata, type TenancyOptions } from '@panoptes/server';
import { Matcher } from '@panoptes/tsdb';
import {
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
  userStatsResponseCodec,
} from './codec';
import { errorToGrpcStatus } from './errors';
import { INGESTER_METHOD_PATHS } from './ingester-proto';
import { encodeSeriesBatch, seriesSizeEstimate } from './series-batch-codec';
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

/**
 * What the ingester implements; `registerIngesterService` serves it over gRPC. The tenant is
 * resolved and validated before any method runs. Throw typed errors from @panoptes/common: the
 * client rebuilds the same class, reason, message and tenant.
 */
export interface IngesterApi {
  /** `body`: an uncompressed Prometheus remote-write 1.0 WriteRequest, as the distributor sent it. */
  push(tenant: string, body: Buffer): Promise<PushResult>;
  /**
   * Series matching every matcher with their chunks overlapping [minT, maxT], labels sorted. The
   * iteration stops early (its `return()` runs) when the caller cancels.
   */
  querySeries(tenant: string, req: QueryRequest): AsyncIterable<SeriesChunks> | Iterable<SeriesChunks>;
  labelNames(tenant: string, req: LabelNamesRequest): Promise<string[]>;
  labelValues(tenant: string, req: LabelValuesRequest): Promise<string[]>;
  /** Label sets of the series matching any of the matcher sets (Mimir's MetricsForLabelMatchers). */
  series(tenant: string, req: SeriesRequest): Promise<Labels[]>;
  userStats(tenant: string): Promise<UserStats>;
  allUserStats(): Promise<TenantUserStats[]>;
  /**
   * The tenant's metric metadata (Mimir's MetricsMetadata): distinct entries grouped by family,
   * families in ascending name order, `limit` counting families from the first.
   */
  metricsMetadata(tenant: string, req: MetricsMetadataRequest): Promise<MetricMetadata[]>;
}

export interface IngesterServiceConfig {
  /** Most series in one QueryStream message. */
  queryStreamBatchSeries: number;
  /** A QueryStream message is sent once its series reach about this many bytes. */
  queryStreamBatchBytes: number;
}

export function defaultIngesterServiceConfig(): IngesterServiceConfig {
  return { queryStreamBatchSeries: 128, queryStreamBatchBytes: 1024 * 1024 };
}

/** What `registerIngesterService` needs of the server: `GrpcServer` of @panoptes/server (or a grpc-js `Server`). */
export interface GrpcServiceRegistry {
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void;
}

// Every ingester call names its tenant, whatever the edge's multi-tenancy setting: the caller
// resolved it already and passes it on with `withTenant`.
const INGESTER_TENANCY: TenancyOptions = { multitenancyEnabled: true, noAuthTenant: ANONYMOUS_TENANT };

const identity = (b: Buffer): Buffer => b;

function method<Res>(path: string, serialize: (res: Res) => Buffer, responseStream = false): grpc.MethodDefinition<Buffer, Res> {
  return {
    path,
    requestStream: false,
    responseStream,
    // Requests reach handlers as bytes: decoding there turns malformed input into INVALID_ARGUMENT
    // (a throwing deserializer would surface as INTERNAL).
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: serialize,
    responseDeserialize: identity as unknown as (b: Buffer) => Res,
  };
}

/** The server side of `panoptes.ingester.Ingester`: raw request bytes in, encoded responses out. */
export const ingesterServiceDefinition = {
  Push: method(INGESTER_METHOD_PATHS.push, pushResponseCodec.encode),
  QueryStream: method(INGESTER_METHOD_PATHS.queryStream, encodeSeriesBatch, true),
  LabelNames: method(INGESTER_METHOD_PATHS.labelNames, labelNamesResponseCodec.encode),
  LabelValues: method(INGESTER_METHOD_PATHS.labelValues, labelValuesResponseCodec.encode),
  Series: method(INGESTER_METHOD_PATHS.series, seriesResponseCodec.encode),
  UserStats: method(INGESTER_METHOD_PATHS.userStats, userStatsResponseCodec.encode),
  AllUserStats: method(INGESTER_METHOD_PATHS.allUserStats, allUserStatsResponseCodec.encode),
  MetricsMetadata: method(INGESTER_METHOD_PATHS.metricsMetadata, metricsMetadataResponseCodec.encode),
} satisfies grpc.ServiceDefinition;

/** Compiles wire matchers into `Matcher`s; an invalid regex is a `ValidationError` (400) naming it. */
export function compileMatchers(specs: readonly MatcherSpec[]): Matcher[] {
  return specs.map((m) => {
    if (m.name === '') throw new ValidationError('invalid_matcher', `matcher ${m.type}${JSON.stringify(m.value)} has an empty label name`);
    return new Matcher(m.type, m.name, m.value);
  });
}

/** The label-values request the ingester answers, from its wire form; a missing name is a 400. */
export function labelValuesRequestOf(req: LabelValuesRequest<MatcherSpec>): LabelValuesRequest {
  if (req.name === '') throw new ValidationError('invalid_label_name', 'LabelValues needs a label name; none was given');
  return { name: req.name, minT: req.minT, maxT: req.maxT, matchers: compileMatchers(req.matchers) };
}

/** The series request the ingester answers, from its wire form; no matcher set is a 400. */
export function seriesRequestOf(req: SeriesRequest<MatcherSpec>): SeriesRequest {
  if (req.matcherSets.length === 0) throw new ValidationError('invalid_matcher', 'Series needs at least one matcher set; none was given');
  return { minT: req.minT, maxT: req.maxT, matcherSets: req.matcherSets.map(compileMatchers) };
}

/** Adds the Ingester service, served by `api`, to `server` (the process's `GrpcServer`). */
export function registerIngesterService(
  server: GrpcServiceRegistry,
  api: IngesterApi,
  logger: Logger,
  config: IngesterServiceConfig = defaultIngesterServiceConfig(),
): void {
  const log = logger.with({ component: 'ingester-grpc' });
  const failed = (path: string, tenant: string | undefined, err: unknown): grpc.ServiceError => {
    // Typed errors are the caller's to report; anything else is a bug worth a log line here.
    if (!isPanoptesError(err)) log.error('ingester gRPC call failed', { tenant, method: path, err: errorMessage(err) });
    return errorToGrpcStatus(err, tenant);
  };

  const unary = <Req, Res>(
    path: string,
    decode: (bytes: Buffer) => Req,
    fn: (req: Req, tenant: string) => Promise<Res>,
    needsTenant = true,
  ): grpc.handleUnaryCall<Buffer, Res> => {
    return (call, callback) => {
      let tenant: string | undefined;
      const run = async (): Promise<Res> => {
        if (needsTenant) tenant = tenantFromMetadata(call.metadata, INGESTER_TENANCY);
        return fn(decode(call.request), tenant ?? '');
      };
      run().then(
        (res) => callback(null, res),
        (err: unknown) => callback(failed(path, tenant, err)),
      );
    };
  };

  const decodeWith =
    <T>(codec: MessageCodec<T>) =>
    (bytes: Buffer): T =>
      codec.decode(bytes);

  const queryStream: grpc.handleServerStreamingCall<Buffer, SeriesChunks[]> = (call) => {
    let tenant: string | undefined;
    streamSeries(call, config, () => {
      tenant = tenantFromMetadata(call.metadata, INGESTER_TENANCY);
      const req = queryRequestCodec.decode(call.request);
      return api.querySeries(tenant, { minT: req.minT, maxT: req.maxT, matchers: compileMatchers(req.matchers) });
    }).then(
      () => {
        if (!call.cancelled && !call.destroyed) call.end();
      },
      (err: unknown) => {
        if (!call.cancelled && !call.destroyed) call.emit('error', failed(INGESTER_METHOD_PATHS.queryStream, tenant, err));
      },
    );
  };

  server.addService(ingesterServiceDefinition, {
    Push: unary(INGESTER_METHOD_PATHS.push, identity, (body, tenant) => api.push(tenant, body)),
    QueryStream: queryStream,
    LabelNames: unary(INGESTER_METHOD_PATHS.labelNames, decodeWith(labelNamesRequestCodec), (req, tenant) =>
      api.labelNames(tenant, { minT: req.minT, maxT: req.maxT, matchers: compileMatchers(req.matchers) }),
    ),
    LabelValues: unary(INGESTER_METHOD_PATHS.labelValues, decodeWith(labelValuesRequestCodec), (req, tenant) => api.labelValues(tenant, labelValuesRequestOf(req))),
    Series: unary(INGESTER_METHOD_PATHS.series, decodeWith(seriesRequestCodec), (req, tenant) => api.series(tenant, seriesRequestOf(req))),
    UserStats: unary(INGESTER_METHOD_PATHS.userStats, identity, (_req, tenant) => api.userStats(tenant)),
    AllUserStats: unary(INGESTER_METHOD_PATHS.allUserStats, identity, () => api.allUserStats(), false),
    MetricsMetadata: unary(INGESTER_METHOD_PATHS.metricsMetadata, decodeWith(metricsMetadataRequestCodec), (req, tenant) => api.metricsMetadata(tenant, req)),
  });
}

/**
 * Sends the series `open()` yields in batches of at most `queryStreamBatchSeries` series or about
 * `queryStreamBatchBytes`, waiting for the transport to drain between writes. Resolves when all
 * are written (or the caller cancelled), rejects with what `open()` or the iteration threw.
 */
async function streamSeries(
  call: grpc.ServerWritableStream<Buffer, SeriesChunks[]>,
  config: IngesterServiceConfig,
  open: () => AsyncIterable<SeriesChunks> | Iterable<SeriesChunks>,
): Promise<void> {
  const gone = (): boolean => call.cancelled || call.destroyed;
  let batch: SeriesChunks[] = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    const full = batch;
    batch = [];
    bytes = 0;
    if (gone()) return;
    if (!call.write(full)) await drained(call);
  };
  for await (const series of open()) {
    if (gone()) return; // leaving the loop runs the source's return()
    batch.push(series);
    bytes += seriesSizeEstimate(series);
    if (batch.length >= config.queryStreamBatchSeries || bytes >= config.queryStreamBatchBytes) await flush();
  }
  if (batch.length > 0 && !gone()) await flush();
}

/** Resolves once the stream can take more, or is closed (cancelled by the caller). */
function drained(stream: grpc.ServerWritableStream<Buffer, SeriesChunks[]>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
