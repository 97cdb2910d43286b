// Test-only helpers: OTLP requests written in the OTLP/JSON shape, and the same requests encoded
// as protobuf with the library's own schema. Not exported from index.ts.
import { otlpMetricsProtoRoot } from '../proto/protobuf-codec';
import { EXPORT_METRICS_REQUEST_TYPE } from '../proto/otlp-metrics-descriptor';

/** 2023-11-14T22:13:20Z in Unix nanoseconds, as a decimal string (OTLP/JSON's int64 form). */
export const T0_MS = 1_700_000_000_000;
export function ns(ms: number, extraNs = 0): string {
  return (BigInt(ms) * 1_000_000n + BigInt(extraNs)).toString();
}

export type Json = Record<string, unknown>;

export function kv(key: string, value: string | number | boolean | Json): Json {
  if (typeof value === 'string') return { key, value: { stringValue: value } };
  if (typeof value === 'boolean') return { key, value: { boolValue: value } };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { key, value: { intValue: String(value) } } : { key, value: { doubleValue: value } };
  }
  return { key, value };
}

export function attrs(o: Record<string, string>): Json[] {
  return Object.entries(o).map(([k, v]) => kv(k, v));
}

/** One ResourceMetrics with one scope. */
export function resourceMetrics(resource: Record<string, string>, metrics: Json[], scope: Json = { name: 'test-scope', version: '1.0.0' }): Json {
  return { resource: { attributes: attrs(resource) }, scopeMetrics: [{ scope, metrics }] };
}

export function request(...rms: Json[]): Json {
  return { resourceMetrics: rms };
}

export function gauge(name: string, unit: string, points: Json[]): Json {
  return { name, unit, description: `${name} help`, gauge: { dataPoints: points } };
}

export function sum(name: string, unit: string, points: Json[], opts: { monotonic?: boolean; temporality?: number } = {}): Json {
  return {
    name,
    unit,
    description: `${name} help`,
    sum: { dataPoints: points, aggregationTemporality: opts.temporality ?? 2, isMonotonic: opts.monotonic ?? true },
  };
}

export function histogram(name: string, unit: string, points: Json[], temporality = 2): Json {
  return { name, unit, description: `${name} help`, histogram: { dataPoints: points, aggregationTemporality: temporality } };
}

export function summary(name: string, unit: string, points: Json[]): Json {
  return { name, unit, description: `${name} help`, summary: { dataPoints: points } };
}

export function point(value: number, timeMs = T0_MS, attributes: Record<string, string> = {}, extra: Json = {}): Json {
  const v = Number.isInteger(value) ? { asInt: String(value) } : { asDouble: value };
  return { attributes: attrs(attributes), startTimeUnixNano: ns(timeMs - 60_000), timeUnixNano: ns(timeMs), ...v, ...extra };
}

/** Converts an OTLP/JSON-shaped request to protobuf bytes (trace/span ids: hex → bytes). */
export function toProtobuf(jsonShaped: Json): Uint8Array {
  const type = otlpMetricsProtoRoot().lookupType(EXPORT_METRICS_REQUEST_TYPE);
  const obj = hexIdsToBytes(structuredClone(jsonShaped)) as Json;
  return type.encode(type.fromObject(obj)).finish();
}

function hexIdsToBytes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(hexIdsToBytes);
  if (v !== null && typeof v === 'object') {
    const o = v as Json;
    for (const k of Object.keys(o)) {
      if ((k === 'traceId' || k === 'spanId') && typeof o[k] === 'string') o[k] = Buffer.from(o[k] as string, 'hex');
      else o[k] = hexIdsToBytes(o[k]);
    }
    return o;
  }
  return v;
}

export function toJsonBytes(jsonShaped: Json): Uint8Array {
  return Buffer.from(JSON.stringify(jsonShaped), 'utf8');
}

/** Series rendered as `name{a="1", b="2"} value@ts` lines, sorted: easy to compare in tests. */
export function render(series: { labels: [string, string][]; samples: { timestampMs: number; value: number }[] }[]): string[] {
  const out: string[] = [];
  for (const s of series) {
    const name = s.labels.find(([k]) => k === '__name__')?.[1] ?? '';
    const rest = s.labels.filter(([k]) => k !== '__name__').map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    for (const smp of s.samples) out.push(`${name}{${rest.join(', ')}} ${String(smp.value)} @${smp.timestampMs}`);
  }
  return out.sort();
}
