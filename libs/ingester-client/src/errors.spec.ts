import * as grpc from '@grpc/grpc-js';
import {
  httpStatusOf,
  PanoptesError,
  TooLargeError,
  UnavailableError,
  ValidationError,
} from '@panoptes/common';
import { ERROR_TENANT_METADATA_KEY, errorToGrpcStatus, grpcStatusToError } from './errors';
import { ERROR_KINDS } from './testing/error-kinds';

describe('errorToGrpcStatus / grpcStatusToError', () => {
  it.each(ERROR_KINDS)('round-trips a %s to the same class, kind, reason, message and tenant', (_name, err, cls, code, http) => {
    const status = errorToGrpcStatus(err);
    expect(status.code).toBe(code);
    expect(status.details).toBe(err.message);

    const back = grpcStatusToError(status, 'ingester 10.0.0.1:9095');
    expect(back).toBeInstanceOf(cls);
    expect(back.constructor).toBe(err.constructor);
    expect(back).toMatchObject({ kind: err.kind, reason: err.reason, message: err.message, tenant: err.tenant, name: err.name });
    expect(httpStatusOf(back)).toBe(http);
  });

  it('fills in the call tenant when the error names none, and keeps the error tenant otherwise', () => {
    expect(grpcStatusToError(errorToGrpcStatus(new ValidationError('r', 'm'), 'call-tenant')).tenant).toBe('call-tenant');
    expect(grpcStatusToError(errorToGrpcStatus(new ValidationError('r', 'm', { tenant: 'own' }), 'call-tenant')).tenant).toBe('own');
  });

  it('leaves out a tenant that cannot travel as ASCII metadata instead of failing', () => {
    const status = errorToGrpcStatus(new ValidationError('r', 'm', { tenant: 'tenant\u00e9' }));
    expect(status.metadata.get(ERROR_TENANT_METADATA_KEY)).toEqual([]);
    expect(grpcStatusToError(status).tenant).toBeUndefined();
  });

  it('maps an error that is not a PanoptesError to INTERNAL and back to an internal PanoptesError', () => {
    const status = errorToGrpcStatus(new TypeError('x is undefined'), 't1');
    expect(status.code).toBe(grpc.status.INTERNAL);
    const back = grpcStatusToError(status);
    expect(back).toBeInstanceOf(PanoptesError);
    expect(back).toMatchObject({ kind: 'internal', reason: 'internal', message: 'x is undefined', tenant: 't1' });
  });

  it.each<[string, grpc.status, new (...args: never[]) => PanoptesError, string, number]>([
    ['a refused connection', grpc.status.UNAVAILABLE, UnavailableError, 'grpc_unavailable', 503],
    ['a deadline exceeded', grpc.status.DEADLINE_EXCEEDED, UnavailableError, 'grpc_deadline_exceeded', 503],
    ['a cancelled call', grpc.status.CANCELLED, UnavailableError, 'grpc_cancelled', 503],
    ['an over-size message', grpc.status.RESOURCE_EXHAUSTED, TooLargeError, 'grpc_resource_exhausted', 413],
    ['an unknown method', grpc.status.UNIMPLEMENTED, PanoptesError, 'grpc_unimplemented', 500],
    ['a foreign INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, ValidationError, 'grpc_invalid_argument', 400],
  ])('maps a status without our metadata (%s) by its code and names the source', (_name, code, cls, reason, http) => {
    const err = grpcStatusToError({ code, details: 'boom', metadata: new grpc.Metadata() }, 'ingester 10.0.0.1:9095');
    expect(err).toBeInstanceOf(cls);
    expect(err.reason).toBe(reason);
    expect(err.message).toBe('ingester 10.0.0.1:9095: boom');
    expect(httpStatusOf(err)).toBe(http);
  });
});
