import { PanoptesError } from '@panoptes/common';
import { RawInt, RawKvList, RawValue, rawAsString } from '../any-value';
import { malformedJson } from '../errors';
import {
  OtlpAttribute,
  OtlpExemplar,
  OtlpExponentialBuckets,
  OtlpExportMetricsRequest,
  OtlpHistogramDataPoint,
  OtlpMetric,
  OtlpMetricData,
  OtlpNumberDataPoint,
  OtlpResourceMetrics,
  OtlpScopeMetrics,
  OtlpSummaryDataPoint,
  OtlpExponentialHistogramDataPoint,
} from '../model';

/*
 * OTLP/JSON (the protobuf JSON mapping with OTLP's two exceptions):
 * - keys are lowerCamelCase field names; like every protobuf JSON parser we also accept the
 *   original snake_case names, and ignore unknown keys;
 * - 64-bit integers are decimal strings (numbers are accepted too);
 * - enums are integers (names are accepted too);
 * - `traceId`/`spanId` are hex strings, not base64 (other bytes, e.g. `bytesValue`, are base64);
 * - doubles may be "NaN", "Infinity", "-Infinity"; `null` means "field not set".
 * Any value of the wrong JSON type is rejected with its path, never coerced.
 */

type JsonObject = Record<string, unknown>;

/** The path of the value being read, kept as a stack and rendered only for an error message. */
class Path {
  private readonly parts: (string | number)[] = [];

  push(part: string | number): void {
    this.parts.push(part);
  }

  pop(): void {
    this.parts.pop();
  }

  fail(message: string): never {
    throw malformedJson(this.toString(), message);
  }

  toString(): string {
    let s = '';
    for (const p of this.parts) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
    return s;
  }
}

/**
 * Decodes an OTLP/JSON `ExportMetricsServiceRequest` (already decompressed). An empty (or
 * whitespace-only) body is a valid, empty request. Throws `ValidationError` (reason
 * `malformed_request`) naming the offending path.
 */
export function decodeExportMetricsRequestJson(body: Uint8Array | string): OtlpExportMetricsRequest {
  const text =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.trim() === '') return { resourceMetrics: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw malformedJson('', `invalid JSON (${err instanceof Error ? err.message : String(err)})`, err);
  }
  const path = new Path();
  try {
    const req = asObject(parsed, path);
    if (req === undefined) return { resourceMetrics: [] };
    return { resourceMetrics: readArray(req, 'resourceMetrics', 'resource_metrics', path, readResourceMetrics) };
  } catch (err) {
    if (err instanceof PanoptesError) throw err;
    // e.g. an AnyValue nested deeply enough to exhaust the stack.
    throw malformedJson(path.toString(), err instanceof Error ? err.message : String(err), err);
  }
}

/** Encodes an `ExportMetricsServiceResponse` as OTLP/JSON; no partial success means `{}`. */
export function encodeExportMetricsResponseJson(partialSuccess?: {
  rejectedDataPoints: number;
  errorMessage: string;
}): string {
  if (partialSuccess === undefined) return '{}';
  return JSON.stringify({
    partialSuccess: {
      // int64 fields are strings in OTLP/JSON.
      rejectedDataPoints: String(partialSuccess.rejectedDataPoints),
      errorMessage: partialSuccess.errorMessage,
    },
  });
}

function readResourceMetrics(v: unknown, path: Path): OtlpResourceMetrics {
  const o = requireObject(v, path);
  const resource = readObject(o, 'resource', 'resource', path);
  let attributes: OtlpAttribute[] = [];
  if (resource !== undefined) {
    path.push('resource');
    attributes = readAttributes(resource, 'attributes', 'attributes', path);
    path.pop();
  }
  return {
    resource: attributes,
    scopeMetrics: readArray(o, 'scopeMetrics', 'scope_metrics', path, readScopeMetrics),
    schemaUrl: readString(o, 'schemaUrl', 'schema_url', path),
  };
}

