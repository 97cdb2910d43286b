import { ValidationError } from '@panoptes/common';
import { RemoteWriteVersion } from './decoded-write-request';

/**
 * The value of an ingest-log record carrying metrics: one format byte, then an uncompressed remote
 * write body of that version (1 = `prometheus.WriteRequest`, 2 = `io.prometheus.write.v2.Request`).
 * The distributor forwards a request's own body when it goes to one partition unchanged, and
 * re-encodes chosen series as 1.0 otherwise; the ingester decodes either with the same decoder.
 */
export const INGEST_RECORD_V1 = 1;
export const INGEST_RECORD_V2 = 2;

/** A record value holding `body` (copied once, behind the format byte). */
export function encodeIngestRecordValue(version: RemoteWriteVersion, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = version === 2 ? INGEST_RECORD_V2 : INGEST_RECORD_V1;
  out.set(body, 1);
  return out;
}

/** The body and its version; a view into `value`, nothing copied. */
export function decodeIngestRecordValue(value: Buffer): { version: RemoteWriteVersion; body: Buffer } {
  if (value.length === 0) throw new ValidationError('malformed_record', 'ingest record value is empty; expected a format byte and a remote write body');
  const format = value[0];
  if (format !== INGEST_RECORD_V1 && format !== INGEST_RECORD_V2) {
    throw new ValidationError('malformed_record', `ingest record has unknown format byte ${format}; expected 1 (remote write 1.0) or 2 (remote write 2.0)`);
  }
  return { version: format as RemoteWriteVersion, body: value.subarray(1) };
}
