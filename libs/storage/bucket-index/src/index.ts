// Public surface of bucket-index: the per-tenant bucket index (Mimir's bucketindex), block
// deletion / no-compact marks, series deletion requests and tenant discovery. Everything else in this folder is internal.
export {
  BUCKET_INDEX_VERSION_1,
  SEGMENT_FORMAT_1_BASED_6_DIGITS,
  blockEntryFromMeta,
  blockWithin,
  decodeBucketIndex,
  deleteBucketIndex,
  emptyBucketIndex,
  encodeBucketIndex,
  readBucketIndex,
  segmentFiles,
  writeBucketIndex,
} from './bucket-index';
export type { BucketIndex, BucketIndexBlock, BucketIndexDeletionMark, SegmentFormat } from './bucket-index';
export {
  BucketIndexCorruptError,
  BucketIndexNotFoundError,
  BucketIndexTooOldError,
  MarkerCorruptError,
  MarkerNotFoundError,
  SeriesDeletionRequestCorruptError,
  SeriesDeletionRequestNotFoundError,
  isBucketIndexCorrupt,
  isBucketIndexNotFound,
  isMarkerCorrupt,
  isMarkerNotFound,
  isSeriesDeletionRequestCorrupt,
  isSeriesDeletionRequestNotFound,
} from './errors';
export {
  BLOCK_META_FILENAME,
  BUCKET_INDEX_FILENAME,
  DELETION_MARK_FILENAME,
  MARKERS_DIR,
  NO_COMPACT_MARK_FILENAME,
  SERIES_DELETION_DIR,
  blockIdTime,
  blockMarkerKey,
  blockMetaKey,
  blockPrefix,
  bucketIndexKey,
  globalMarkerKey,
  isBlockId,
  markersPrefix,
  seriesDeletionGenerationKey,
  seriesDeletionKey,
  seriesDeletionPrefix,
  tenantPrefix,
  validateBlockId,
  validateSeriesDeletionId,
} from './layout';
export type { MarkerKind } from './layout';
export {
  MARKER_VERSION_1,
  NO_COMPACT_REASON_CRITICAL,
  NO_COMPACT_REASON_INDEX_SIZE_EXCEEDING,
  NO_COMPACT_REASON_MANUAL,
  NO_COMPACT_REASON_OUT_OF_ORDER_CHUNKS,
  listGlobalMarkers,
  markForDeletion,
  markNoCompact,
  readDeletionMark,
  readDeletionMarks,
  readNoCompactMark,
  readNoCompactMarks,
  removeDeletionMark,
  removeNoCompactMark,
} from './markers';
export type { CorruptMarker, DeletionMark, GlobalMarkers, MarkerListing, NoCompactMark } from './markers';
export { BucketIndexUpdater, defaultBucketIndexUpdaterConfig } from './updater';
export type { BucketIndexUpdate, BucketIndexUpdaterConfig, CorruptedBlock, PartialBlock } from './updater';
export { BucketIndexLoader, defaultBucketIndexLoaderConfig } from './loader';
export type { BucketIndexLoaderConfig } from './loader';
export { isReservedTenantDir, listTenants } from './tenants';
export {
  SERIES_DELETION_REQUEST_VERSION_1,
  SeriesDeletionStore,
  decodeSeriesDeletionRequest,
  defaultSeriesDeletionStoreConfig,
  deleteSeriesDeletionRequest,
  encodeSeriesDeletionRequest,
  listSeriesDeletionRequests,
  newSeriesDeletionRequest,
  readSeriesDeletionGeneration,
  readSeriesDeletionRequest,
  writeSeriesDeletionGeneration,
  writeSeriesDeletionRequest,
} from './series-deletion';
export type { SeriesDeletionListing, SeriesDeletionRequest, SeriesDeletionState, SeriesDeletionStoreConfig } from './series-deletion';
export { blockDataFiles, downloadBlock, uploadBlock } from './block-transfer';
export type { BlockFile } from './block-transfer';