function readScopeMetrics(v: unknown, path: Path): OtlpScopeMetrics {
  const o = requireObject(v, path);
  const scope = readObject(o, 'scope', 'scope', path);
  let name = '';
  let version = '';
  let attributes: OtlpAttribute[] = [];
  if (scope !== undefined) {
    path.push('scope');
    name = readString(scope, 'name', 'name', path);
    version = readString(scope, 'version', 'version', path);
    attributes = readAttributes(scope, 'attributes', 'attributes', path);
    path.pop();
  }
  return {
    scope: { name, version, attributes },
    schemaUrl: readString(o, 'schemaUrl', 'schema_url', path),
    metrics: readArray(o, 'metrics', 'metrics', path, readMetric),
  };
}

const METRIC_DATA_KEYS: Record<string, OtlpMetricData['type']> = {
  gauge: 'gauge',
  sum: 'sum',
  histogram: 'histogram',
  exponentialHistogram: 'exponentialHistogram',
  exponential_histogram: 'exponentialHistogram',
  summary: 'summary',
};

function readMetric(v: unknown, path: Path): OtlpMetric {
  const o = requireObject(v, path);
  // The `data` oneof: like the protobuf decoders, the member that comes last wins.
  let dataKey: string | undefined;
  for (const key of Object.keys(o)) {
    if (METRIC_DATA_KEYS[key] !== undefined && o[key] !== null && o[key] !== undefined) dataKey = key;
  }
  let data: OtlpMetricData = { type: 'none' };
  if (dataKey !== undefined) {
    path.push(dataKey);
    const d = requireObject(o[dataKey], path);
    switch (METRIC_DATA_KEYS[dataKey]) {
      case 'gauge':
        data = { type: 'gauge', dataPoints: readArray(d, 'dataPoints', 'data_points', path, readNumberPoint) };
        break;
      case 'sum':
        data = {
          type: 'sum',
          dataPoints: readArray(d, 'dataPoints', 'data_points', path, readNumberPoint),
          aggregationTemporality: readTemporality(d, path),
          isMonotonic: readBool(d, 'isMonotonic', 'is_monotonic', path),
        };
        break;
      case 'histogram':
        data = {
          type: 'histogram',
          dataPoints: readArray(d, 'dataPoints', 'data_points', path, readHistogramPoint),
          aggregationTemporality: readTemporality(d, path),
        };
        break;
      case 'exponentialHistogram':
        data = {
          type: 'exponentialHistogram',
          dataPoints: readArray(d, 'dataPoints', 'data_points', path, readExponentialHistogramPoint),
          aggregationTemporality: readTemporality(d, path),
        };
        break;
      case 'summary':
        data = { type: 'summary', dataPoints: readArray(d, 'dataPoints', 'data_points', path, readSummaryPoint) };
        break;
    }
    path.pop();
  }
  return {
    name: readString(o, 'name', 'name', path),
    description: readString(o, 'description', 'description', path),
    unit: readString(o, 'unit', 'unit', path),
    data,
  };
}

const TEMPORALITY_NAMES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

function readTemporality(o: JsonObject, path: Path): number {
  return readEnum(o, 'aggregationTemporality', 'aggregation_temporality', path, TEMPORALITY_NAMES);
}

/** The fields every kind of data point starts with. */
function readPointCommon(o: JsonObject, path: Path) {
  return {
    attributes: readAttributes(o, 'attributes', 'attributes', path),
    startTimeMs: readNanosAsMs(o, 'startTimeUnixNano', 'start_time_unix_nano', path),
    timeMs: readNanosAsMs(o, 'timeUnixNano', 'time_unix_nano', path),
    flags: readUint32(o, 'flags', 'flags', path),
  };
}

/** The `value` oneof of number points and exemplars (`asDouble` | `asInt`): the member that comes last wins. */
function readNumberValue(o: JsonObject, path: Path): number {
  let value = 0;
  for (const key of Object.keys(o)) {
    if (o[key] === null) continue;
    if (key === 'asDouble' || key === 'as_double') value = readDouble(o, key, key, path);
    else if (key === 'asInt' || key === 'as_int') value = readInt64(o, key, key, path);
  }
  return value;
}

function readNumberPoint(v: unknown, path: Path): OtlpNumberDataPoint {
  const o = requireObject(v, path);
  const value = readNumberValue(o, path);
  return {
    ...readPointCommon(o, path),
    value,
    exemplars: readArray(o, 'exemplars', 'exemplars', path, readExemplar),
  };
}

