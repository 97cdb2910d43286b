import { DecodedWriteRequest } from './decoded-write-request';
import { RemoteWriteDecoder } from './decoder';
import { encodeWriteRequestV1, encodeWriteRequestV2 } from './encoder';
import { decodeIngestRecordValue, encodeIngestRecordValue } from './ingest-record';
import { EXEMPLAR_FLAG_DROPPED, WriteRequestSubsetEncoder } from './subset-encoder';
import { compressSnappy } from '../snappy/snappy';

const STALE_NAN_BITS = [0x00000002, 0x7ff00000]; // Prometheus' staleness marker (lo, hi words)

function seriesOf(req: DecodedWriteRequest) {
  const out = [];
  for (let s = 0; s < req.seriesCount; s++) {
    const samples = [];
    for (let i = req.seriesSampleStart[s]; i < req.seriesSampleStart[s + 1]; i++) {
      const bits = new Uint32Array(new Float64Array([req.values[i]]).buffer);
      samples.push([req.timestamps[i], bits[1], bits[0]]);
    }
    out.push({ labels: req.seriesString(s), hash: [req.seriesHashHi[s], req.seriesHashLo[s]], samples });
  }
  return out;
}

describe('WriteRequestSubsetEncoder', () => {
  const v2 = encodeWriteRequestV2({
    timeseries: [
      {
        labels: [
          { name: '__name__', value: 'a' },
          { name: 'i', value: '0' },
        ],
        samples: [{ timestamp: 1000, value: 1.5 }],
        exemplars: [{ labels: [{ name: 'trace_id', value: 't1' }], value: 1.5, timestamp: 1000 }],
        metadata: { type: 1, help: 'A counter.', unit: 'seconds' },
      },
      {
        labels: [
          { name: '__name__', value: 'b' },
          { name: 'i', value: '1' },
        ],
        samples: [
          { timestamp: -5, value: -0 },
          { timestamp: 2 ** 40, value: 42 },
        ],
      },
      { labels: [{ name: '__name__', value: 'c' }], samples: [{ timestamp: 3000, value: 3 }] },
    ],
  });

  it.each([
    { name: 'every series', pick: [0, 1, 2] },
    { name: 'a subset, in order', pick: [0, 2] },
    { name: 'one series', pick: [1] },
  ])('re-encodes $name of a 2.0 request as 1.0 with identical labels, hashes and sample bits', ({ pick }) => {
    const original = new RemoteWriteDecoder().decode(v2, 2, 7);
    const expected = seriesOf(original).filter((_, s) => pick.includes(s));
    const body = Buffer.from(new WriteRequestSubsetEncoder().encode(original, Uint32Array.from(pick), pick.length));
    const again = new RemoteWriteDecoder().decode(body, 1, 7);
    expect(seriesOf(again)).toEqual(expected);
  });

  it('keeps staleness-marker NaN payloads bit for bit', () => {
    const body = encodeWriteRequestV1({ timeseries: [{ labels: [{ name: '__name__', value: 'up' }], samples: [{ timestamp: 1, value: 0 }] }] });
    const req = new RemoteWriteDecoder().decode(body, 1);
    new Uint32Array(req.values.buffer, 0, 2).set(STALE_NAN_BITS);
    const out = new RemoteWriteDecoder().decode(Buffer.from(new WriteRequestSubsetEncoder().encode(req, Uint32Array.of(0), 1)), 1);
    expect([...new Uint32Array(out.values.buffer, 0, 2)]).toEqual(STALE_NAN_BITS);
  });

  it('carries exemplars of written series, skips dropped ones, and converts 2.0 metadata when asked', () => {
    const req = new RemoteWriteDecoder().decode(v2, 2);
    const withAll = new RemoteWriteDecoder().decode(Buffer.from(new WriteRequestSubsetEncoder().encode(req, Uint32Array.of(0), 1, Uint32Array.of(0), 1)), 1);
    expect(withAll.exemplarCount).toBe(1);
    expect(withAll.exemplar(0)).toEqual({ series: 0, labels: [{ name: 'trace_id', value: 't1' }], value: 1.5, timestamp: 1000 });
    expect(withAll.metadataCount).toBe(1);
    expect(withAll.metadata(0)).toEqual({ type: 1, metricFamilyName: 'a', help: 'A counter.', unit: 'seconds' });

    req.exemplarFlags[0] |= EXEMPLAR_FLAG_DROPPED;
    const without = new RemoteWriteDecoder().decode(Buffer.from(new WriteRequestSubsetEncoder().encode(req, Uint32Array.of(0, 1), 2)), 1);
    expect(without.exemplarCount).toBe(0);
    expect(without.metadataCount).toBe(0);
  });

  it('ingest record values carry the body version and reject unknown formats', () => {
    const value = encodeIngestRecordValue(2, v2);
    expect(decodeIngestRecordValue(value)).toEqual({ version: 2, body: v2 });
    expect(() => decodeIngestRecordValue(Buffer.from([9, 1]))).toThrow(/unknown format byte 9/);
    expect(() => decodeIngestRecordValue(Buffer.alloc(0))).toThrow(/empty/);
  });

  it.each([
    { name: 'remote write 1.0', version: 1 as const, format: 3 },
    { name: 'remote write 2.0', version: 2 as const, format: 4 },
  ])('snappy ingest record values ($name) decode to the uncompressed body; a corrupt one is a malformed_record', ({ version, format }) => {
    const body = version === 2 ? v2 : Buffer.from(encodeWriteRequestV1({ timeseries: [{ labels: [{ name: '__name__', value: 'a' }], samples: [{ timestamp: 1, value: 2 }] }] }));
    const value = encodeIngestRecordValue(version, compressSnappy(body), true);
    expect(value[0]).toBe(format);
    const decoded = decodeIngestRecordValue(value);
    expect(decoded.version).toBe(version);
    expect(Buffer.from(decoded.body).equals(Buffer.from(body))).toBe(true);
    const corrupt = Buffer.concat([Buffer.from([format]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f, 1])]);
    expect(() => decodeIngestRecordValue(corrupt)).toThrow(expect.objectContaining({ reason: 'malformed_record', message: expect.stringContaining(`format ${format} holds no valid snappy body`) }));
  });
});
