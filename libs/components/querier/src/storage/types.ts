import type { Labels } from '@panoptes/block-formats';
import type {
  IngesterCallOptions,
  LabelNamesRequest,
  LabelValuesRequest,
  MatcherSpec,
  MetricMetadata,
  MetricsMetadataRequest,
  QueryRequest,
  SeriesChunks,
  SeriesRequest,
} from '@panoptes/ingester-client';
import type { Queryable, SelectHints, SeriesQuerier, StoredSeries } from '@panoptes/promql';
import type { Matcher } from '@panoptes/tsdb';
import type { QueryLimiter } from './limiter';

/** A SeriesQuerier that also hands over its selection whole, sorted by labels (what a merge needs). */
export interface StorageQuerier extends SeriesQuerier {
  selectSorted(matchers: readonly Matcher[], hints: SelectHints, signal?: AbortSignal): Promise<StoredSeries[]>;
}

/**
 * A Queryable whose queriers can share one query's limiter with other sources; without one, each
 * querier gets a limiter of its own (a query that uses only this source).
 */
export interface StorageQueryable extends Queryable {
  querier(tenant: string, minT: number, maxT: number, limiter?: QueryLimiter): StorageQuerier;
}

/** The read calls of an ingester: `IngesterClient` of @panoptes/ingester-client. */
export interface IngesterQueryClient {
  queryStream(tenant: string, req: QueryRequest<MatcherSpec>, options?: IngesterCallOptions): AsyncIterable<SeriesChunks>;
  labelNames(tenant: string, req: LabelNamesRequest<MatcherSpec>, options?: IngesterCallOptions): Promise<string[]>;
  labelValues(tenant: string, req: LabelValuesRequest<MatcherSpec>, options?: IngesterCallOptions): Promise<string[]>;
  series(tenant: string, req: SeriesRequest<MatcherSpec>, options?: IngesterCallOptions): Promise<Labels[]>;
  metricsMetadata(tenant: string, req: MetricsMetadataRequest, options?: IngesterCallOptions): Promise<MetricMetadata[]>;
}

/** Clients by address: `IngesterClientPool` of @panoptes/ingester-client. */
export interface IngesterClientSource {
  getClientFor(address: string): IngesterQueryClient;
}
