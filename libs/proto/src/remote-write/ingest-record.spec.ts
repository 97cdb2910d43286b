import { RemoteWriteDecoder } from './decoder';
import { encodeWriteRequestV1 } from './encoder';
import { compressSnappy } from '../snappy/snappy';
import { DecodedAttachment, attachedRequest, decodeIngestRecordValue, decompressRemoteWriteBody, encodeIngestRecordValue } from './ingest-record';

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
    { name: 'a good body', next: () => compressSnappy(body('down')) },
    { name: 'a corrupt body', next: () => Buffer.from([0x20, 0x00, 0xff, 0xff, 0xff, 0xff]) },
  ])("gives nothing once the decoder decompressed $name into the decoded body's memory", ({ next }) => {
    const decoder = new RemoteWriteDecoder();
    const first = decoder.decompress(compressSnappy(body('up')), 1 << 20);
    const attachment = new DecodedAttachment(decoder.decode(first, 1, 42));
    try {
      decoder.decompress(next(), 1 << 20);
    } catch {
      // a corrupt body throws after it may have overwritten the memory
    }
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

/** Whether `value` is the record made around `body` in place (small buffers share node's pool, so compare positions). */
const inPlace = (value: Buffer, body: Buffer) => value.buffer === body.buffer && value.byteOffset === body.byteOffset - 1;

describe('decompressRemoteWriteBody', () => {
  it('lets the first uncompressed record of the body take the spare byte in front instead of a copy', () => {
    const b = body('up');
    const decompressed = decompressRemoteWriteBody(compressSnappy(b), 1 << 20);
    expect(Buffer.compare(decompressed, b)).toBe(0);
    const value = encodeIngestRecordValue(1, decompressed);
    expect(inPlace(value, decompressed)).toBe(true);
    const decoded = decodeIngestRecordValue(value);
    expect(decoded.version).toBe(1);
    expect(Buffer.compare(decoded.body, b)).toBe(0);
  });

  it('copies for any later record of the same body, so an earlier record keeps its format byte', () => {
    const decompressed = decompressRemoteWriteBody(compressSnappy(body('up')), 1 << 20);
    const first = encodeIngestRecordValue(1, decompressed);
    const second = encodeIngestRecordValue(2, decompressed);
    expect(inPlace(first, decompressed)).toBe(true);
    expect(inPlace(second, decompressed)).toBe(false);
    expect(decodeIngestRecordValue(first).version).toBe(1);
    expect(decodeIngestRecordValue(second).version).toBe(2);
  });

  it('copies a compressed record body (the spare byte is for the uncompressed one)', () => {
    const decompressed = decompressRemoteWriteBody(compressSnappy(body('up')), 1 << 20);
    const value = encodeIngestRecordValue(1, decompressed, true);
    expect(inPlace(value, decompressed)).toBe(false);
    expect(inPlace(encodeIngestRecordValue(1, decompressed), decompressed)).toBe(true);
  });

  it('keeps the limits of decompressSnappy', () => {
    expect(() => decompressRemoteWriteBody(compressSnappy(Buffer.alloc(100)), 99)).toThrow(/99/);
  });
});
