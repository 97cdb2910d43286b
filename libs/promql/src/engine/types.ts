import type { Labels } from '@panoptes/block-formats';
import type { Matcher } from '@panoptes/tsdb';

/**
 * The engine's contracts with storage (below) and with its callers (above).
 *
 * Storage hands the engine series as encoded XOR chunks, exactly what ingesters send over gRPC and
 * blocks hold on disk; the engine decodes each series once into typed arrays. Results come back as
 * typed arrays too: no sample becomes a JS object until the HTTP layer writes JSON.
 */

/** What the engine knows about a selection when it asks storage for series. */
export interface SelectHints {
  /** Inclusive bounds, ms: storage may return more, never less. */
  start: number;
  end: number;
  /** The query step, ms (0 for instant queries). */
  step: number;
  /** The range of the enclosing matrix selector, ms (0 for an instant selector). */
  range: number;
  /** The function the selector is an argument of, when there is one (`rate`, ...). */
  func?: string;
}

/** One encoded chunk of a series. */
export interface EncodedChunk {
  minT: number;
  maxT: number;
  /** 1 = Prometheus XOR. */
  encoding: number;
  data: Uint8Array;
}

/**
 * A series as storage returns it: sorted `[name, value]` labels and its chunks. Chunks may overlap
 * (replicas, head + block): the engine merges them and keeps one sample per timestamp.
 */
export interface StoredSeries {
  labels: Labels;
  chunks: readonly EncodedChunk[];
}

/** A tenant's data over a time range (Prometheus's `storage.Querier`). */
export interface SeriesQuerier {
  /** Series matching every matcher, with chunks overlapping [hints.start, hints.end]. */
  select(matchers: readonly Matcher[], hints: SelectHints, signal?: AbortSignal): AsyncIterable<StoredSeries> | Iterable<StoredSeries>;
  /** Label names of series matching every matcher (all series when none), sorted. */
  labelNames(matchers: readonly Matcher[], signal?: AbortSignal): Promise<string[]>;
  /** Values of `name` on series matching every matcher, sorted. */
  labelValues(name: string, matchers: readonly Matcher[], signal?: AbortSignal): Promise<string[]>;
  /** Label sets of series matching every matcher of any of the sets, sorted, each once. */
  series(matcherSets: readonly (readonly Matcher[])[], signal?: AbortSignal): Promise<Labels[]>;
  /** Warnings the querier collected (partial results and the like). */
  warnings?(): string[];
}

/** Storage for many tenants (Prometheus's `storage.Queryable`). */
export interface Queryable {
  /** A querier of `tenant`'s data for [minT, maxT], both ms inclusive. */
  querier(tenant: string, minT: number, maxT: number): SeriesQuerier;
}

/** A sample of an instant vector. */
export interface VectorSample {
  labels: Labels;
  t: number;
  v: number;
}

/** A series of a range vector: `ts[i]`, `vs[i]` oldest first. */
export interface MatrixSeries {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

/** What a query evaluates to, shaped like Prometheus's `data.resultType` / `data.result`. */
export type QueryValue =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar'; t: number; v: number }
  | { resultType: 'string'; t: number; v: string };

export interface QueryStats {
  /** The most samples held at once while evaluating (Prometheus's peak samples). */
  peakSamples: number;
  /** Samples read from storage. */
  totalSamples: number;
}

export interface QueryResult {
  value: QueryValue;
  /** Prometheus's annotations: `PromQL warning: ...` and `PromQL info: ...` texts. */
  warnings: string[];
  infos: string[];
  stats: QueryStats;
}

/** Per-query settings; unset ones come from the engine's config. */
export interface QueryOptions {
  lookbackDeltaMs?: number;
  signal?: AbortSignal;
}

/** The engine as its callers (HTTP API, ruler, frontend) see it. */
export interface QueryEngine {
  instantQuery(queryable: Queryable, tenant: string, query: string, timeMs: number, options?: QueryOptions): Promise<QueryResult>;
  rangeQuery(queryable: Queryable, tenant: string, query: string, startMs: number, endMs: number, stepMs: number, options?: QueryOptions): Promise<QueryResult>;
}
