import * as grpc from '@grpc/grpc-js';
import {
  DeduplicatedError,
  errorMessage,
  ErrorKind,
  grpcCodeOf,
  isPanoptesError,
  LimitError,
  NotFoundError,
  PanoptesError,
  PanoptesErrorOptions,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '@panoptes/common';

/**
 * Trailing-metadata keys of a failed call. The gRPC code alone cannot rebuild the error (limit and
 * too-large share RESOURCE_EXHAUSTED), so the kind travels too. `panoptes-reason` is the key
 * `toGrpcError` of @panoptes/server already uses.
 */
export const ERROR_KIND_METADATA_KEY = 'panoptes-error-kind';
export const ERROR_REASON_METADATA_KEY = 'panoptes-reason';
export const ERROR_TENANT_METADATA_KEY = 'panoptes-tenant';

/** What a failed call carries: the shape of grpc-js `StatusObject` and `ServiceError`. */
export interface GrpcStatusLike {
  code: number;
  details: string;
  metadata?: grpc.Metadata | null;
}

type ErrorFactory = (reason: string, message: string, options: PanoptesErrorOptions) => PanoptesError;

const ERROR_OF_KIND: Record<ErrorKind, ErrorFactory> = {
  deduplicated: (r, m, o) => new DeduplicatedError(r, m, o),
  bad_request: (r, m, o) => new ValidationError(r, m, o),
  unauthorized: (r, m, o) => new UnauthorizedError(r, m, o),
  not_found: (r, m, o) => new NotFoundError(r, m, o),
  too_large: (r, m, o) => new TooLargeError(r, m, o),
  unsupported_media_type: (r, m, o) => new UnsupportedMediaTypeError(r, m, o),
  unprocessable: (r, m, o) => new UnprocessableError(r, m, o),
  limit: (r, m, o) => new LimitError(r, m, o),
  unavailable: (r, m, o) => new UnavailableError(r, m, o),
  internal: (r, m, o) => new PanoptesError('internal', r, m, o),
};

// A status without our metadata came from the transport (connection refused, deadline, message too
// large) or from a server that is not ours: the code decides the kind.
const KIND_OF_CODE: Partial<Record<grpc.status, ErrorKind>> = {
  [grpc.status.INVALID_ARGUMENT]: 'bad_request',
  [grpc.status.UNAUTHENTICATED]: 'unauthorized',
  [grpc.status.PERMISSION_DENIED]: 'unauthorized',
  [grpc.status.NOT_FOUND]: 'not_found',
  // grpc-js reports a message over the size limit as RESOURCE_EXHAUSTED; our limits carry their kind.
  [grpc.status.RESOURCE_EXHAUSTED]: 'too_large',
  [grpc.status.FAILED_PRECONDITION]: 'unprocessable',
  [grpc.status.UNAVAILABLE]: 'unavailable',
  [grpc.status.DEADLINE_EXCEEDED]: 'unavailable',
  [grpc.status.CANCELLED]: 'unavailable',
  [grpc.status.ABORTED]: 'unavailable',
};

// Metadata values of ASCII keys must be printable ASCII; a value that is not is left out.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The gRPC status a handler fails a call with: the code `grpcCodeOf` maps the error's kind to, its
 * message as details, and kind, reason and tenant in trailing metadata. `tenant` is the call's
 * tenant, used when the error names none. Anything that is not a `PanoptesError` is `internal`.
 */
export function errorToGrpcStatus(err: unknown, tenant?: string): grpc.ServiceError {
  const message = errorMessage(err);
  const status = new Error(message) as grpc.ServiceError;
  status.code = grpcCodeOf(err);
  status.details = message;
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_KIND_METADATA_KEY, isPanoptesError(err) ? err.kind : 'internal');
  const reason = isPanoptesError(err) ? err.reason : 'internal';
  if (PRINTABLE_ASCII.test(reason)) metadata.set(ERROR_REASON_METADATA_KEY, reason);
  const errTenant = (isPanoptesError(err) ? err.tenant : undefined) ?? tenant;
  if (errTenant !== undefined && errTenant !== '' && PRINTABLE_ASCII.test(errTenant)) metadata.set(ERROR_TENANT_METADATA_KEY, errTenant);
  status.metadata = metadata;
  return status;
}

/**
 * The typed error a failed call stands for: with our metadata the same class, reason, message and
 * tenant the server threw; without it a kind chosen by the code, reason `grpc_<code name>`, and the
 * message prefixed with `source` (e.g. `ingester 10.0.0.1:9095`) when given.
 */
export function grpcStatusToError(status: GrpcStatusLike, source?: string): PanoptesError {
  const md = status.metadata ?? undefined;
  const kind = md ? firstString(md, ERROR_KIND_METADATA_KEY) : undefined;
  if (kind !== undefined && Object.hasOwn(ERROR_OF_KIND, kind)) {
    const reason = firstString(md!, ERROR_REASON_METADATA_KEY) ?? 'internal';
    const tenant = firstString(md!, ERROR_TENANT_METADATA_KEY);
    return ERROR_OF_KIND[kind as ErrorKind](reason, status.details, tenant === undefined ? {} : { tenant });
  }
  const codeName = grpc.status[status.code] as string | undefined;
  const reason = `grpc_${(codeName ?? `code_${status.code}`).toLowerCase()}`;
  const message = source === undefined ? status.details : `${source}: ${status.details}`;
  return ERROR_OF_KIND[KIND_OF_CODE[status.code as grpc.status] ?? 'internal'](reason, message, {});
}

/** Whether a thrown value is a grpc-js call error (it has a numeric `code`). */
export function isGrpcStatus(err: unknown): err is GrpcStatusLike {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' && !isPanoptesError(err);
}

function firstString(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return v === undefined ? undefined : String(v);
}
