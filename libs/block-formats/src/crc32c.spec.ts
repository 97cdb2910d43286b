import { crc32c, crc32cUpdate } from './crc32c';

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('crc32c', () => {
  it.each([
    { name: 'empty input', data: new Uint8Array(0), want: 0x00000000 },
    { name: 'check value "123456789"', data: ascii('123456789'), want: 0xe3069283 },
    { name: 'single "a"', data: ascii('a'), want: 0xc1d04330 },
    // RFC 3720 (iSCSI) appendix B.4 vectors.
    { name: '32 zero bytes', data: new Uint8Array(32), want: 0x8a9136aa },
    { name: '32 0xff bytes', data: new Uint8Array(32).fill(0xff), want: 0x62a8ab43 },
    { name: '32 ascending bytes', data: Uint8Array.from({ length: 32 }, (_, i) => i), want: 0x46dd794e },
    { name: '32 descending bytes', data: Uint8Array.from({ length: 32 }, (_, i) => 31 - i), want: 0x113fdb5c },
    { name: 'sentence', data: ascii('The quick brown fox jumps over the lazy dog'), want: 0x22620404 },
  ])('$name gives the known checksum', ({ data, want }) => {
    expect(crc32c(data)).toBe(want);
  });

  it('gives the same checksum whether the data comes in one piece or many, at any alignment', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) & 0xff);
    const whole = crc32c(data);
    for (const cut of [1, 3, 7, 8, 9, 500, 999]) {
      expect(crc32cUpdate(crc32cUpdate(0, data, 0, cut), data, cut)).toBe(whole);
    }
  });

  it('checksums a sub-range without copying', () => {
    const data = ascii('xx123456789yy');
    expect(crc32c(data, 2, 11)).toBe(0xe3069283);
  });
});
