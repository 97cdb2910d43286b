import { PanoptesError } from '@panoptes/common';
import * as protobuf from 'protobufjs';
import { RawInt, RawKvList, RawValue, bytesToBase64, float64AsString, rawAsString } from '../any-value';
import { malformedField, malformedProtobuf } from '../errors';
import {
  OtlpAttribute,
  OtlpExemplar,
  OtlpExponentialBuckets,
  OtlpExportMetricsRequest,
  OtlpMetric,
  OtlpMetricData,
  OtlpNumberDataPoint,
  OtlpResourceMetrics,
  OtlpScopeMetrics,
} from '../model';
import {
  EXPORT_METRICS_REQUEST_TYPE,
  EXPORT_METRICS_RESPONSE_TYPE,
  OTLP_METRICS_DESCRIPTOR,
} from './otlp-metrics-descriptor';

// protobufjs is loaded once per process; the generated decoders are plain functions, so the types
// are safe to share.
const root = protobuf.Root.fromJSON(OTLP_METRICS_DESCRIPTOR);
const requestType = root.lookupType(EXPORT_METRICS_REQUEST_TYPE);
const responseType = root.lookupType(EXPORT_METRICS_RESPONSE_TYPE);

/** The protobufjs root holding the OTLP metrics schema (used by tests to build bodies). */
export function otlpMetricsProtoRoot(): protobuf.Root {
  return root;
}

// The shapes protobufjs decodes into. 64-bit integers are `Long`s (protobufjs uses the `long`
// package it depends on); a oneof's getter (`data`, `value`) names the member set last on the wire.
interface Long64 {
  low: number;
  high: number;
  unsigned: boolean;
  toString(): string;
}
type Pb64 = Long64 | number;

interface PbAnyValue {
  value?: string;
  stringValue: string;
  boolValue: boolean;
  intValue: Pb64;
  doubleValue: number;
  arrayValue: { values: PbAnyValue[] } | null;
  kvlistValue: { values: PbKeyValue[] } | null;
  bytesValue: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value: PbAnyValue | null;
}
interface PbExemplar {
  value?: string;
  filteredAttributes: PbKeyValue[];
  timeUnixNano: Pb64;
  asDouble: number;
  asInt: Pb64;
  spanId: Uint8Array;
  traceId: Uint8Array;
}
interface PbPointBase {
  attributes: PbKeyValue[];
  startTimeUnixNano: Pb64;
  timeUnixNano: Pb64;
  flags: number;
}
interface PbNumberDataPoint extends PbPointBase {
  value?: string;
  asDouble: number;
  asInt: Pb64;
  exemplars: PbExemplar[];
}
interface PbHistogramDataPoint extends PbPointBase {
  count: Pb64;
  sum?: number | null;
  bucketCounts: Pb64[];
  explicitBounds: number[];
  exemplars: PbExemplar[];
}
interface PbBuckets {
  offset: number;
  bucketCounts: Pb64[];
}
interface PbExponentialHistogramDataPoint extends PbPointBase {
  count: Pb64;
  sum?: number | null;
  scale: number;
  zeroCount: Pb64;
  zeroThreshold: number;
  positive: PbBuckets | null;
  negative: PbBuckets | null;
  exemplars: PbExemplar[];
}
interface PbSummaryDataPoint extends PbPointBase {
  count: Pb64;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
}
interface PbMetric {
  data?: string;
  name: string;
  description: string;
  unit: string;
  gauge: { dataPoints: PbNumberDataPoint[] } | null;
  sum: { dataPoints: PbNumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean } | null;
  histogram: { dataPoints: PbHistogramDataPoint[]; aggregationTemporality: number } | null;
  exponentialHistogram: {
    dataPoints: PbExponentialHistogramDataPoint[];
    aggregationTemporality: number;
  } | null;
  summary: { dataPoints: PbSummaryDataPoint[] } | null;
}
interface PbScopeMetrics {
  scope: { name: string; version: string; attributes: PbKeyValue[] } | null;
  metrics: PbMetric[];
  schemaUrl: string;
}
interface PbResourceMetrics {
  resource: { attributes: PbKeyValue[] } | null;
  scopeMetrics: PbScopeMetrics[];
  schemaUrl: string;
}
interface PbRequest {
  resourceMetrics: PbResourceMetrics[];
}

/**
 * Decodes a protobuf `ExportMetricsServiceRequest` (already decompressed). An empty body is a
 * valid, empty request. Throws `ValidationError` (reason `malformed_request`) for anything that is
 * not a well-formed message, including trace/span ids of the wrong length (as the OpenTelemetry
 * Collector's decoder does).
 */
