import { PanoptesError, ValidationError, httpStatusOf } from '@panoptes/common';
import { decodeExportMetricsRequestJson, encodeExportMetricsResponseJson } from './json/json-codec';
import { OtlpExportMetricsRequest, OtlpNumberDataPoint } from './model';
import {
  decodeExportMetricsRequestProtobuf,
  decodeExportMetricsResponseProtobuf,
  encodeExportMetricsResponseProtobuf,
  nanosToMs,
} from './proto/protobuf-codec';
import { Json, T0_MS, gauge, kv, ns, point, request, resourceMetrics, sum, toJsonBytes, toProtobuf } from './testing/fixtures';
import { defaultOtlpTranslationConfig } from './translate/config';
import { translateOtlpMetrics } from './translate/translator';

type Decoder = (body: Uint8Array) => OtlpExportMetricsRequest;
const json: Decoder = (b) => decodeExportMetricsRequestJson(b);
const proto: Decoder = (b) => decodeExportMetricsRequestProtobuf(b);

function firstPoint(req: OtlpExportMetricsRequest): OtlpNumberDataPoint {
  const data = req.resourceMetrics[0].scopeMetrics[0].metrics[0].data;
  if (data.type !== 'gauge' && data.type !== 'sum') throw new Error(`unexpected ${data.type}`);
  return data.dataPoints[0];
}

const EXEMPLAR_REQ = request(
  resourceMetrics({ 'service.name': 'svc' }, [
    sum('s', '', [
      point(7, T0_MS, { a: 'b' }, {
        timeUnixNano: ns(T0_MS, 999_999),
        flags: 1,
        exemplars: [
          {
            timeUnixNano: ns(T0_MS - 1),
            asInt: '3',
            traceId: '5B8EFFF798038103D269B633813FC60C',
            spanId: '0000000000000000',
            filteredAttributes: [kv('k', 'v')],
          },
        ],
      }),
    ]),
  ]),
);

describe.each<[string, Decoder, (j: Json) => Uint8Array]>([
  ['protobuf', proto, toProtobuf],
  ['JSON', json, toJsonBytes],
])('%s decoding', (_name, decode, encode) => {
  it('decodes resource, scope, metric and data point fields', () => {
    const req = decode(encode(EXEMPLAR_REQ));
    const rm = req.resourceMetrics[0];
    expect(rm.resource).toEqual([{ key: 'service.name', value: 'svc' }]);
    expect(rm.scopeMetrics[0].scope).toEqual({ name: 'test-scope', version: '1.0.0', attributes: [] });
    const m = rm.scopeMetrics[0].metrics[0];
    expect(m).toMatchObject({ name: 's', unit: '', description: 's help' });
    expect(m.data).toMatchObject({ type: 'sum', aggregationTemporality: 2, isMonotonic: true });
    expect(firstPoint(req)).toEqual({
      attributes: [{ key: 'a', value: 'b' }],
      startTimeMs: T0_MS - 60_000,
      timeMs: T0_MS, // 999999 ns past T0 still floors to T0
      flags: 1,
      value: 7,
      exemplars: [
        {
          filteredAttributes: [{ key: 'k', value: 'v' }],
          timeMs: T0_MS - 1,
          value: 3,
          traceId: '5b8efff798038103d269b633813fc60c',
          spanId: '', // all zeros is "no span id"
        },
      ],
    });
  });

  it('converts nanoseconds to milliseconds exactly near 2^63', () => {
    const req = decode(encode(request(resourceMetrics({}, [gauge('g', '', [{ timeUnixNano: '9223372036854775807', asDouble: 1 }])]))));
    expect(firstPoint(req).timeMs).toBe(9223372036854);
  });

  it('keeps int64 values and attribute ints exact', () => {
    const req = decode(
      encode(request(resourceMetrics({}, [gauge('g', '', [{ timeUnixNano: ns(T0_MS), asInt: '-42', attributes: [kv('big', { intValue: '-9223372036854775808' })] }])]))),
    );
    expect(firstPoint(req).value).toBe(-42);
    expect(firstPoint(req).attributes).toEqual([{ key: 'big', value: '-9223372036854775808' }]);
  });

  it('decodes an empty body as an empty request', () => {
    expect(decode(new Uint8Array(0))).toEqual({ resourceMetrics: [] });
  });

  it('keeps an unknown aggregation temporality for the translator to reject', () => {
    const req = decode(encode(request(resourceMetrics({}, [sum('s', '', [point(1)], { temporality: 7 })]))));
    const res = translateOtlpMetrics(req, defaultOtlpTranslationConfig());
    expect(res.rejectedDataPoints).toBe(1);
    expect(res.errors[0]).toContain('aggregation temporality 7 is not cumulative');
  });

  it('decodes a metric without data as type none', () => {
    const req = decode(encode(request(resourceMetrics({}, [{ name: 'x' }]))));
    expect(req.resourceMetrics[0].scopeMetrics[0].metrics[0].data).toEqual({ type: 'none' });
  });
});

