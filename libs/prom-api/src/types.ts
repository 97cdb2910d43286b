import type { Labels } from '@panoptes/block-formats';
import type { Logger } from '@panoptes/log';
import type { QueryEngine, Queryable } from '@panoptes/promql';
import type { Matcher } from '@panoptes/tsdb';

/**
 * The request parameters of one call: the URL query string merged with an urlencoded form body,
 * body values first (Go's `r.Form`, so `get` returns what Prometheus's `r.FormValue` returns).
 * `URLSearchParams` satisfies it; build one with `parseApiParams`.
 */
export interface ApiParams {
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string): boolean;
}

/** What a handler returns; the HTTP layer copies it onto the wire unchanged. */
export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Per-tenant limits the handlers enforce (the lead wires them from the runtime overrides). */
export interface PromApiLimits {
  /** Whether `/api/v1/cardinality/*` answers for the tenant (Mimir's `cardinality_analysis_enabled`). */
  cardinalityAnalysisEnabled: boolean;
}

/** Mimir's defaults: cardinality analysis is off until enabled per tenant. */
export function defaultPromApiLimits(): PromApiLimits {
  return { cardinalityAnalysisEnabled: false };
}

/** Settings of the API that do not vary per tenant. */
export interface PromApiConfig {
  /** `data.application` of buildinfo; Grafana treats a backend as Mimir only when this is "Grafana Mimir". */
  application: string;
  /** `data.version` of buildinfo: the Mimir API level served. */
  version: string;
  /** `data.revision` of buildinfo (the build's commit). */
  revision: string;
  /** `data.branch` of buildinfo. */
  branch: string;
  /** `data.goVersion` of buildinfo; Grafana shows it, nothing parses it. */
  goVersion: string;
  /** buildinfo `features.ruler_config_api`: Grafana enables rule editing when true. */
  rulerConfigApi: boolean;
  /** buildinfo `features.alertmanager_config_api`. */
  alertmanagerConfigApi: boolean;
  /** buildinfo `features.query_sharding`. */
  querySharding: boolean;
  /** buildinfo `features.federated_rules`. */
  federatedRules: boolean;
  /** How far back from now the cardinality endpoints count series, ms (Mimir counts the ingesters' in-memory series). */
  cardinalityLookbackMs: number;
  /** The YAML `/api/v1/status/config` returns (the effective configuration, secrets removed). */
  configYaml: string;
}

export function defaultPromApiConfig(): PromApiConfig {
  return {
    application: 'Grafana Mimir',
    version: '2.16.0',
    revision: '',
    branch: '',
    goVersion: '',
    rulerConfigApi: true,
    alertmanagerConfigApi: true,
    querySharding: false,
    federatedRules: false,
    cardinalityLookbackMs: 2 * 3600_000,
    configYaml: '',
  };
}

/** One metadata entry of a metric family, as ingesters keep it from remote write. */
export interface MetricMetadataEntry {
  metric: string;
  /** `counter`, `gauge`, `histogram`, `gaugehistogram`, `summary`, `info`, `stateset` or `unknown`. */
  type: string;
  help: string;
  unit: string;
}

/** What `/api/v1/metadata` asked for: -1 means no limit, "" every metric. */
export interface MetadataRequest {
  limit: number;
  limitPerMetric: number;
  metric: string;
}

/**
 * Where metric metadata comes from (the ingesters, wired by the lead). Entries may repeat across
 * replicas and may ignore the limits: the handler deduplicates and applies them again.
 */
export interface MetadataSource {
  metricMetadata(tenant: string, request: MetadataRequest, signal?: AbortSignal): Promise<readonly MetricMetadataEntry[]>;
}

/** One exemplar: its own labels (trace_id…), value and time in ms. */
export interface Exemplar {
  labels: Labels;
  value: number;
  t: number;
}

export interface ExemplarSeries {
  seriesLabels: Labels;
  exemplars: readonly Exemplar[];
}

/** Where exemplars come from; without one `/api/v1/query_exemplars` answers an empty list. */
export interface ExemplarSource {
  /** Exemplars in [startMs, endMs] of series matching any of the matcher sets. */
  queryExemplars(tenant: string, startMs: number, endMs: number, matcherSets: readonly (readonly Matcher[])[], signal?: AbortSignal): Promise<readonly ExemplarSeries[]>;
}

/** Everything a handler needs besides the request parameters; built per request. */
export interface PromApiContext {
  /** The tenant the request is for (from X-Scope-OrgID or the configured default). */
  tenant: string;
  engine: QueryEngine;
  queryable: Queryable;
  /** The current time, ms: the default `time` of instant queries. */
  now(): number;
  limits: PromApiLimits;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  metadata?: MetadataSource;
  exemplars?: ExemplarSource;
  /** Defaults to `defaultPromApiConfig()`. */
  config?: PromApiConfig;
  /** Where internal (500) errors are logged. */
  logger?: Logger;
}

/** A handler of one endpoint. `pathParams` carries `:name` of `/api/v1/label/:name/values`. */
export type PromApiHandler = (params: ApiParams, ctx: PromApiContext, pathParams?: Readonly<Record<string, string>>) => Promise<ApiResponse>;