export function decodeExportMetricsRequestProtobuf(body: Uint8Array): OtlpExportMetricsRequest {
  let msg: PbRequest;
  try {
    msg = requestType.decode(body) as unknown as PbRequest;
  } catch (err) {
    // protobufjs throws RangeError for truncation, Error for bad wire types, and the engine throws
    // RangeError for nesting deep enough to exhaust the stack: all are the sender's fault.
    throw malformedProtobuf(err);
  }
  try {
    return { resourceMetrics: msg.resourceMetrics.map(convertResourceMetrics) };
  } catch (err) {
    if (err instanceof PanoptesError) throw err;
    throw malformedProtobuf(err); // e.g. an AnyValue nested too deeply to render
  }
}

/** Encodes an `ExportMetricsServiceResponse`; `partialSuccess` undefined means full success. */
export function encodeExportMetricsResponseProtobuf(partialSuccess?: {
  rejectedDataPoints: number;
  errorMessage: string;
}): Uint8Array {
  const message = responseType.create(
    partialSuccess === undefined
      ? {}
      : {
          partialSuccess: {
            rejectedDataPoints: partialSuccess.rejectedDataPoints,
            errorMessage: partialSuccess.errorMessage,
          },
        },
  );
  return responseType.encode(message).finish();
}

/** Decodes an `ExportMetricsServiceResponse` (for clients and tests). */
export function decodeExportMetricsResponseProtobuf(body: Uint8Array): {
  partialSuccess?: { rejectedDataPoints: number; errorMessage: string };
} {
  const msg = responseType.decode(body) as unknown as {
    partialSuccess: { rejectedDataPoints: Pb64; errorMessage: string } | null;
  };
  if (msg.partialSuccess == null) return {};
  return {
    partialSuccess: {
      rejectedDataPoints: signed64ToNumber(msg.partialSuccess.rejectedDataPoints),
      errorMessage: msg.partialSuccess.errorMessage,
    },
  };
}

function convertResourceMetrics(rm: PbResourceMetrics): OtlpResourceMetrics {
  return {
    resource: rm.resource == null ? [] : convertAttributes(rm.resource.attributes),
    scopeMetrics: rm.scopeMetrics.map(convertScopeMetrics),
    schemaUrl: rm.schemaUrl,
  };
}

function convertScopeMetrics(sm: PbScopeMetrics): OtlpScopeMetrics {
  const scope = sm.scope;
  return {
    scope:
      scope == null
        ? { name: '', version: '', attributes: [] }
        : { name: scope.name, version: scope.version, attributes: convertAttributes(scope.attributes) },
    schemaUrl: sm.schemaUrl,
    metrics: sm.metrics.map(convertMetric),
  };
}

function convertMetric(m: PbMetric): OtlpMetric {
  return { name: m.name, description: m.description, unit: m.unit, data: convertMetricData(m) };
}

function convertMetricData(m: PbMetric): OtlpMetricData {
  switch (m.data) {
    case 'gauge':
      return { type: 'gauge', dataPoints: m.gauge!.dataPoints.map(convertNumberPoint) };
    case 'sum': {
      const sum = m.sum!;
      return {
        type: 'sum',
        dataPoints: sum.dataPoints.map(convertNumberPoint),
        aggregationTemporality: sum.aggregationTemporality,
        isMonotonic: sum.isMonotonic,
      };
    }
    case 'histogram': {
      const h = m.histogram!;
      return {
        type: 'histogram',
        aggregationTemporality: h.aggregationTemporality,
        dataPoints: h.dataPoints.map((p) => ({
          attributes: convertAttributes(p.attributes),
          startTimeMs: nanosToMs(p.startTimeUnixNano),
          timeMs: nanosToMs(p.timeUnixNano),
          flags: p.flags,
          count: unsigned64ToNumber(p.count),
          sum: p.sum == null ? undefined : p.sum,
          bucketCounts: p.bucketCounts.map(unsigned64ToNumber),
          explicitBounds: p.explicitBounds,
          exemplars: p.exemplars.map(convertExemplar),
        })),
      };
    }
    case 'exponentialHistogram': {
      const h = m.exponentialHistogram!;
      return {
        type: 'exponentialHistogram',
        aggregationTemporality: h.aggregationTemporality,
        dataPoints: h.dataPoints.map((p) => ({
          attributes: convertAttributes(p.attributes),
          startTimeMs: nanosToMs(p.startTimeUnixNano),
          timeMs: nanosToMs(p.timeUnixNano),
          flags: p.flags,
          count: unsigned64ToNumber(p.count),
          sum: p.sum == null ? undefined : p.sum,
          scale: p.scale,
          zeroCount: unsigned64ToNumber(p.zeroCount),
          zeroThreshold: p.zeroThreshold,
          positive: convertBuckets(p.positive),
          negative: convertBuckets(p.negative),
          exemplars: p.exemplars.map(convertExemplar),
        })),
      };
    }
    case 'summary':
      return {
        type: 'summary',
        dataPoints: m.summary!.dataPoints.map((p) => ({
          attributes: convertAttributes(p.attributes),
          startTimeMs: nanosToMs(p.startTimeUnixNano),
          timeMs: nanosToMs(p.timeUnixNano),
          flags: p.flags,
          count: unsigned64ToNumber(p.count),
          sum: p.sum,
          quantileValues: p.quantileValues.map((q) => ({ quantile: q.quantile, value: q.value })),
        })),
      };
    default:
      return { type: 'none' };
  }
}

