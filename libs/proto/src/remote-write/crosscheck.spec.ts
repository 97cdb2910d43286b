import { seriesHashOfLabels } from '../hash/series-hash';
import {
  RandomRequests,
  materialise,
  normaliseV1Input,
  normaliseV2Input,
  protobufjsDecodeV1,
  protobufjsDecodeV2,
  protobufjsEncodeV1,
  protobufjsEncodeV2,
} from '../testing/reference';
import { RemoteWriteDecoder } from './decoder';
import { EncodedLabelsV1, LabelInput, encodeLabelsV1, encodeRawWriteRequestV2, encodeWriteRequestV1, symbolizeWriteRequestV2 } from './encoder';
import { DecodedWriteRequest } from './decoded-write-request';

// Property tests against an independent implementation (protobufjs, from proto/*.proto), on
// random requests from a fixed seed: a failure reproduces exactly.
const SEED = 20240611;
const ROUNDS = 150;

function expectHashesOfLabels(d: DecodedWriteRequest): void {
  for (let s = 0; s < d.seriesCount; s++) {
    const h = seriesHashOfLabels(d.seriesLabels(s));
    expect([d.seriesHashHi[s], d.seriesHashLo[s]]).toEqual([h.hi, h.lo]);
  }
}

describe('cross-check with protobufjs', () => {
  it('1.0: a request of series whose labels were encoded once has the same bytes as one of plain labels', () => {
    const random = new RandomRequests(SEED + 1);
    for (let i = 0; i < ROUNDS; i++) {
      const req = random.v1();
      const encoded = { ...req, timeseries: req.timeseries.map((ts) => ({ ...ts, labels: encodeLabelsV1(ts.labels as LabelInput[]) })) };
      expect(encoded.timeseries.every((ts) => ts.labels instanceof EncodedLabelsV1)).toBe(true);
      expect(encodeWriteRequestV1(encoded).equals(encodeWriteRequestV1(req))).toBe(true);
    }
  });

  it('1.0: protobufjs decodes what we encode, and we decode what protobufjs encodes', () => {
    const random = new RandomRequests(SEED);
    const decoder = new RemoteWriteDecoder();
    for (let i = 0; i < ROUNDS; i++) {
      const req = random.v1();
      const expected = normaliseV1Input(req);
      const ours = encodeWriteRequestV1(req);
      expect(protobufjsDecodeV1(ours)).toEqual(expected);
      const d1 = decoder.decode(ours, 1);
      expect(materialise(d1)).toEqual(expected);
      expectHashesOfLabels(d1);
      const theirs = Buffer.from(protobufjsEncodeV1(req));
      const d2 = decoder.decode(theirs, 1);
      expect(materialise(d2)).toEqual(expected);
      expectHashesOfLabels(d2);
    }
  });

  it('2.0: protobufjs decodes what we encode, and we decode what protobufjs encodes', () => {
    const random = new RandomRequests(SEED + 1);
    const decoder = new RemoteWriteDecoder();
    for (let i = 0; i < ROUNDS; i++) {
      const req = random.v2();
      const expected = normaliseV2Input(req);
      const raw = symbolizeWriteRequestV2(req);
      const ours = encodeRawWriteRequestV2(raw);
      expect(protobufjsDecodeV2(ours)).toEqual(expected);
      const d1 = decoder.decode(ours, 2);
      expect(materialise(d1)).toEqual(expected);
      expectHashesOfLabels(d1);
      const theirs = Buffer.from(protobufjsEncodeV2(raw));
      const d2 = decoder.decode(theirs, 2);
      expect(materialise(d2)).toEqual(expected);
      expect(d2.sampleCount).toBe(expected.timeseries.reduce((n, ts) => n + ts.samples.length, 0));
    }
  });
});
