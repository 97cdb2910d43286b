// Public surface of @panoptes/otlp: OTLP metrics decoding (protobuf, JSON, gzip) and the
// Prometheus 3 translation of OTLP metrics into series.
export * from './errors';
export * from './model';
export { rawAsString, formatFloatF, float64AsString, RawInt, RawKvList } from './any-value';
export type { RawValue } from './any-value';
export {
  decodeExportMetricsRequestProtobuf,
  decodeExportMetricsResponseProtobuf,
  encodeExportMetricsResponseProtobuf,
  otlpMetricsProtoRoot,
} from './proto/protobuf-codec';
export {
  OTLP_METRICS_DESCRIPTOR,
  EXPORT_METRICS_REQUEST_TYPE,
  EXPORT_METRICS_RESPONSE_TYPE,
  METRICS_SERVICE_EXPORT_PATH,
} from './proto/otlp-metrics-descriptor';
export { decodeExportMetricsRequestJson, encodeExportMetricsResponseJson } from './json/json-codec';
export * from './http-body';
export * from './grpc';
export * from './naming/strategy';
export { buildLabelName, sanitizeLabelName, LabelNamer } from './naming/label-namer';
export type { LabelNamerOptions } from './naming/label-namer';
export { buildMetricName, buildUnitName, buildUnitSuffixes } from './naming/metric-namer';
export type { OtlpMetricKind } from './naming/metric-namer';
export * from './translate/config';
export {
  translateOtlpMetrics,
  partialSuccessOf,
  STALE_NAN,
  isStaleNaN,
  MAX_ERRORS,
  MAX_TARGET_INFO_STEPS,
} from './translate/translator';
export type { OtlpTranslationResult, TranslatedMetadata, PrometheusMetricType } from './translate/translator';
export type { TranslatedLabels, TranslatedSample, TranslatedExemplar, TranslatedSeries } from './translate/series-set';
