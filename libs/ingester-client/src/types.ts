import type { Labels } from '@panoptes/block-formats';
import type { Matcher, MatchType } from '@panoptes/tsdb';

/** Prometheus `chunkenc.EncXOR`: the only chunk encoding the head writes today. */
export const CHUNK_ENCODING_XOR = 1;

/**
 * A label matcher as the caller states it. `Matcher` of `@panoptes/tsdb` has this shape, so a
 * querier passes its parsed matchers as they are; the server rebuilds `Matcher`s (and so validates
 * regexes) on its side.
 */
export interface MatcherSpec {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
}

/** A time range, both ends inclusive, in milliseconds since the epoch. */
export interface TimeRange {
  minT: number;
  maxT: number;
}

/** `M` is `MatcherSpec` on the client side and a compiled `Matcher` on the server side. */
export interface QueryRequest<M extends MatcherSpec = Matcher> extends TimeRange {
  matchers: readonly M[];
}

export interface LabelNamesRequest<M extends MatcherSpec = Matcher> extends TimeRange {
  matchers: readonly M[];
}

export interface LabelValuesRequest<M extends MatcherSpec = Matcher> extends TimeRange {
  /** The label whose values are asked for. */
  name: string;
  matchers: readonly M[];
}

/** Mimir's MetricsForLabelMatchers: a series matches when it matches every matcher of one set. */
export interface SeriesRequest<M extends MatcherSpec = Matcher> extends TimeRange {
  matcherSets: readonly (readonly M[])[];
}

/** One encoded chunk of a series. */
export interface ChunkData {
  /** First and last sample timestamps, ms, inclusive. */
  minT: number;
  maxT: number;
  /** `CHUNK_ENCODING_XOR` (1) for float samples. */
  encoding: number;
  /**
   * The chunk's bytes. On the client side a view into the received message (no copy): it keeps
   * that message's buffer (≤ one batch) alive while referenced.
   */
  data: Uint8Array;
}

/** A series with its chunks overlapping the queried range, oldest first. */
export interface SeriesChunks {
  /** Sorted `[name, value]` pairs. */
  labels: Labels;
  chunks: readonly ChunkData[];
}

export interface PushResult {
  samplesAppended: number;
  samplesRejected: number;
}

export interface UserStats {
  /** Active series in the tenant's head. */
  numSeries: number;
  /** Samples per second appended, all sources. */
  ingestionRate: number;
  /** Samples per second that came through the write API. */
  apiIngestionRate: number;
  /** Samples per second written by the ruler. */
  ruleIngestionRate: number;
}

export interface TenantUserStats {
  tenant: string;
  stats: UserStats;
}

/**
 * Mimir's MetricsMetadataRequest. `limit`: most metric families (the first in name order);
 * negative = no limit, 0 = none. `limitPerMetric`: most entries of one family; 0 or negative = no
 * limit. `metric`: only this family; "" = every family.
 */
export interface MetricsMetadataRequest {
  limit: number;
  limitPerMetric: number;
  metric: string;
}

/** One distinct metadata entry (type, help, unit) of a metric family. */
export interface MetricMetadata {
  metricFamilyName: string;
  /** The remote write `MetricType` number: 0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gaugehistogram, 5 summary, 6 info, 7 stateset. */
  type: number;
  help: string;
  unit: string;
}
