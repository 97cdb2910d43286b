// Public surface of the query-frontend component: the frontend service and its HTTP boundary, the
// schedulers that run its requests on queriers (push: in-process or HTTP; pull: querier workers
// over the panoptes.frontend.Frontend gRPC service, whose client queriers use), limits and stats.
export * from './query-frontend';
export { type DeletionGenerations, type FrontendRequest, type QueryFrontendConfig, QueryFrontendHandler, defaultQueryFrontendConfig } from './frontend';
export { type Downstream, type DownstreamRequest, type DownstreamResponse, PushScheduler, type QueryScheduler } from './scheduler';
export { type FairQueueConfig, type QueueTimeoutError, TenantFairQueue, defaultFairQueueConfig } from './fair-queue';
export {
  QuerierWorkerPool,
  type QuerierWorkerPoolConfig,
  type WorkerConnection,
  type WorkerSink,
  defaultQuerierWorkerPoolConfig,
} from './worker-pool';
export { type GrpcServiceRegistry, frontendServiceDefinition, registerFrontendService } from './frontend-service';
export { FrontendClient, type FrontendClientConfig, type WorkStream, type WorkStreamHandlers, defaultFrontendClientConfig } from './frontend-client';
export {
  FRONTEND_PROCESS_PATH,
  FRONTEND_PROTO,
  FRONTEND_SERVICE_NAME,
  type FrontendToQuerier,
  type QuerierToFrontend,
  type WorkRequest,
  type WorkResponse,
} from './frontend-proto';
export { type FrontendTenantLimits, defaultFrontendTenantLimits } from './limits';
export { QUERIER_STATS_HEADER, QUERY_STATS_HEADER, QueryStats, parseQuerierStats } from './query-stats';
export { type RangeRequest, alignToStep, splitByInterval } from './split';