function readHistogramPoint(v: unknown, path: Path): OtlpHistogramDataPoint {
  const o = requireObject(v, path);
  return {
    ...readPointCommon(o, path),
    count: readUint64(o, 'count', 'count', path),
    sum: readOptionalDouble(o, 'sum', 'sum', path),
    bucketCounts: readArray(o, 'bucketCounts', 'bucket_counts', path, uint64Value),
    explicitBounds: readArray(o, 'explicitBounds', 'explicit_bounds', path, doubleValue),
    exemplars: readArray(o, 'exemplars', 'exemplars', path, readExemplar),
  };
}

function readExponentialHistogramPoint(v: unknown, path: Path): OtlpExponentialHistogramDataPoint {
  const o = requireObject(v, path);
  return {
    ...readPointCommon(o, path),
    count: readUint64(o, 'count', 'count', path),
    sum: readOptionalDouble(o, 'sum', 'sum', path),
    scale: readInt32(o, 'scale', 'scale', path),
    zeroCount: readUint64(o, 'zeroCount', 'zero_count', path),
    zeroThreshold: readOptionalDouble(o, 'zeroThreshold', 'zero_threshold', path) ?? 0,
    positive: readBuckets(o, 'positive', path),
    negative: readBuckets(o, 'negative', path),
    exemplars: readArray(o, 'exemplars', 'exemplars', path, readExemplar),
  };
}

function readBuckets(o: JsonObject, key: string, path: Path): OtlpExponentialBuckets {
  const b = readObject(o, key, key, path);
  if (b === undefined) return { offset: 0, bucketCounts: [] };
  path.push(key);
  const out = {
    offset: readInt32(b, 'offset', 'offset', path),
    bucketCounts: readArray(b, 'bucketCounts', 'bucket_counts', path, uint64Value),
  };
  path.pop();
  return out;
}

function readSummaryPoint(v: unknown, path: Path): OtlpSummaryDataPoint {
  const o = requireObject(v, path);
  return {
    ...readPointCommon(o, path),
    count: readUint64(o, 'count', 'count', path),
    sum: readOptionalDouble(o, 'sum', 'sum', path) ?? 0,
    quantileValues: readArray(o, 'quantileValues', 'quantile_values', path, (q, p) => {
      const qo = requireObject(q, p);
      return {
        quantile: readOptionalDouble(qo, 'quantile', 'quantile', p) ?? 0,
        value: readOptionalDouble(qo, 'value', 'value', p) ?? 0,
      };
    }),
  };
}

function readExemplar(v: unknown, path: Path): OtlpExemplar {
  const o = requireObject(v, path);
  const value = readNumberValue(o, path);
  return {
    filteredAttributes: readAttributes(o, 'filteredAttributes', 'filtered_attributes', path),
    timeMs: readNanosAsMs(o, 'timeUnixNano', 'time_unix_nano', path),
    value,
    traceId: readHexId(o, 'traceId', 'trace_id', 16, path),
    spanId: readHexId(o, 'spanId', 'span_id', 8, path),
  };
}

function readAttributes(o: JsonObject, camel: string, snake: string, path: Path): OtlpAttribute[] {
  return readArray(o, camel, snake, path, (kv, p) => {
    const kvo = requireObject(kv, p);
    const key = readString(kvo, 'key', 'key', p);
    p.push('value');
    const value = rawAsString(readAnyValue(get(kvo, 'value', 'value'), p));
    p.pop();
    return { key, value };
  });
}

function readAnyValue(v: unknown, path: Path): RawValue {
  const o = asObject(v, path);
  if (o === undefined) return null;
  // The `value` oneof: the member that comes last wins.
  let result: RawValue = null;
  for (const key of Object.keys(o)) {
    const x = o[key];
    if (x === null || x === undefined) continue;
    path.push(key);
    switch (key) {
      case 'stringValue':
      case 'string_value':
        if (typeof x !== 'string') path.fail(`expected a string, got ${typeName(x)}`);
        result = x;
        break;
      case 'boolValue':
      case 'bool_value':
        if (typeof x !== 'boolean') path.fail(`expected a boolean, got ${typeName(x)}`);
        result = x;
        break;
      case 'intValue':
      case 'int_value':
        result = new RawInt(int64Decimal(x, path));
        break;
      case 'doubleValue':
      case 'double_value':
        result = doubleValue(x, path);
        break;
      case 'bytesValue':
      case 'bytes_value':
        result = base64Value(x, path);
        break;
      case 'arrayValue':
      case 'array_value': {
        const a = requireObject(x, path);
        result = readArray(a, 'values', 'values', path, readAnyValue);
        break;
      }
      case 'kvlistValue':
      case 'kvlist_value': {
        const l = requireObject(x, path);
        result = new RawKvList(
          readArray(l, 'values', 'values', path, (kv, p): [string, RawValue] => {
            const kvo = requireObject(kv, p);
            const k = readString(kvo, 'key', 'key', p);
            p.push('value');
            const val = readAnyValue(get(kvo, 'value', 'value'), p);
            p.pop();
            return [k, val];
          }),
        );
        break;
      }
    }
    path.pop();
  }
  return result;
}

