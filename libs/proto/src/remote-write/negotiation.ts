import { UnsupportedMediaTypeError } from '../errors';
import { RemoteWriteStats, RemoteWriteVersion } from './decoded-write-request';

/** The `proto` parameter of each version's Content-Type. */
export const REMOTE_WRITE_V1_PROTO = 'prometheus.WriteRequest';
export const REMOTE_WRITE_V2_PROTO = 'io.prometheus.write.v2.Request';
export const REMOTE_WRITE_MEDIA_TYPE = 'application/x-protobuf';
export const REMOTE_WRITE_V1_CONTENT_TYPE = `${REMOTE_WRITE_MEDIA_TYPE};proto=${REMOTE_WRITE_V1_PROTO}`;
export const REMOTE_WRITE_V2_CONTENT_TYPE = `${REMOTE_WRITE_MEDIA_TYPE};proto=${REMOTE_WRITE_V2_PROTO}`;

/** Response headers a 2.0 receiver must set (what it wrote, also on partial failures). */
export const HEADER_SAMPLES_WRITTEN = 'X-Prometheus-Remote-Write-Samples-Written';
export const HEADER_HISTOGRAMS_WRITTEN = 'X-Prometheus-Remote-Write-Histograms-Written';
export const HEADER_EXEMPLARS_WRITTEN = 'X-Prometheus-Remote-Write-Exemplars-Written';

const PROTO_VERSIONS: Record<string, RemoteWriteVersion> = {
  [REMOTE_WRITE_V1_PROTO]: 1,
  [REMOTE_WRITE_V2_PROTO]: 2,
};

export interface RemoteWriteNegotiation {
  version: RemoteWriteVersion;
  /** The protobuf message name, e.g. `prometheus.WriteRequest`. */
  protoMessage: string;
}

/**
 * Chooses the remote write version from the request's Content-Type and checks its
 * Content-Encoding, following Prometheus' own receiver (storage/remote/write_handler.go):
 * - no Content-Type: 1.0 (old senders send none);
 * - the media type must be `application/x-protobuf`; its parameters must be `key=value`;
 *   `proto=prometheus.WriteRequest` → 1.0, `proto=io.prometheus.write.v2.Request` → 2.0,
 *   no `proto` parameter → 1.0, any other `proto` → 415;
 * - a version not in `accepted` → 415;
 * - no Content-Encoding: snappy is assumed (as Prometheus does, so old senders keep working; a body
 *   that is not snappy then fails decompression with 400); `snappy` (any case) is accepted; any
 *   other encoding → 415.
 * Slightly more lenient than Prometheus where RFC 9110 says so: media type and parameter names are
 * case-insensitive, whitespace around `;` and `=` and quotes around the value are ignored.
 * Throws `UnsupportedMediaTypeError` (reason `unsupported_media_type`, HTTP 415).
 */
export function negotiateRemoteWrite(
  contentType: string | undefined,
  contentEncoding: string | undefined,
  accepted: readonly RemoteWriteVersion[] = [1, 2],
): RemoteWriteNegotiation {
  const negotiation = parseRemoteWriteContentType(contentType);
  if (!accepted.includes(negotiation.version)) {
    const names = accepted.map((v) => (v === 1 ? REMOTE_WRITE_V1_PROTO : REMOTE_WRITE_V2_PROTO));
    throw new UnsupportedMediaTypeError(
      `${negotiation.protoMessage} protobuf message is not accepted by this server; accepted: ${names.join(', ')}`,
    );
  }
  checkRemoteWriteContentEncoding(contentEncoding);
  return negotiation;
}

/** The version a Content-Type asks for (see `negotiateRemoteWrite`). */
export function parseRemoteWriteContentType(contentType: string | undefined): RemoteWriteNegotiation {
  const raw = (contentType ?? '').trim();
  if (raw === '') return { version: 1, protoMessage: REMOTE_WRITE_V1_PROTO };
  const parts = raw.split(';');
  if (parts[0].trim().toLowerCase() !== REMOTE_WRITE_MEDIA_TYPE) {
    throw new UnsupportedMediaTypeError(
      `expected ${REMOTE_WRITE_MEDIA_TYPE} as the media type, got content-type ${JSON.stringify(raw)}; send ${REMOTE_WRITE_V1_CONTENT_TYPE} or ${REMOTE_WRITE_V2_CONTENT_TYPE}`,
    );
  }
  for (const param of parts.slice(1)) {
    const pair = param.split('=');
    if (pair.length !== 2) {
      throw new UnsupportedMediaTypeError(
        `content-type parameters must be key=value, got ${JSON.stringify(param.trim())} in ${JSON.stringify(raw)}`,
      );
    }
    if (pair[0].trim().toLowerCase() !== 'proto') continue;
    const value = pair[1].trim().replace(/^"(.*)"$/, '$1');
    const version = PROTO_VERSIONS[value];
    if (version === undefined) {
      throw new UnsupportedMediaTypeError(
        `unknown remote write protobuf message ${JSON.stringify(value)} in content-type ${JSON.stringify(raw)}; expected proto=${REMOTE_WRITE_V1_PROTO} or proto=${REMOTE_WRITE_V2_PROTO}`,
      );
    }
    return { version, protoMessage: value };
  }
  return { version: 1, protoMessage: REMOTE_WRITE_V1_PROTO };
}

/** Accepts a missing or `snappy` Content-Encoding; anything else is 415. */
export function checkRemoteWriteContentEncoding(contentEncoding: string | undefined): void {
  const enc = (contentEncoding ?? '').trim();
  if (enc === '' || enc.toLowerCase() === 'snappy') return;
  throw new UnsupportedMediaTypeError(
    `${JSON.stringify(enc)} encoding (compression) is not accepted by this server; only snappy (block format) is accepted`,
  );
}

/** The `X-Prometheus-Remote-Write-*-Written` response headers for what was written. */
export function remoteWriteStatsHeaders(stats: RemoteWriteStats): Record<string, string> {
  return {
    [HEADER_SAMPLES_WRITTEN]: String(stats.samples),
    [HEADER_HISTOGRAMS_WRITTEN]: String(stats.histograms),
    [HEADER_EXEMPLARS_WRITTEN]: String(stats.exemplars),
  };
}
