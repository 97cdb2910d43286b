// Public surface of ingester-client: the ingester's gRPC API (panoptes.ingester.Ingester) shared by
// the ingester (server side) and its callers (distributor, querier, ruler): messages, error
// mapping, service registration over `IngesterApi`, the client and its pool.
export {
  CHUNK_ENCODING_XOR,
  ChunkData,
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
  TimeRange,
  UserStats,
} from './types';
export { INGESTER_METHOD_PATHS, INGESTER_PROTO, INGESTER_SERVICE_NAME } from './ingester-proto';
export { REASON_MALFORMED_MESSAGE } from './codec';
export {
  ERROR_KIND_METADATA_KEY,
  ERROR_REASON_METADATA_KEY,
  ERROR_TENANT_METADATA_KEY,
  GrpcStatusLike,
  errorToGrpcStatus,
  grpcStatusToError,
  isGrpcStatus,
} from './errors';
export {
  GrpcServiceRegistry,
  IngesterApi,
  IngesterServiceConfig,
  compileMatchers,
  labelValuesRequestOf,
  seriesRequestOf,
  defaultIngesterServiceConfig,
  ingesterServiceDefinition,
  registerIngesterService,
} from './server';
export { IngesterCallOptions, IngesterClient, IngesterClientConfig, IngesterClientMetrics, defaultIngesterClientConfig } from './client';
export { IngesterAddressSource, IngesterClientPool, IngesterClientPoolConfig, defaultIngesterClientPoolConfig } from './pool';
export { IngesterClientApi, LocalIngesterClient } from './local-client';
