import { httpStatusOf } from '@panoptes/common';
import { UnsupportedMediaTypeError } from '../errors';
import {
  HEADER_EXEMPLARS_WRITTEN,
  HEADER_HISTOGRAMS_WRITTEN,
  HEADER_SAMPLES_WRITTEN,
  negotiateRemoteWrite,
  remoteWriteStatsHeaders,
} from './negotiation';

describe('negotiateRemoteWrite', () => {
  it.each([
    { name: 'no Content-Type (old 1.0 senders)', contentType: undefined, version: 1 },
    { name: 'an empty Content-Type', contentType: '', version: 1 },
    { name: 'the media type without proto', contentType: 'application/x-protobuf', version: 1 },
    { name: 'the 1.0 message', contentType: 'application/x-protobuf;proto=prometheus.WriteRequest', version: 1 },
    { name: 'the 2.0 message', contentType: 'application/x-protobuf;proto=io.prometheus.write.v2.Request', version: 2 },
    { name: 'spaces, case and quotes (RFC 9110)', contentType: ' Application/X-Protobuf ; Proto="io.prometheus.write.v2.Request" ', version: 2 },
    { name: 'another parameter before proto', contentType: 'application/x-protobuf;charset=utf-8;proto=io.prometheus.write.v2.Request', version: 2 },
  ])('accepts $name as version $version', ({ contentType, version }) => {
    expect(negotiateRemoteWrite(contentType, 'snappy').version).toBe(version);
  });

  it.each([
    { name: 'JSON', contentType: 'application/json', message: /expected application\/x-protobuf as the media type/ },
    { name: 'an unknown proto message', contentType: 'application/x-protobuf;proto=prometheus.ReadRequest', message: /unknown remote write protobuf message "prometheus.ReadRequest"/ },
    { name: 'a parameter that is not key=value', contentType: 'application/x-protobuf;proto', message: /parameters must be key=value/ },
    { name: 'text', contentType: 'text/plain', message: /media type/ },
  ])('answers 415 to $name', ({ contentType, message }) => {
    let err: unknown;
    try {
      negotiateRemoteWrite(contentType, 'snappy');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(httpStatusOf(err)).toBe(415);
    expect((err as UnsupportedMediaTypeError).reason).toBe('unsupported_media_type');
    expect((err as Error).message).toMatch(message);
  });

  it('answers 415 to a version the server does not accept', () => {
    expect(() => negotiateRemoteWrite('application/x-protobuf;proto=io.prometheus.write.v2.Request', 'snappy', [1])).toThrow(
      /io.prometheus.write.v2.Request protobuf message is not accepted by this server; accepted: prometheus.WriteRequest/,
    );
  });

  it.each([
    { name: 'snappy', encoding: 'snappy', ok: true },
    { name: 'SNAPPY (any case)', encoding: 'SNAPPY', ok: true },
    { name: 'no Content-Encoding (Prometheus assumes snappy)', encoding: undefined, ok: true },
    { name: 'gzip', encoding: 'gzip', ok: false },
    { name: 'zstd', encoding: 'zstd', ok: false },
    { name: 'identity', encoding: 'identity', ok: false },
  ])('Content-Encoding $name is accepted: $ok', ({ encoding, ok }) => {
    const call = () => negotiateRemoteWrite('application/x-protobuf', encoding);
    if (ok) expect(call).not.toThrow();
    else expect(call).toThrow(UnsupportedMediaTypeError);
  });

  it('maps to 415 Unsupported Media Type through the common error mapping, as Prometheus answers', () => {
    expect(httpStatusOf(new UnsupportedMediaTypeError('x'))).toBe(415);
  });
});

describe('remoteWriteStatsHeaders', () => {
  it('sets the three X-Prometheus-Remote-Write-*-Written headers', () => {
    expect(remoteWriteStatsHeaders({ samples: 10, histograms: 2, exemplars: 0 })).toEqual({
      [HEADER_SAMPLES_WRITTEN]: '10',
      [HEADER_HISTOGRAMS_WRITTEN]: '2',
      [HEADER_EXEMPLARS_WRITTEN]: '0',
    });
    expect(HEADER_SAMPLES_WRITTEN).toBe('X-Prometheus-Remote-Write-Samples-Written');
  });
});
