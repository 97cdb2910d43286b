import { RemoteWriteDecoder } from './decoder';
import { encodeWriteRequestV1 } from './encoder';
import { DecodedAttachment, attachedRequest, decodeIngestRecordValue, encodeIngestRecordValue } from './ingest-record';

const body = (name: string) =>
  encodeWriteRequestV1({ timeseries: [{ labels: [{ name: '__name__', value: name }], samples: [{ timestamp: 1000, value: 1 }] }] });

describe('DecodedAttachment', () => {
  it('gives the decoded request while its decoder has not been refilled', () => {
    const decoder = new RemoteWriteDecoder();
    const req = decoder.decode(body('up'), 1, 42);
    const attachment = new DecodedAttachment(req);
    expect(attachedRequest(attachment, 42)?.seriesString(0)).toBe('{__name__="up"}');
  });

  it.each([
    { name: 'after the decoder decoded another body', refill: true, seed: 42 },
    { name: 'for another hash seed (tenant)', refill: false, seed: 7 },
  ])('gives nothing $name, so the consumer decodes the record value', ({ refill, seed }) => {
    const decoder = new RemoteWriteDecoder();
    const attachment = new DecodedAttachment(decoder.decode(body('up'), 1, 42));
    if (refill) decoder.decode(body('down'), 1, 42);
    expect(attachedRequest(attachment, seed)).toBeUndefined();
  });

  it('gives nothing after a failed decode reused the decoder', () => {
    const decoder = new RemoteWriteDecoder();
    const attachment = new DecodedAttachment(decoder.decode(body('up'), 1, 42));
    expect(() => decoder.decode(Buffer.from([0x0a, 0x7f]), 1, 42)).toThrow();
    expect(attachedRequest(attachment, 42)).toBeUndefined();
  });

  it.each([
    { name: 'no attachment', attachment: undefined },
    { name: 'some other object', attachment: { req: 'not a decoded request' } },
  ])('gives nothing for $name', ({ attachment }) => {
    expect(attachedRequest(attachment, 0)).toBeUndefined();
  });
});

describe('ingest record values', () => {
  it.each([
    { name: 'uncompressed 1.0', version: 1 as const, snappy: false },
    { name: 'uncompressed 2.0', version: 2 as const, snappy: false },
  ])('round-trip the body of $name', ({ version, snappy }) => {
    const b = body('up');
    const decoded = decodeIngestRecordValue(encodeIngestRecordValue(version, b, snappy));
    expect(decoded.version).toBe(version);
    expect(Buffer.compare(decoded.body, b)).toBe(0);
  });
});
