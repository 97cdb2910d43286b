// Public surface of the querier's storage: the Queryables the PromQL engine reads through
// (ingesters over gRPC, blocks in object storage, and both merged), their config and limits.
export { QuerierStorageConfig, defaultQuerierStorageConfig, ingestersRange, storeRange } from './config';
export { QueryLimiter, QueryLimits, REASON_MAX_CHUNKS, REASON_MAX_CHUNK_BYTES, REASON_MAX_SERIES } from './limiter';
export { IngesterClientSource, IngesterQueryClient, StorageQuerier, StorageQueryable } from './types';
export {
  IngesterReadPlan,
  IngesterReadTopology,
  IngesterReplica,
  PartitionRingReadTopology,
  PartitionsReadPlan,
  ReplicationSetReadPlan,
  ReplicationSetSource,
  TokenRingReadTopology,
} from './ingester-topology';
export { IngestersQueryable } from './ingesters-queryable';
export { BlocksQueryable, BucketIndexSource } from './blocks-queryable';
export { BlockIndex, BlockIndexCache } from './block-index-cache';
export {
  BLOCK_INDEX_KEY,
  BLOCKS_CACHE_KINDS,
  BlocksCacheKind,
  BlocksCachingConfig,
  BUCKET_INDEX_KEY,
  blocksCachingRules,
  cachingBlocksBucket,
  CHUNK_SEGMENT_KEY,
  defaultBlocksCachingConfig,
  INDEX_SUBRANGE_SIZE_BYTES,
  META_FILE_KEY,
  TOMBSTONES_KEY,
} from './blocks-caching-rules';
export { BlocksCacheBackendConfig, BlocksCaches, createBlocksCaches } from './blocks-caches';
export { MergedQueryable } from './merged-queryable';
export { NO_SERIES_DELETIONS, SeriesDeletionFilter, SeriesDeletionSource } from './series-deletions';