describe('OTLP/JSON specifics', () => {
  it('accepts snake_case keys, numbers for int64, enum names, and ignores unknown keys', () => {
    const body = JSON.stringify({
      resource_metrics: [
        {
          scope_metrics: [
            {
              metrics: [
                {
                  name: 's',
                  futureField: { whatever: true },
                  sum: {
                    aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
                    is_monotonic: true,
                    data_points: [{ time_unix_nano: T0_MS * 1e6, as_double: 'Infinity', flags: '0' }],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const req = decodeExportMetricsRequestJson(body);
    expect(req.resourceMetrics[0].scopeMetrics[0].metrics[0].data).toMatchObject({ type: 'sum', aggregationTemporality: 2 });
    expect(firstPoint(req)).toMatchObject({ timeMs: T0_MS, value: Infinity });
  });

  it('treats null as an absent field', () => {
    const req = decodeExportMetricsRequestJson('{"resourceMetrics":[{"resource":null,"scopeMetrics":[{"scope":null,"metrics":[{"name":"g","gauge":{"dataPoints":[{"timeUnixNano":null,"asDouble":null,"attributes":null}]}}]}]}]}');
    expect(firstPoint(req)).toMatchObject({ timeMs: 0, value: 0, attributes: [] });
  });

  it('decodes bytes values as base64 and renders them back as Prometheus does', () => {
    const req = decodeExportMetricsRequestJson(
      JSON.stringify(request(resourceMetrics({}, [gauge('g', '', [{ timeUnixNano: '1', asInt: 1, attributes: [kv('b', { bytesValue: '+/8A' })] }])]))),
    );
    expect(firstPoint(req).attributes).toEqual([{ key: 'b', value: '+/8A' }]);
  });
});

const PATH = 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]';
const withPoint = (p: Json): string => JSON.stringify(request(resourceMetrics({}, [gauge('g', '', [p])])));

describe('bad OTLP/JSON bodies', () => {
  const deep = `{"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(50_000)}${']}}'.repeat(50_000)}}]}}]}`;
  it.each<[string, string, RegExp]>([
    ['invalid JSON', '{"resourceMetrics": [', /invalid JSON/],
    ['a top-level array', '[]', /expected an object, got an array/],
    ['resourceMetrics that is not an array', '{"resourceMetrics": {}}', /at resourceMetrics: expected an array, got an object/],
    ['a timestamp of the wrong type', withPoint({ timeUnixNano: { n: 1 } }), new RegExp(`at ${escape(PATH)}.timeUnixNano: expected an unsigned 64-bit integer`)],
    ['a negative timestamp', withPoint({ timeUnixNano: '-1' }), /timeUnixNano: expected an unsigned 64-bit integer/],
    ['a timestamp over 2^64', withPoint({ timeUnixNano: '99999999999999999999999' }), /overflows an unsigned 64-bit integer/],
    ['a fractional int64', withPoint({ asInt: 1.5 }), /asInt: expected an integer/],
    ['a double that is not a number', withPoint({ asDouble: 'abc' }), /asDouble: expected a number/],
    ['a string attribute value that is a number', withPoint({ attributes: [{ key: 'k', value: { stringValue: 5 } }] }), /attributes\[0\]\.value\.stringValue: expected a string/],
    ['an attribute key that is not a string', withPoint({ attributes: [{ key: 1 }] }), /attributes\[0\]\.key: expected a string/],
    ['an int attribute over int64', withPoint({ attributes: [kv('k', { intValue: '9223372036854775808' })] }), /overflows a signed 64-bit integer/],
    ['negative flags', withPoint({ flags: -1 }), /flags: expected an integer in \[0, 4294967295\]/],
    ['a trace id that is not hex', withPoint({ exemplars: [{ traceId: 'zz'.repeat(16) }] }), /traceId: expected a hex string/],
    ['a trace id of the wrong length', withPoint({ exemplars: [{ traceId: 'abcd' }] }), /traceId: expected 16 bytes \(32 hex digits\), got 4/],
    ['a span id of the wrong length', withPoint({ exemplars: [{ spanId: 'abcd' }] }), /spanId: expected 8 bytes/],
    ['bytes that are not base64', withPoint({ attributes: [kv('b', { bytesValue: '***' })] }), /bytesValue: expected base64 bytes/],
    ['an unknown temporality name', JSON.stringify(request(resourceMetrics({}, [{ name: 's', sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_BOGUS' } }]))), /unknown enum value "AGGREGATION_TEMPORALITY_BOGUS"/],
    ['isMonotonic as a string', JSON.stringify(request(resourceMetrics({}, [{ name: 's', sum: { isMonotonic: 'true' } }]))), /isMonotonic: expected a boolean/],
    ['a metric that is not an object', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[42]}]}]}', /metrics\[0\]: expected an object, got the number 42/],
    ['a data point that is null', withPoint(null as unknown as Json), /dataPoints\[0\]: expected an object, got null/],
    ['attribute values nested 50000 deep', deep, /malformed OTLP\/JSON body/],
  ])('rejects %s with a ValidationError naming the problem', (_name, body, message) => {
    let err: unknown;
    try {
      decodeExportMetricsRequestJson(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as PanoptesError).reason).toBe('malformed_request');
    expect(httpStatusOf(err)).toBe(400);
    expect((err as Error).message).toMatch(message);
  });
});

function escape(s: string): string {
  return s.replace(/[.[\]]/g, (c) => `\\${c}`);
}

/** A varint as bytes. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Wraps `inner` in length-delimited fields, innermost tag first, building all headers at once. */
function nest(inner: Uint8Array, tags: number[]): Uint8Array {
  const headers: number[][] = [];
  let size = inner.length;
  for (const tag of tags) {
    const h = [tag, ...varint(size)];
    headers.push(h);
    size += h.length;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = headers.length - 1; i >= 0; i--) {
    out.set(headers[i], o);
    o += headers[i].length;
  }
  out.set(inner, o);
  return out;
}

describe('bad protobuf bodies', () => {
  const valid = toProtobuf(EXEMPLAR_REQ);
  const wrongTraceId = toProtobuf(
    request(resourceMetrics({}, [sum('s', '', [point(1, T0_MS, {}, { exemplars: [{ traceId: 'abcdef', asDouble: 1 }] })])])),
  );
  // AnyValue{array_value = 5} ⊃ ArrayValue{values = 1} ⊃ AnyValue … 50000 levels, inside
  // KeyValue.value (2) ⊃ Resource.attributes (1) ⊃ ResourceMetrics.resource (1) ⊃ request (1).
  const levels: number[] = [];
  for (let i = 0; i < 50_000; i++) levels.push(0x0a, 0x2a);
  const deep = nest(new Uint8Array([0x0a, 0x01, 0x78]), [...levels, 0x12, 0x0a, 0x0a, 0x0a]);

  it.each<[string, Uint8Array, RegExp]>([
    ['a truncated message', valid.subarray(0, valid.length - 3), /malformed OTLP protobuf body: index out of range/],
    ['a length past the end', new Uint8Array([0x0a, 0x05, 0x01]), /malformed OTLP protobuf body/],
    ['an invalid wire type', new Uint8Array([0x17, 0x00]), /malformed OTLP protobuf body: invalid wire type 7/],
    ['random bytes', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /malformed OTLP protobuf body/],
    ['a trace id of the wrong length', wrongTraceId, /exemplar trace_id has 3 bytes, want 16/],
    ['attribute values nested 50000 deep', deep, /malformed OTLP protobuf body/],
  ])('rejects %s with a ValidationError', (_name, body, message) => {
    let err: unknown;
    try {
      decodeExportMetricsRequestProtobuf(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as PanoptesError).reason).toBe('malformed_request');
    expect((err as Error).message).toMatch(message);
  });
});

describe('nanosToMs', () => {
  it.each<[number, number, number]>([
    // [high, low, expected ms]
    [0, 999_999, 0],
    [0, 1_000_000, 1],
    [0x17a2b3c4, 0x12345678, Number((BigInt(0x17a2b3c4) * 2n ** 32n + BigInt(0x12345678)) / 1_000_000n)],
    [0xffffffff | 0, 0xffffffff | 0, Number((2n ** 64n - 1n) / 1_000_000n)],
  ])('floors %i:%i exactly', (high, low, expected) => {
    expect(nanosToMs({ high, low, unsigned: true, toString: () => '' })).toBe(expected);
  });
});

describe('ExportMetricsServiceResponse', () => {
  it('encodes full success as an empty message', () => {
    expect(encodeExportMetricsResponseProtobuf()).toHaveLength(0);
    expect(encodeExportMetricsResponseJson()).toBe('{}');
  });

  it('encodes a partial success in protobuf and in OTLP/JSON (int64 as a string)', () => {
    const partial = { rejectedDataPoints: 3, errorMessage: 'delta temporality is not supported' };
    expect(decodeExportMetricsResponseProtobuf(encodeExportMetricsResponseProtobuf(partial))).toEqual({ partialSuccess: partial });
    expect(JSON.parse(encodeExportMetricsResponseJson(partial))).toEqual({
      partialSuccess: { rejectedDataPoints: '3', errorMessage: 'delta temporality is not supported' },
    });
  });
});