// ---- field readers --------------------------------------------------------------------------

function get(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel];
  return v !== undefined || camel === snake ? v : o[snake];
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'object':
      return 'an object';
    case 'string':
      return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
      return `the number ${v}`;
    case 'boolean':
      return `${v}`;
    default:
      return typeof v;
  }
}

/** An object, or undefined for null/absent; anything else is an error. */
function asObject(v: unknown, path: Path): JsonObject | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) path.fail(`expected an object, got ${typeName(v)}`);
  return v as JsonObject;
}

function requireObject(v: unknown, path: Path): JsonObject {
  const o = asObject(v, path);
  if (o === undefined) path.fail('expected an object, got null');
  return o;
}

function readObject(o: JsonObject, camel: string, snake: string, path: Path): JsonObject | undefined {
  const v = get(o, camel, snake);
  if (v === null || v === undefined) return undefined;
  path.push(camel);
  const r = asObject(v, path);
  path.pop();
  return r;
}

function readArray<T>(
  o: JsonObject,
  camel: string,
  snake: string,
  path: Path,
  read: (v: unknown, path: Path) => T,
): T[] {
  const v = get(o, camel, snake);
  if (v === null || v === undefined) return [];
  path.push(camel);
  if (!Array.isArray(v)) path.fail(`expected an array, got ${typeName(v)}`);
  const n = v.length;
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) {
    path.push(i);
    out[i] = read(v[i], path);
    path.pop();
  }
  path.pop();
  return out;
}

function readString(o: JsonObject, camel: string, snake: string, path: Path): string {
  const v = get(o, camel, snake);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  path.push(camel);
  return path.fail(`expected a string, got ${typeName(v)}`);
}

function readBool(o: JsonObject, camel: string, snake: string, path: Path): boolean {
  const v = get(o, camel, snake);
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) return false;
  path.push(camel);
  return path.fail(`expected a boolean, got ${typeName(v)}`);
}

function readEnum(o: JsonObject, camel: string, snake: string, path: Path, names: Record<string, number>): number {
  const v = get(o, camel, snake);
  if (v === null || v === undefined) return 0;
  path.push(camel);
  let n: number;
  if (typeof v === 'string' && Object.prototype.hasOwnProperty.call(names, v)) n = names[v];
  else if (typeof v === 'string' && !/^-?\d+$/.test(v))
    path.fail(`unknown enum value ${JSON.stringify(v)}; expected an integer or one of ${Object.keys(names).join(', ')}`);
  else n = integerInRange(v, -2147483648, 2147483647, path);
  path.pop();
  return n;
}

const DECIMAL = /^-?\d+$/;

/** A JSON number or decimal string holding an integer in [min, max]. */
function integerInRange(v: unknown, min: number, max: number, path: Path): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && DECIMAL.test(v)) n = Number(v);
  else return path.fail(`expected an integer, got ${typeName(v)}`);
  if (!Number.isInteger(n) || n < min || n > max) path.fail(`expected an integer in [${min}, ${max}], got ${typeName(v)}`);
  return n;
}

function readUint32(o: JsonObject, camel: string, snake: string, path: Path): number {
  const v = get(o, camel, snake);
  if (v === null || v === undefined) return 0;
  path.push(camel);
  const n = integerInRange(v, 0, 4294967295, path);
  path.pop();
  return n;
}

