import { gzipSync } from 'node:zlib';
import { PanoptesError, TooLargeError, ValidationError, httpStatusOf } from '@panoptes/common';
import { UnsupportedMediaTypeError } from './errors';
import {
  decodeOtlpMetricsHttpBody,
  decompressOtlpBody,
  decompressOtlpBodySync,
  encodeExportMetricsResponse,
  otlpEncodingOf,
} from './http-body';
import { decodeExportMetricsResponseProtobuf } from './proto/protobuf-codec';
import { T0_MS, gauge, point, request, resourceMetrics, toJsonBytes, toProtobuf } from './testing/fixtures';

const REQ = request(resourceMetrics({ 'service.name': 'svc' }, [gauge('g', '', [point(1)])]));
const MB = 1024 * 1024;

async function caught(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('otlpEncodingOf', () => {
  it.each([
    ['application/x-protobuf', 'protobuf'],
    ['application/protobuf', 'protobuf'],
    ['application/json', 'json'],
    ['Application/JSON; charset=utf-8', 'json'],
  ])('reads %s as %s', (header, encoding) => {
    expect(otlpEncodingOf(header)).toBe(encoding);
  });

  it.each([['text/plain'], [''], [undefined]])('refuses %p with 415', async (header) => {
    const err = await caught(() => otlpEncodingOf(header));
    expect(err).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(httpStatusOf(err)).toBe(415);
    expect((err as Error).message).toContain('send application/x-protobuf or application/json');
  });
});

describe('decodeOtlpMetricsHttpBody', () => {
  it.each([
    ['protobuf', 'application/x-protobuf', toProtobuf(REQ)],
    ['JSON', 'application/json', toJsonBytes(REQ)],
  ])('decodes a gzip-compressed %s body', async (_name, contentType, body) => {
    const { request: req } = await decodeOtlpMetricsHttpBody(gzipSync(body), { contentType, contentEncoding: 'gzip' }, MB);
    expect(req.resourceMetrics[0].resource).toEqual([{ key: 'service.name', value: 'svc' }]);
    expect(req.resourceMetrics[0].scopeMetrics[0].metrics[0].data).toMatchObject({ type: 'gauge', dataPoints: [{ timeMs: T0_MS, value: 1 }] });
  });

  it('decodes an uncompressed body with Content-Encoding identity', async () => {
    const { encoding } = await decodeOtlpMetricsHttpBody(toProtobuf(REQ), { contentType: 'application/x-protobuf', contentEncoding: 'identity' }, MB);
    expect(encoding).toBe('protobuf');
  });

  it('decodes an empty body as an empty request', async () => {
    const { request: req } = await decodeOtlpMetricsHttpBody(new Uint8Array(0), { contentType: 'application/json', contentEncoding: undefined }, MB);
    expect(req).toEqual({ resourceMetrics: [] });
  });
});

describe('bad HTTP bodies', () => {
  const bomb = gzipSync(Buffer.alloc(64 * MB)); // ~64 KiB on the wire

  it.each<[string, () => Promise<unknown>, new (...args: never[]) => PanoptesError, number, RegExp]>([
    ['a gzip bomb over the limit', () => decompressOtlpBody(bomb, 'gzip', MB), TooLargeError, 413, /over the limit of 1048576 bytes once decompressed/],
    ['a gzip bomb over the limit (sync)', async () => decompressOtlpBodySync(bomb, 'gzip', MB), TooLargeError, 413, /over the limit/],
    ['an uncompressed body over the limit', () => decompressOtlpBody(Buffer.alloc(MB + 1), undefined, MB), TooLargeError, 413, /over the limit/],
    ['a truncated gzip stream', () => decompressOtlpBody(gzipSync(toProtobuf(REQ)).subarray(0, 20), 'gzip', MB), ValidationError, 400, /malformed gzip body: unexpected end of file/],
    ['a body that is not gzip', () => decompressOtlpBody(toProtobuf(REQ), 'gzip', MB), ValidationError, 400, /malformed gzip body: incorrect header check/],
    ['an encoding we do not read', () => decompressOtlpBody(toProtobuf(REQ), 'br', MB), UnsupportedMediaTypeError, 415, /unsupported OTLP content encoding "br"/],
    ['invalid JSON in a gzip body', () => decodeOtlpMetricsHttpBody(gzipSync('{"resourceMetrics":'), { contentType: 'application/json', contentEncoding: 'gzip' }, MB), ValidationError, 400, /invalid JSON/],
  ])('refuses %s', async (_name, run, type, status, message) => {
    const err = await caught(run());
    expect(err).toBeInstanceOf(type);
    expect(httpStatusOf(err)).toBe(status);
    expect((err as Error).message).toMatch(message);
  });
});

describe('encodeExportMetricsResponse', () => {
  const partial = { rejectedDataPoints: 2, errorMessage: 'why' };

  it('answers in protobuf for a protobuf request', () => {
    expect(decodeExportMetricsResponseProtobuf(encodeExportMetricsResponse('protobuf', partial))).toEqual({ partialSuccess: partial });
  });

  it('answers in OTLP/JSON for a JSON request', () => {
    expect(JSON.parse(Buffer.from(encodeExportMetricsResponse('json', partial)).toString())).toEqual({
      partialSuccess: { rejectedDataPoints: '2', errorMessage: 'why' },
    });
    expect(Buffer.from(encodeExportMetricsResponse('json')).toString()).toBe('{}');
  });
});
