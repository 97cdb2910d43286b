import { TooLargeError, UnsupportedMediaTypeError as MediaTypeError, ValidationError, errorMessage } from '@panoptes/common';

/** `reason` of every error about a body that is not a well-formed OTLP message (HTTP 400). */
export const REASON_MALFORMED_REQUEST = 'malformed_request';
/** `reason` of a body whose (decompressed) size is over the configured limit (HTTP 413). */
export const REASON_REQUEST_TOO_LARGE = 'request_too_large';
/** `reason` of a Content-Type / Content-Encoding the OTLP receiver does not accept (HTTP 415). */
export const REASON_UNSUPPORTED_MEDIA_TYPE = 'unsupported_media_type';

/**
 * A Content-Type or Content-Encoding the OTLP receiver does not accept; OTLP/HTTP servers answer
 * these with 415 Unsupported Media Type, and so does the common error mapping.
 */
export class UnsupportedMediaTypeError extends MediaTypeError {
  constructor(message: string) {
    super(REASON_UNSUPPORTED_MEDIA_TYPE, message);
  }
}

export function malformedProtobuf(cause: unknown): ValidationError {
  return new ValidationError(
    REASON_MALFORMED_REQUEST,
    `malformed OTLP protobuf body: ${errorMessage(cause)}; the sender must send a serialized opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest`,
    { cause },
  );
}

export function malformedJson(path: string, message: string, cause?: unknown): ValidationError {
  const where = path === '' ? '' : ` at ${path}`;
  return new ValidationError(
    REASON_MALFORMED_REQUEST,
    `malformed OTLP/JSON body${where}: ${message}; the sender must follow the OTLP/JSON encoding (lowerCamelCase keys, 64-bit integers as decimal strings, trace and span ids as hex)`,
    cause === undefined ? undefined : { cause },
  );
}

export function malformedField(what: string, message: string): ValidationError {
  return new ValidationError(REASON_MALFORMED_REQUEST, `malformed OTLP request: ${what} ${message}`);
}

export function tooLarge(limit: number): TooLargeError {
  return new TooLargeError(
    REASON_REQUEST_TOO_LARGE,
    `OTLP request body is over the limit of ${limit} bytes once decompressed; send smaller batches (for the OpenTelemetry Collector, lower the batch processor's send_batch_max_size) or raise the distributor's maximum request size`,
  );
}