function readInt32(o: JsonObject, camel: string, snake: string, path: Path): number {
  const v = get(o, camel, snake);
  if (v === null || v === undefined) return 0;
  path.push(camel);
  const n = integerInRange(v, -2147483648, 2147483647, path);
  path.pop();
  return n;
}

const UINT64_MAX = 18446744073709551615n;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

/** An unsigned 64-bit integer (decimal string or number) as a float64. */
function uint64Value(v: unknown, path: Path): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) path.fail(`expected an unsigned integer, got ${typeName(v)}`);
    return v;
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    if (v.length >= 20 && BigInt(v) > UINT64_MAX) path.fail(`${v} overflows an unsigned 64-bit integer`);
    return Number(v);
  }
  return path.fail(`expected an unsigned 64-bit integer (a decimal string), got ${typeName(v)}`);
}

function readUint64(o: JsonObject, camel: string, snake: string, path: Path): number {
  const v = get(o, camel, snake);
  if (v === null || v === undefined) return 0;
  path.push(camel);
  const n = uint64Value(v, path);
  path.pop();
  return n;
}

/** The exact decimal form of a signed 64-bit integer given as a decimal string or a number. */
function int64Decimal(v: unknown, path: Path): string {
  let b: bigint;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) path.fail(`expected an integer, got ${typeName(v)}`);
    b = BigInt(v);
  } else if (typeof v === 'string' && DECIMAL.test(v)) {
    b = BigInt(v);
  } else {
    return path.fail(`expected a 64-bit integer (a decimal string), got ${typeName(v)}`);
  }
  if (b < INT64_MIN || b > INT64_MAX) path.fail(`${String(v)} overflows a signed 64-bit integer`);
  return b.toString();
}

function readInt64(o: JsonObject, camel: string, snake: string, path: Path): number {
  const v = get(o, camel, snake);
  if (v === null || v === undefined) return 0;
  path.push(camel);
  const n = Number(int64Decimal(v, path));
  path.pop();
  return n;
}

/** `time_unix_nano`-style fixed64 nanoseconds as exact Unix milliseconds (floor). */
function readNanosAsMs(o: JsonObject, camel: string, snake: string, path: Path): number {
  const v = get(o, camel, snake);
  if (v === null || v === undefined) return 0;
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    // Cut the decimal string rather than dividing a float: exact for every uint64.
    if (v.length >= 20 && BigInt(v) > UINT64_MAX) {
      path.push(camel);
      path.fail(`${v} overflows an unsigned 64-bit integer`);
    }
    return v.length > 6 ? Number(v.slice(0, -6)) : 0;
  }
  path.push(camel);
  const ns = uint64Value(v, path);
  path.pop();
  return Math.floor(ns / 1e6);
}

function doubleValue(v: unknown, path: Path): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = v.trim() === '' ? NaN : Number(v);
    if (!Number.isNaN(n)) return n;
  }
  return path.fail(`expected a number (or "NaN", "Infinity", "-Infinity"), got ${typeName(v)}`);
}

function readDouble(o: JsonObject, camel: string, snake: string, path: Path): number {
  return readOptionalDouble(o, camel, snake, path) ?? 0;
}

function readOptionalDouble(o: JsonObject, camel: string, snake: string, path: Path): number | undefined {
  const v = get(o, camel, snake);
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return v;
  path.push(camel);
  const n = doubleValue(v, path);
  path.pop();
  return n;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function base64Value(v: unknown, path: Path): Uint8Array {
  if (typeof v !== 'string' || !BASE64.test(v)) return path.fail(`expected base64 bytes, got ${typeName(v)}`);
  return Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64');
}

const HEX = /^[0-9a-fA-F]*$/;

/** A trace/span id: OTLP/JSON sends hex; '' when absent or all zeros. */
function readHexId(o: JsonObject, camel: string, snake: string, size: number, path: Path): string {
  const v = get(o, camel, snake);
  if (v === null || v === undefined || v === '') return '';
  path.push(camel);
  if (typeof v !== 'string' || !HEX.test(v)) path.fail(`expected a hex string, got ${typeName(v)}`);
  if (v.length !== size * 2) path.fail(`expected ${size} bytes (${size * 2} hex digits), got ${v.length} hex digits`);
  path.pop();
  return /^0+$/.test(v) ? '' : v.toLowerCase();
}
