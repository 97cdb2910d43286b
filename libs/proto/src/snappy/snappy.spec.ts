import { PanoptesError, TooLargeError, ValidationError } from '@panoptes/common';
import { compressSnappy, decompressSnappy, snappyDecodedLength } from './snappy';

// Reference snappy output (Google's C++ implementation through Python's cramjam.snappy.compress_raw)
// of `referenceInput()`: decoding it checks this implementation against another one.
const REFERENCE_COMPRESSED =
  'fe0fb07365726965735f307b6a6f623d226e6f6465222c696e7374616e63653d22686f73742d303a39313030227d2073' +
  '092c00316a2c0004313a362c0000326a2c0000323a2c0000336a2c0000333a2c0000346a2c0000343a2c0000356a2c00' +
  '00353a2c0000366a2c0000363a2c0000376a2c003e340100386a2c003e340100396a2c003e340100316eb9013e350100' +
  '316eba013e360100316ebb013e370100316ebc013e380100316ebd013e390100316ebe013e3a0100316ebf01423b016e' +
  'c001423b016ec101423b016ec2013e3b0100326ec2013e3b0100326ec2013e3b0100326ec2013e3b0100326ec2013e3b' +
  '0100326ec2013e3b0100326ec2013e3b0100326ec201423b016ec201423b016ec201423b016ec2013e3b0100336ec201' +
  '3e3b0100336ec2013e3b0100336ec2013e3b0100336ec2013e3b0100336ec2013e3b0100336ec2013e3b0100336ec201' +
  '423b016ec201423b016ec201423b016ec201353bf0ff000102030405060708090a0b0c0d0e0f10111213141516171819' +
  '1a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243444546474849' +
  '4a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273747576777879' +
  '7a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9' +
  'aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9' +
  'dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff';

function referenceInput(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 40; i++) parts.push(Buffer.from(`series_${i}{job="node",instance="host-${i % 7}:9100"} `));
  parts.push(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  return Buffer.concat(parts);
}

const MB = 1024 * 1024;
const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');

