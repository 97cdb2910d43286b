// Test-only: one error of every kind in @panoptes/common. Not exported.
import * as grpc from '@grpc/grpc-js';
import {
  DeduplicatedError,
  LimitError,
  NotFoundError,
  PanoptesError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '@panoptes/common';

/** Every error kind of @panoptes/common, with the gRPC code and HTTP status it stands for. */
export const ERROR_KINDS: [string, PanoptesError, new (...args: never[]) => PanoptesError, grpc.status, number][] = [
  ['ValidationError', new ValidationError('sample_too_old', 'sample too old for series {a="1"}', { tenant: 't1' }), ValidationError, grpc.status.INVALID_ARGUMENT, 400],
  ['UnauthorizedError', new UnauthorizedError('missing_tenant', 'no tenant ID'), UnauthorizedError, grpc.status.UNAUTHENTICATED, 401],
  ['NotFoundError', new NotFoundError('no_such_block', 'block 01J not found', { tenant: 't1' }), NotFoundError, grpc.status.NOT_FOUND, 404],
  ['TooLargeError', new TooLargeError('request_too_large', 'request of 9 MiB is over 8 MiB', { tenant: 't1' }), TooLargeError, grpc.status.RESOURCE_EXHAUSTED, 413],
  ['UnsupportedMediaTypeError', new UnsupportedMediaTypeError('unsupported_media_type', 'use protobuf', { tenant: 't1' }), UnsupportedMediaTypeError, grpc.status.INVALID_ARGUMENT, 415],
  ['UnprocessableError', new UnprocessableError('bad_query', 'query cannot run', { tenant: 't1' }), UnprocessableError, grpc.status.FAILED_PRECONDITION, 422],
  [
    'LimitError',
    new LimitError('per_tenant_series_limit', 'per-tenant series limit of 150000 exceeded for tenant "t1"', { tenant: 't1' }),
    LimitError,
    grpc.status.RESOURCE_EXHAUSTED,
    429,
  ],
  ['DeduplicatedError', new DeduplicatedError('ha_replica_not_elected', 'replica b is not elected', { tenant: 't1' }), DeduplicatedError, grpc.status.ALREADY_EXISTS, 202],
  ['UnavailableError', new UnavailableError('ingester_stopping', 'ingester is stopping; retry', { tenant: 't1' }), UnavailableError, grpc.status.UNAVAILABLE, 503],
  ['internal PanoptesError', new PanoptesError('internal', 'head_corrupt', 'head corrupt', { tenant: 't1' }), PanoptesError, grpc.status.INTERNAL, 500],
];
