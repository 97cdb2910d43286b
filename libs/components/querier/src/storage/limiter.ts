import { UnprocessableError } from '@panoptes/common';
import type { QuerierStorageConfig } from './config';

/** What one query may fetch; 0 = no limit. */
export type QueryLimits = Pick<QuerierStorageConfig, 'maxFetchedSeriesPerQuery' | 'maxFetchedChunksPerQuery' | 'maxFetchedChunkBytesPerQuery'>;

export const REASON_MAX_SERIES = 'max_fetched_series_per_query';
export const REASON_MAX_CHUNKS = 'max_fetched_chunks_per_query';
export const REASON_MAX_CHUNK_BYTES = 'max_fetched_chunk_bytes_per_query';

/**
 * Counts what one query fetched, from every source together (Mimir's per-query limiter): distinct
 * series by label set (replicas and blocks holding the same series count once), chunks and chunk
 * bytes as fetched (replica copies count). The first limit crossed throws an UnprocessableError
 * (422: the query is too big to run, retrying does not help) and is remembered in `failure`, so
 * every source stops at its next addition.
 */
export class QueryLimiter {
  private readonly series = new Set<string>();
  private chunks = 0;
  private chunkBytes = 0;
  /** The limit error this query hit, once it hit one. */
  failure: UnprocessableError | undefined;

  constructor(
    readonly tenant: string,
    private readonly limits: QueryLimits,
    private readonly onReject: (reason: string) => void = () => undefined,
  ) {}

  get seriesCount(): number {
    return this.series.size;
  }

  get chunkCount(): number {
    return this.chunks;
  }

  get chunkByteCount(): number {
    return this.chunkBytes;
  }

  /** Counts the series of label-set key `key` (see `labelsKey`) once per query. */
  addSeries(key: string): void {
    this.check();
    if (this.series.has(key)) return;
    this.series.add(key);
    const limit = this.limits.maxFetchedSeriesPerQuery;
    if (limit > 0 && this.series.size > limit) {
      this.fail(
        REASON_MAX_SERIES,
        `the query exceeded the maximum number of series (limit: ${limit} series) for tenant "${this.tenant}"; narrow it with more label matchers or a shorter time range, or raise -querier.max-fetched-series-per-query`,
      );
    }
  }

  addChunks(count: number, bytes: number): void {
    this.check();
    this.chunks += count;
    this.chunkBytes += bytes;
    const chunkLimit = this.limits.maxFetchedChunksPerQuery;
    if (chunkLimit > 0 && this.chunks > chunkLimit) {
      this.fail(
        REASON_MAX_CHUNKS,
        `the query exceeded the maximum number of chunks (limit: ${chunkLimit} chunks) for tenant "${this.tenant}"; narrow it with more label matchers or a shorter time range, or raise -querier.max-fetched-chunks-per-query`,
      );
    }
    const bytesLimit = this.limits.maxFetchedChunkBytesPerQuery;
    if (bytesLimit > 0 && this.chunkBytes > bytesLimit) {
      this.fail(
        REASON_MAX_CHUNK_BYTES,
        `the query exceeded the aggregated chunk size limit (limit: ${bytesLimit} bytes) for tenant "${this.tenant}"; narrow it with more label matchers or a shorter time range, or raise -querier.max-fetched-chunk-bytes-per-query`,
      );
    }
  }

  /** Takes back chunks counted by an attempt that is being redone (a block read retried). */
  release(count: number, bytes: number): void {
    this.chunks = Math.max(0, this.chunks - count);
    this.chunkBytes = Math.max(0, this.chunkBytes - bytes);
  }

  /** Throws the limit error if the query already hit a limit. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  private fail(reason: string, message: string): never {
    this.failure = new UnprocessableError(reason, message, { tenant: this.tenant });
    this.onReject(reason);
    throw this.failure;
  }
}