function pseudoRandom(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('snappy block format', () => {
  it('decodes the output of the reference implementation', () => {
    expect(decompressSnappy(hex(REFERENCE_COMPRESSED), MB).equals(referenceInput())).toBe(true);
  });

  it.each([
    { name: 'empty', input: Buffer.alloc(0) },
    { name: 'one byte', input: Buffer.from('x') },
    { name: 'short text', input: Buffer.from('hello hello hello hello') },
    { name: 'a long run of one byte (overlapping copies)', input: Buffer.alloc(100_000, 7) },
    { name: 'incompressible bytes (long literals)', input: pseudoRandom(70_000, 1) },
    { name: 'repetitive text over 64 KiB (offsets up to 65535)', input: Buffer.from('abcdefghij'.repeat(20_000)) },
    { name: 'the reference input', input: referenceInput() },
  ])('round-trips $name', ({ input }) => {
    const compressed = compressSnappy(input);
    expect(snappyDecodedLength(compressed).length).toBe(input.length);
    // Buffer.equals: Jest's toEqual walks large buffers element by element, slowly.
    expect(decompressSnappy(compressed, input.length).equals(input)).toBe(true);
  });

  it('compresses repetitive input', () => {
    expect(compressSnappy(Buffer.from('abcdefghij'.repeat(1000))).length).toBeLessThan(600);
  });

  it.each([
    // length, then elements: tag byte low 2 bits = 00 literal, 01 copy-1, 10 copy-2, 11 copy-4.
    { name: 'a literal', block: '05 10 68656c6c6f', out: 'hello' },
    { name: 'a 1-byte-length literal (tag 60)', block: '41 f0 40 ' + '61'.repeat(65), out: 'a'.repeat(65) },
    { name: 'a copy with a 1-byte offset', block: '08 0c 61626364 01 04', out: 'abcdabcd' },
    { name: 'a copy with a 2-byte offset', block: '08 0c 61626364 0e 0400', out: 'abcdabcd' },
    { name: 'a copy with a 4-byte offset', block: '08 0c 61626364 0f 04000000', out: 'abcdabcd' },
    { name: 'an overlapping copy (offset 1)', block: '0a 00 7a 22 0100', out: 'z'.repeat(10) },
    { name: 'an overlapping copy (offset 3)', block: '0b 08 78797a 1e 0300', out: 'xyzxyzxyzxy' },
    { name: 'an overlapping copy (offset 5)', block: '0f 10 6162636465 26 0500', out: 'abcdeabcdeabcde' },
  ])('decodes $name', ({ block, out }) => {
    expect(decompressSnappy(hex(block), 1000).toString('latin1')).toBe(out);
  });

  it.each([
    { name: 'an empty body (no length header)', block: '' },
    { name: 'a truncated length header', block: '80' },
    { name: 'a length header over 5 bytes', block: '8080808080 01' },
    { name: 'a truncated literal', block: '05 10 6865' },
    { name: 'a truncated literal length', block: '41 f0' },
    { name: 'a literal past the declared length', block: '02 10 68656c6c6f' },
    { name: 'a copy before any output', block: '04 01 01' },
    { name: 'a copy with offset 0', block: '08 0c 61626364 0e 0000' },
    { name: 'a copy reaching before the start', block: '08 0c 61626364 0e 0500' },
    { name: 'a copy past the declared length', block: '06 0c 61626364 0e 0400' },
    { name: 'a truncated copy element', block: '08 0c 61626364 0e 04' },
    { name: 'a truncated 4-byte-offset copy', block: '08 0c 61626364 0f 0400' },
    { name: 'less output than declared', block: '09 10 68656c6c6f' },
    { name: 'a declared length beyond what the input can expand to', block: 'ffff03 00 61' },
    { name: 'framed-format data (stream identifier chunk)', block: 'ff060000 734e61507059' },
    { name: 'plain uncompressed protobuf', block: '0a 0b 0a 09 0a 03 6a6f62 12 02 6e6f' },
  ])('rejects $name with a malformed_request ValidationError', ({ block }) => {
    let err: unknown;
    try {
      decompressSnappy(hex(block), 10 * MB);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as PanoptesError).reason).toBe('malformed_request');
    expect((err as Error).message).toMatch(/at byte \d+/);
  });

  it('rejects a declared 50 MB body over a 10 MB limit with a 413 before allocating it', () => {
    // 50 MiB declared, followed by nothing that could produce it.
    const header = hex('80 80 80 19');
    expect(snappyDecodedLength(header).length).toBe(50 * MB);
    const alloc = jest.spyOn(Buffer, 'allocUnsafe');
    try {
      expect(() => decompressSnappy(header, 10 * MB)).toThrow(TooLargeError);
      expect(alloc).not.toHaveBeenCalled();
    } finally {
      alloc.mockRestore();
    }
    try {
      decompressSnappy(header, 10 * MB);
    } catch (e) {
      expect((e as PanoptesError).reason).toBe('request_too_large');
      expect((e as Error).message).toContain('52428800 bytes, over the limit of 10485760 bytes');
    }
  });

  it('accepts a body exactly at the limit', () => {
    const input = Buffer.alloc(1000, 1);
    expect(decompressSnappy(compressSnappy(input), 1000).equals(input)).toBe(true);
    expect(() => decompressSnappy(compressSnappy(input), 999)).toThrow(TooLargeError);
  });

  it('never throws anything but a ValidationError on random corruptions of a valid block', () => {
    const valid = compressSnappy(referenceInput());
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      const bad = Buffer.from(valid);
      for (let k = 0; k < 1 + (i % 4); k++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        bad[x % bad.length] = x >>> 24;
      }
      const cut = i % 3 === 0 ? bad.subarray(0, x % bad.length) : bad;
      try {
        decompressSnappy(cut, MB);
      } catch (e) {
        if (!(e instanceof ValidationError) && !(e instanceof TooLargeError)) throw e;
      }
    }
  });
});
