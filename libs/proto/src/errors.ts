import { TooLargeError, UnsupportedMediaTypeError as MediaTypeError, ValidationError } from '@panoptes/common';

/** `reason` of every error about a body that is not a well-formed (snappy) protobuf message. */
export const REASON_MALFORMED_REQUEST = 'malformed_request';
/** `reason` of a body whose decompressed size is over the configured limit (HTTP 413). */
export const REASON_REQUEST_TOO_LARGE = 'request_too_large';
/** `reason` of a Content-Type / Content-Encoding this server does not accept (HTTP 415). */
export const REASON_UNSUPPORTED_MEDIA_TYPE = 'unsupported_media_type';

/**
 * A Content-Type or Content-Encoding the remote write receiver does not accept; Prometheus
 * answers these with 415 Unsupported Media Type, and so does the common error mapping.
 */
export class UnsupportedMediaTypeError extends MediaTypeError {
  constructor(message: string) {
    super(REASON_UNSUPPORTED_MEDIA_TYPE, message);
  }
}

// Cold paths: building errors is kept out of the decoding functions so they stay small.

export function malformed(what: string, message: string, offset: number, detail = ''): ValidationError {
  return new ValidationError(
    REASON_MALFORMED_REQUEST,
    `malformed ${what}: ${message} at byte ${offset}${detail}; the sender must send a valid snappy-compressed protobuf body`,
  );
}

export function tooLarge(declared: number, limit: number): TooLargeError {
  return new TooLargeError(
    REASON_REQUEST_TOO_LARGE,
    `request body decompresses to ${declared} bytes, over the limit of ${limit} bytes; send smaller batches (for Prometheus, lower queue_config.max_samples_per_send) or raise the distributor's maximum request size`,
  );
}
