import type { TimeRange } from '@panoptes/ingester-client';

/**
 * Settings of the querier's storage: which time ranges go to ingesters and to blocks, how blocks
 * are read, and the per-query fetch limits. Names follow Mimir's flags.
 */
export interface QuerierStorageConfig {
  /** Ask ingesters only about the part of a query newer than now minus this, ms; 0 asks them about every range (-querier.query-ingesters-within). */
  queryIngestersWithinMs: number;
  /** Read blocks from object storage only for the part of a query older than now minus this, ms; 0 reads them for every range (-querier.query-store-after). */
  queryStoreAfterMs: number;
  /**
   * Blocks marked for deletion longer ago than this are no longer queried, ms
   * (-blocks-storage.bucket-store.ignore-deletion-marks-delay). Until then a marked block is still
   * read, because the bucket index may not list its replacement yet. Keep it below the compactor's
   * deletion delay minus the bucket index update interval and this querier's index reload interval.
   */
  ignoreDeletionMarksDelayMs: number;
  /** Local directory where block indexes fetched from object storage are kept between queries; '' keeps them in memory only (-blocks-storage.bucket-store.sync-dir). */
  syncDir: string;
  /** Most bytes of block indexes (and their tombstones) kept in memory, least recently used dropped first, bytes; 0 disables the memory cache. */
  indexCacheBytes: number;
  /** Most distinct series one query may fetch from ingesters and blocks together; 0 = no limit (-querier.max-fetched-series-per-query). */
  maxFetchedSeriesPerQuery: number;
  /** Most chunks one query may fetch from ingesters and blocks together; 0 = no limit (-querier.max-fetched-chunks-per-query). */
  maxFetchedChunksPerQuery: number;
  /** Most chunk bytes one query may fetch from ingesters and blocks together, bytes; 0 = no limit (-querier.max-fetched-chunk-bytes-per-query). */
  maxFetchedChunkBytesPerQuery: number;
  /** Blocks one query reads at the same time. */
  blockQueryConcurrency: number;
  /** Range requests for chunk bytes one block read keeps in flight at the same time. */
  chunkFetchConcurrency: number;
  /** Chunks of one segment file at most this far apart are fetched with a single range request, bytes. */
  chunkRangeMaxGapBytes: number;
}

export function defaultQuerierStorageConfig(): QuerierStorageConfig {
  return {
    queryIngestersWithinMs: 13 * 3_600_000,
    queryStoreAfterMs: 12 * 3_600_000,
    ignoreDeletionMarksDelayMs: 3_600_000,
    syncDir: './data/tsdb-sync',
    indexCacheBytes: 256 * 1024 * 1024,
    maxFetchedSeriesPerQuery: 0,
    maxFetchedChunksPerQuery: 2_000_000,
    maxFetchedChunkBytesPerQuery: 0,
    blockQueryConcurrency: 8,
    chunkFetchConcurrency: 8,
    chunkRangeMaxGapBytes: 512 * 1024,
  };
}

/**
 * The part of [minT, maxT] ingesters are asked about at `nowMs` (Mimir's distributor querier):
 * the query's start moves up to now − queryIngestersWithinMs; undefined when nothing is left.
 */
export function ingestersRange(config: Pick<QuerierStorageConfig, 'queryIngestersWithinMs'>, nowMs: number, minT: number, maxT: number): TimeRange | undefined {
  if (config.queryIngestersWithinMs > 0) {
    const oldest = nowMs - config.queryIngestersWithinMs;
    if (maxT < oldest) return undefined;
    minT = Math.max(minT, oldest);
  }
  return minT <= maxT ? { minT, maxT } : undefined;
}

/**
 * The part of [minT, maxT] read from blocks at `nowMs` (Mimir's blocks store querier): the
 * query's end moves down to now − queryStoreAfterMs; undefined when nothing is left.
 */
export function storeRange(config: Pick<QuerierStorageConfig, 'queryStoreAfterMs'>, nowMs: number, minT: number, maxT: number): TimeRange | undefined {
  if (config.queryStoreAfterMs > 0) maxT = Math.min(maxT, nowMs - config.queryStoreAfterMs);
  return minT <= maxT ? { minT, maxT } : undefined;
}
