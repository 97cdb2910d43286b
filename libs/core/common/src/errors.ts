/**
 * Typed errors. Every error a user can cause or see carries a stable `reason` (used as a metric
 * label and in logs) and a kind that maps to one HTTP status and one gRPC code, in one place:
 * `httpStatusOf` / `grpcCodeOf`. Messages name the tenant, the limit and what the user can do.
 */
export type ErrorKind =
  | 'deduplicated' // 202: accepted and dropped on purpose (HA replica that is not elected)
  | 'bad_request' // 400
  | 'unauthorized' // 401
  | 'not_found' // 404
  | 'too_large' // 413
  | 'unsupported_media_type' // 415
  | 'unprocessable' // 422
  | 'limit' // 429
  | 'unavailable' // 503
  | 'internal'; // 500

export interface PanoptesErrorOptions {
  tenant?: string;
  cause?: unknown;
}

export class PanoptesError extends Error {
  readonly tenant: string | undefined;

  constructor(
    readonly kind: ErrorKind,
    readonly reason: string,
    message: string,
    options: PanoptesErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.tenant = options.tenant;
  }
}

export class ValidationError extends PanoptesError {
  constructor(reason: string, message: string, options?: PanoptesErrorOptions) {
    super('bad_request', reason, message, options);
  }
}

export class UnauthorizedError extends PanoptesError {
  constructor(reason: string, message: string, options?: PanoptesErrorOptions) {
    super('unauthorized', reason, message, options);
  }
}

export class NotFoundError extends PanoptesError {
  constructor(reason: string, message: string, options?: PanoptesErrorOptions) {
    super('not_found', reason, message, options);
  }
}

export class TooLargeError extends PanoptesError {
  constructor(reason: string, message: string, options?: PanoptesErrorOptions) {
    super('too_large', reason, message, options);
  }
}

/** The body's Content-Type or Content-Encoding is not one the endpoint reads (HTTP 415). */
export class UnsupportedMediaTypeError extends PanoptesError {
  constructor(reason: string, message: string, options?: PanoptesErrorOptions) {
    super('unsupported_media_type', reason, message, options);
  }
}

export class UnprocessableError extends PanoptesError {
  constructor(reason: string, message: string, options?: PanoptesErrorOptions) {
    super('unprocessable', reason, message, options);
  }
}

export class LimitError extends PanoptesError {
  constructor(reason: string, message: string, options?: PanoptesErrorOptions) {
    super('limit', reason, message, options);
  }
}

/**
 * The request was understood and its data deliberately dropped: the client must not retry
 * (HTTP 202). Used for samples from an HA replica that is not the elected one.
 */
export class DeduplicatedError extends PanoptesError {
  constructor(reason: string, message: string, options?: PanoptesErrorOptions) {
    super('deduplicated', reason, message, options);
  }
}

export class UnavailableError extends PanoptesError {
  constructor(reason: string, message: string, options?: PanoptesErrorOptions) {
    super('unavailable', reason, message, options);
  }
}

const HTTP_STATUS: Record<ErrorKind, number> = {
  deduplicated: 202,
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  limit: 429,
  unavailable: 503,
  internal: 500,
};

// gRPC status codes (grpc/status.proto): numeric so this library needs no gRPC dependency.
const GRPC_CODE: Record<ErrorKind, number> = {
  deduplicated: 6, // ALREADY_EXISTS
  bad_request: 3, // INVALID_ARGUMENT
  unauthorized: 16, // UNAUTHENTICATED
  not_found: 5, // NOT_FOUND
  too_large: 8, // RESOURCE_EXHAUSTED
  unsupported_media_type: 3, // INVALID_ARGUMENT
  unprocessable: 9, // FAILED_PRECONDITION
  limit: 8, // RESOURCE_EXHAUSTED
  unavailable: 14, // UNAVAILABLE
  internal: 13, // INTERNAL
};

export function isPanoptesError(err: unknown): err is PanoptesError {
  return err instanceof PanoptesError;
}

export function httpStatusOf(err: unknown): number {
  return isPanoptesError(err) ? HTTP_STATUS[err.kind] : 500;
}

export function grpcCodeOf(err: unknown): number {
  return isPanoptesError(err) ? GRPC_CODE[err.kind] : 13;
}

export function reasonOf(err: unknown): string {
  return isPanoptesError(err) ? err.reason : 'internal';
}

/** A readable message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
