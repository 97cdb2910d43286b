import { ValidationError, errorMessage } from '@panoptes/common';
import { decompressSnappy } from '../snappy/snappy';
import { DecodedWriteRequest, RemoteWriteVersion } from './decoded-write-request';

/**
 * The value of an ingest-log record carrying metrics: one format byte, then a remote write body
 * of that version (1 = `prometheus.WriteRequest`, 2 = `io.prometheus.write.v2.Request`),
 * uncompressed (formats 1, 2) or snappy-compressed as remote write sends it (formats 3, 4). The
 * distributor forwards a request's own body when it goes to one partition unchanged, compressed
 * as it arrived when the log is Kafka, and re-encodes chosen series as 1.0 otherwise; the
 * ingester decodes all four with the same decoder.
 */
export const INGEST_RECORD_V1 = 1;
export const INGEST_RECORD_V2 = 2;
export const INGEST_RECORD_V1_SNAPPY = 3;
export const INGEST_RECORD_V2_SNAPPY = 4;

/** Largest decompressed body of a snappy record; a larger declared length marks a corrupt record. */
const MAX_INGEST_BODY_BYTES = 1 << 30;

/** Bodies from `decompressRemoteWriteBody` whose byte in front is still free for a format byte. */
const withHeadroom = new WeakSet<Uint8Array>();

/**
 * A remote write body decompressed with one spare byte in front of it, so that
 * `encodeIngestRecordValue` can make the (uncompressed) record of it without copying the body.
 * Limits and errors as `decompressSnappy`.
 */
export function decompressRemoteWriteBody(compressed: Uint8Array, maxDecompressedBytes: number): Buffer {
  const body = decompressSnappy(compressed, maxDecompressedBytes, 1);
  withHeadroom.add(body);
  return body;
}

/**
 * A record value holding `body` behind the format byte; `snappy`: `body` is snappy-compressed.
 * The body is copied, except the first time an uncompressed body from `decompressRemoteWriteBody`
 * is encoded: the format byte then goes into its spare byte and the value shares its memory (so
 * that body must not be modified afterwards, as for any produced record).
 */
export function encodeIngestRecordValue(version: RemoteWriteVersion, body: Uint8Array, snappy = false): Buffer {
  const format = (version === 2 ? INGEST_RECORD_V2 : INGEST_RECORD_V1) + (snappy ? INGEST_RECORD_V1_SNAPPY - INGEST_RECORD_V1 : 0);
  if (!snappy && withHeadroom.delete(body)) {
    const out = Buffer.from(body.buffer, body.byteOffset - 1, body.length + 1);
    out[0] = format;
    return out;
  }
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = format;
  out.set(body, 1);
  return out;
}

/** The uncompressed body and its version: a view into `value` for formats 1 and 2, decompressed for 3 and 4. */
export function decodeIngestRecordValue(value: Buffer): { version: RemoteWriteVersion; body: Buffer } {
  if (value.length === 0) throw new ValidationError('malformed_record', 'ingest record value is empty; expected a format byte and a remote write body');
  const format = value[0];
  switch (format) {
    case INGEST_RECORD_V1:
    case INGEST_RECORD_V2:
      return { version: format, body: value.subarray(1) };
    case INGEST_RECORD_V1_SNAPPY:
    case INGEST_RECORD_V2_SNAPPY:
      try {
        return { version: format === INGEST_RECORD_V2_SNAPPY ? 2 : 1, body: decompressSnappy(value.subarray(1), MAX_INGEST_BODY_BYTES) };
      } catch (err) {
        throw new ValidationError('malformed_record', `ingest record of format ${format} holds no valid snappy body: ${errorMessage(err)}`, { cause: err });
      }
    default:
      throw new ValidationError(
        'malformed_record',
        `ingest record has unknown format byte ${format}; expected 1 or 2 (remote write 1.0 or 2.0), 3 or 4 (the same, snappy-compressed)`,
      );
  }
}

/**
 * The decoded form of a record's body, carried beside the record by the in-process ingest log
 * (`IngestRecord.attachment`) so that an ingester in the distributor's process skips decoding and
 * hashing the body a second time. The request belongs to the distributor's decoder, which refills
 * it for a later request: it is valid only while its generation is the one noted here.
 */
export class DecodedAttachment {
  private readonly generation: number;

  constructor(private readonly req: DecodedWriteRequest) {
    this.generation = req.generation;
  }

  /**
   * The decoded request, when it still describes the body it was attached to and its series
   * hashes were computed with `hashSeed`; undefined otherwise (decode the record's value then).
   */
  requestFor(hashSeed: number): DecodedWriteRequest | undefined {
    const req = this.req;
    return req.generation === this.generation && req.hashSeed === hashSeed >>> 0 ? req : undefined;
  }
}

/** The still-valid decoded request attached to a record (see `DecodedAttachment`), or undefined. */
export function attachedRequest(attachment: unknown, hashSeed: number): DecodedWriteRequest | undefined {
  return attachment instanceof DecodedAttachment ? attachment.requestFor(hashSeed) : undefined;
}
