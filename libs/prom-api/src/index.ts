// Public surface of prom-api: the Prometheus HTTP API (Mimir's flavour) as framework-free
// handlers, their route table, request-parameter parsing and Prometheus-exact JSON writing.
export type {
  ApiParams,
  ApiResponse,
  PromApiLimits,
  PromApiConfig,
  PromApiContext,
  PromApiHandler,
  MetricMetadataEntry,
  MetadataRequest,
  MetadataSource,
  Exemplar,
  ExemplarSeries,
  ExemplarSource,
} from './types';
export { defaultPromApiLimits, defaultPromApiConfig } from './types';
export type { ErrorType } from './respond';
export { ERROR_STATUS, PromApiError, toPromApiError, successResponse, errorResponse, textResponse } from './respond';
export {
  parseApiParams,
  parseTime,
  parseDurationNs,
  parseSeriesSelector,
  unescapeLabelName,
  MIN_TIME_MS,
  MAX_TIME_MS,
  MIN_TIME_FORMATTED,
  MAX_TIME_FORMATTED,
} from './params';
export { quoteRaw, quoteHtml, quoteGo, formatSampleValue, formatTimestamp, formatJsonNumber, labelsJson } from './json';
export { resultJson, queryDataJson, vectorJson, matrixJson } from './result-json';
export { query, queryRange, queryExemplars, formatQuery, MAX_POINTS_PER_SERIES } from './query';
export { labelNames, labelValues, series, metadata } from './series';
export { buildInfo, statusConfig, statusFlags } from './status';
export { cardinalityLabelNames, cardinalityLabelValues } from './cardinality';
export type { HttpMethod, PromApiRoute, RouteMatch } from './routes';
export { PROM_API_ROUTES, matchPromApiRoute, dispatchPromApi } from './routes';
