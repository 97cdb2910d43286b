/**
 * The decoded form of an OTLP `ExportMetricsServiceRequest`, shared by the protobuf and the JSON
 * decoders and read by the translator.
 *
 * It is shaped for translation to Prometheus, not as a faithful copy of the protobuf message:
 * - attribute values are already rendered to the string Prometheus stores
 *   (`pcommon.Value.AsString`, see `any-value.ts`), because every consumer of an attribute value
 *   in the Prometheus translation uses that rendering;
 * - times are Unix milliseconds (`time_unix_nano` floor-divided by 1e6, exactly, with no loss of
 *   precision), the resolution Prometheus stores;
 * - 64-bit counts are JavaScript numbers (as Prometheus converts them to float64);
 * - trace and span ids are lowercase hex, empty when absent or all zero bytes.
 */

/** One attribute. `value` is the Prometheus rendering of the OTLP `AnyValue`. */
export interface OtlpAttribute {
  key: string;
  value: string;
}

export interface OtlpExportMetricsRequest {
  resourceMetrics: OtlpResourceMetrics[];
}

export interface OtlpResourceMetrics {
  /** `Resource.attributes`; empty when the resource is absent. */
  resource: OtlpAttribute[];
  scopeMetrics: OtlpScopeMetrics[];
  schemaUrl: string;
}

export interface OtlpInstrumentationScope {
  name: string;
  version: string;
  attributes: OtlpAttribute[];
}

export interface OtlpScopeMetrics {
  scope: OtlpInstrumentationScope;
  /** `ScopeMetrics.schema_url` (Prometheus's `otel_scope_schema_url`). */
  schemaUrl: string;
  metrics: OtlpMetric[];
}

/** `AggregationTemporality` numbers; other numbers are kept as sent (proto3 enums are open). */
export const AGGREGATION_TEMPORALITY_UNSPECIFIED = 0;
export const AGGREGATION_TEMPORALITY_DELTA = 1;
export const AGGREGATION_TEMPORALITY_CUMULATIVE = 2;

/** `DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK`. */
export const FLAG_NO_RECORDED_VALUE = 1;

export type OtlpMetricData =
  | { type: 'gauge'; dataPoints: OtlpNumberDataPoint[] }
  | {
      type: 'sum';
      dataPoints: OtlpNumberDataPoint[];
      aggregationTemporality: number;
      isMonotonic: boolean;
    }
  | { type: 'histogram'; dataPoints: OtlpHistogramDataPoint[]; aggregationTemporality: number }
  | {
      type: 'exponentialHistogram';
      dataPoints: OtlpExponentialHistogramDataPoint[];
      aggregationTemporality: number;
    }
  | { type: 'summary'; dataPoints: OtlpSummaryDataPoint[] }
  /** A metric whose `data` oneof is not set (or set to a type this schema does not know). */
  | { type: 'none' };

export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  data: OtlpMetricData;
}

interface OtlpDataPointBase {
  attributes: OtlpAttribute[];
  /** `start_time_unix_nano` in ms; 0 when unset. Not used by the translation (see README). */
  startTimeMs: number;
  timeMs: number;
  /** `DataPointFlags` bits. */
  flags: number;
}

export interface OtlpExemplar {
  filteredAttributes: OtlpAttribute[];
  timeMs: number;
  /** `as_double`, or `as_int` converted to a float64 (0 when neither is set). */
  value: number;
  traceId: string;
  spanId: string;
}

export interface OtlpNumberDataPoint extends OtlpDataPointBase {
  /** `as_double`, or `as_int` converted to a float64 (0 when neither is set, as Prometheus does). */
  value: number;
  exemplars: OtlpExemplar[];
}

export interface OtlpHistogramDataPoint extends OtlpDataPointBase {
  count: number;
  /** Undefined when the optional `sum` is absent: Prometheus then writes no `_sum` series. */
  sum: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
  exemplars: OtlpExemplar[];
}

export interface OtlpExponentialBuckets {
  offset: number;
  bucketCounts: number[];
}

export interface OtlpExponentialHistogramDataPoint extends OtlpDataPointBase {
  count: number;
  sum: number | undefined;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: OtlpExponentialBuckets;
  negative: OtlpExponentialBuckets;
  exemplars: OtlpExemplar[];
}

export interface OtlpQuantileValue {
  quantile: number;
  value: number;
}

export interface OtlpSummaryDataPoint extends OtlpDataPointBase {
  count: number;
  sum: number;
  quantileValues: OtlpQuantileValue[];
}

/** Number of data points a metric carries (what OTLP partial success counts). */
export function dataPointCount(data: OtlpMetricData): number {
  return data.type === 'none' ? 0 : data.dataPoints.length;
}
