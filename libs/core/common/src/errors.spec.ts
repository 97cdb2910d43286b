import {
  DeduplicatedError,
  grpcCodeOf,
  httpStatusOf,
  LimitError,
  NotFoundError,
  PanoptesError,
  reasonOf,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors';

describe('error kinds map to one HTTP status and one gRPC code', () => {
  it.each<[string, PanoptesError, number, number]>([
    ['deduplicated HA sample', new DeduplicatedError('replicas_did_not_match', 'm'), 202, 6],
    ['validation', new ValidationError('invalid_label', 'm'), 400, 3],
    ['missing tenant', new UnauthorizedError('missing_tenant', 'm'), 401, 16],
    ['not found', new NotFoundError('object_not_found', 'm'), 404, 5],
    ['too large', new TooLargeError('request_too_large', 'm'), 413, 8],
    ['unsupported media type', new UnsupportedMediaTypeError('unsupported_media_type', 'm'), 415, 3],
    ['bad query', new UnprocessableError('execution', 'm'), 422, 9],
    ['limit', new LimitError('rate_limited', 'm'), 429, 8],
    ['unavailable', new UnavailableError('kafka_unavailable', 'm'), 503, 14],
  ])('%s', (_name, err, http, grpc) => {
    expect(httpStatusOf(err)).toBe(http);
    expect(grpcCodeOf(err)).toBe(grpc);
    expect(reasonOf(err)).toBe(err.reason);
  });

  it('treats anything else as an internal error', () => {
    expect(httpStatusOf(new Error('x'))).toBe(500);
    expect(grpcCodeOf('x')).toBe(13);
    expect(reasonOf(undefined)).toBe('internal');
  });

  it('keeps the tenant and the cause', () => {
    const cause = new Error('root');
    const err = new LimitError('rate_limited', 'slow down', { tenant: 't1', cause });
    expect(err.tenant).toBe('t1');
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('LimitError');
  });
});