function convertBuckets(b: PbBuckets | null): OtlpExponentialBuckets {
  if (b == null) return { offset: 0, bucketCounts: [] };
  return { offset: b.offset, bucketCounts: b.bucketCounts.map(unsigned64ToNumber) };
}

function convertNumberPoint(p: PbNumberDataPoint): OtlpNumberDataPoint {
  return {
    attributes: convertAttributes(p.attributes),
    startTimeMs: nanosToMs(p.startTimeUnixNano),
    timeMs: nanosToMs(p.timeUnixNano),
    flags: p.flags,
    value: p.value === 'asDouble' ? p.asDouble : p.value === 'asInt' ? signed64ToNumber(p.asInt) : 0,
    exemplars: p.exemplars.length === 0 ? [] : p.exemplars.map(convertExemplar),
  };
}

function convertExemplar(e: PbExemplar): OtlpExemplar {
  return {
    filteredAttributes: convertAttributes(e.filteredAttributes),
    timeMs: nanosToMs(e.timeUnixNano),
    value: e.value === 'asDouble' ? e.asDouble : e.value === 'asInt' ? signed64ToNumber(e.asInt) : 0,
    traceId: idToHex(e.traceId, 16, 'exemplar trace_id'),
    spanId: idToHex(e.spanId, 8, 'exemplar span_id'),
  };
}

function convertAttributes(kvs: PbKeyValue[]): OtlpAttribute[] {
  const n = kvs.length;
  const out = new Array<OtlpAttribute>(n);
  for (let i = 0; i < n; i++) {
    const kv = kvs[i];
    out[i] = { key: kv.key, value: anyValueToString(kv.value) };
  }
  return out;
}

/** `pcommon.Value.AsString()` of a decoded `AnyValue`; scalars without building a `RawValue`. */
function anyValueToString(v: PbAnyValue | null): string {
  if (v == null) return '';
  switch (v.value) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue ? 'true' : 'false';
    case 'intValue':
      return signed64ToDecimal(v.intValue);
    case 'doubleValue':
      return float64AsString(v.doubleValue);
    case 'bytesValue':
      return bytesToBase64(v.bytesValue);
    case 'arrayValue':
    case 'kvlistValue':
      return rawAsString(anyValueToRaw(v));
    default:
      return '';
  }
}

function anyValueToRaw(v: PbAnyValue | null): RawValue {
  if (v == null) return null;
  switch (v.value) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue':
      return new RawInt(signed64ToDecimal(v.intValue));
    case 'doubleValue':
      return v.doubleValue;
    case 'bytesValue':
      return v.bytesValue;
    case 'arrayValue':
      return v.arrayValue == null ? [] : v.arrayValue.values.map(anyValueToRaw);
    case 'kvlistValue':
      return new RawKvList(
        v.kvlistValue == null ? [] : v.kvlistValue.values.map((kv) => [kv.key, anyValueToRaw(kv.value)]),
      );
    default:
      return null;
  }
}

/** Lowercase hex of a trace/span id; '' when absent or all zero (pdata's `IsEmpty`). */
function idToHex(bytes: Uint8Array, size: number, what: string): string {
  const n = bytes.length;
  if (n === 0) return '';
  if (n !== size) throw malformedField(what, `has ${n} bytes, want ${size}`);
  let zero = true;
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== 0) {
      zero = false;
      break;
    }
  }
  return zero ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('hex');
}

// 2^32 = 4294 * 10^6 + 967296, so an unsigned 64-bit value high*2^32 + low divided by 10^6 is
// high*4294 + (high*967296 + low) / 10^6, where high*967296 + low < 2^52 is exact in a double.
/** Exact `floor(ns / 1e6)` of an unsigned 64-bit nanosecond count. */
export function nanosToMs(v: Pb64): number {
  if (typeof v === 'number') return Math.floor(v / 1e6);
  const high = v.high >>> 0;
  const n = high * 967296 + (v.low >>> 0);
  return high * 4294 + (n - (n % 1e6)) / 1e6;
}

/** float64(uint64): one correctly rounded conversion. */
function unsigned64ToNumber(v: Pb64): number {
  if (typeof v === 'number') return v;
  return (v.high >>> 0) * 4294967296 + (v.low >>> 0);
}

/** float64(int64): one correctly rounded conversion. */
function signed64ToNumber(v: Pb64): number {
  if (typeof v === 'number') return v;
  return (v.high | 0) * 4294967296 + (v.low >>> 0);
}

function signed64ToDecimal(v: Pb64): string {
  return typeof v === 'number' ? String(v) : v.toString();
}
