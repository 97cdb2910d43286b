import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import { ValidationError, errorMessage } from '@panoptes/common';
import { REASON_MALFORMED_REQUEST, UnsupportedMediaTypeError, tooLarge } from './errors';
import { decodeExportMetricsRequestJson, encodeExportMetricsResponseJson } from './json/json-codec';
import { OtlpExportMetricsRequest } from './model';
import { decodeExportMetricsRequestProtobuf, encodeExportMetricsResponseProtobuf } from './proto/protobuf-codec';

const gunzipAsync = promisify(gunzip);

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'protobuf' | 'json';

/** Content-Type of each encoding, for requests and responses. */
export const OTLP_CONTENT_TYPES: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/**
 * The OTLP encoding named by a Content-Type header (parameters such as `charset` are ignored).
 * Throws `UnsupportedMediaTypeError` (415) for anything else, including a missing header.
 */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  throw new UnsupportedMediaTypeError(
    `unsupported OTLP content type ${JSON.stringify(contentType ?? '')}; send application/x-protobuf or application/json`,
  );
}

/** Whether a Content-Encoding header asks for gzip; throws 415 for encodings we do not read. */
function isGzip(contentEncoding: string | undefined): boolean {
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return false;
  if (enc === 'gzip' || enc === 'x-gzip') return true;
  throw new UnsupportedMediaTypeError(
    `unsupported OTLP content encoding ${JSON.stringify(contentEncoding)}; send gzip or an uncompressed body`,
  );
}

function gunzipError(err: unknown, maxBytes: number): Error {
  // zlib's errors carry a code; test runners may hand them over from another realm, so neither
  // `instanceof` nor errorMessage() is relied on.
  const { code, message } = err as { code?: string; message?: string };
  if (code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(maxBytes);
  return new ValidationError(
    REASON_MALFORMED_REQUEST,
    `malformed gzip body: ${typeof message === 'string' ? message : errorMessage(err)}; send a valid gzip stream with Content-Encoding: gzip, or drop the header`,
    { cause: err },
  );
}

/**
 * The request body with its Content-Encoding undone. Decompression stops as soon as the output
 * would pass `maxDecompressedBytes` (a gzip bomb costs at most that much memory) and throws
 * `TooLargeError` (413); an uncompressed body over the limit is refused the same way. A body that
 * is not valid gzip throws `ValidationError` (400); an encoding other than gzip/identity throws
 * `UnsupportedMediaTypeError` (415). Runs on the libuv thread pool, off the event loop.
 */
export async function decompressOtlpBody(
  body: Uint8Array,
  contentEncoding: string | undefined,
  maxDecompressedBytes: number,
): Promise<Uint8Array> {
  if (!isGzip(contentEncoding)) {
    if (body.byteLength > maxDecompressedBytes) throw tooLarge(maxDecompressedBytes);
    return body;
  }
  try {
    return await gunzipAsync(body, { maxOutputLength: maxDecompressedBytes });
  } catch (err) {
    throw gunzipError(err, maxDecompressedBytes);
  }
}

/** `decompressOtlpBody` on the calling thread (for small bodies and tests). */
export function decompressOtlpBodySync(
  body: Uint8Array,
  contentEncoding: string | undefined,
  maxDecompressedBytes: number,
): Uint8Array {
  if (!isGzip(contentEncoding)) {
    if (body.byteLength > maxDecompressedBytes) throw tooLarge(maxDecompressedBytes);
    return body;
  }
  try {
    return gunzipSync(body, { maxOutputLength: maxDecompressedBytes });
  } catch (err) {
    throw gunzipError(err, maxDecompressedBytes);
  }
}

/** Decodes an already decompressed body in the given encoding. */
export function decodeExportMetricsRequest(body: Uint8Array, encoding: OtlpEncoding): OtlpExportMetricsRequest {
  return encoding === 'json' ? decodeExportMetricsRequestJson(body) : decodeExportMetricsRequestProtobuf(body);
}

/**
 * Everything an OTLP/HTTP `POST /v1/metrics` handler does before translation: picks the encoding
 * from Content-Type, undoes Content-Encoding within the size limit, decodes. Throws typed errors
 * only: `UnsupportedMediaTypeError` (415), `TooLargeError` (413), `ValidationError` (400).
 */
export async function decodeOtlpMetricsHttpBody(
  body: Uint8Array,
  headers: { contentType: string | undefined; contentEncoding: string | undefined },
  maxDecompressedBytes: number,
): Promise<{ encoding: OtlpEncoding; request: OtlpExportMetricsRequest }> {
  const encoding = otlpEncodingOf(headers.contentType);
  const raw = await decompressOtlpBody(body, headers.contentEncoding, maxDecompressedBytes);
  return { encoding, request: decodeExportMetricsRequest(raw, encoding) };
}

/**
 * The `ExportMetricsServiceResponse` body in the request's encoding. Pass the partial success from
 * `partialSuccessOf(result)`; undefined means everything was accepted.
 */
export function encodeExportMetricsResponse(
  encoding: OtlpEncoding,
  partialSuccess?: { rejectedDataPoints: number; errorMessage: string },
): Uint8Array {
  return encoding === 'json'
    ? Buffer.from(encodeExportMetricsResponseJson(partialSuccess), 'utf8')
    : encodeExportMetricsResponseProtobuf(partialSuccess);
}
