// Public surface of the query-frontend component.
export * from './query-frontend';
export { type Downstream, type DownstreamRequest, type DownstreamResponse, type QueryFrontendConfig, QueryFrontendHandler, defaultQueryFrontendConfig } from './frontend';
export { type FairQueueConfig, TenantFairQueue, defaultFairQueueConfig } from './fair-queue';
export { type RangeRequest, alignToStep, splitByInterval } from './split';
