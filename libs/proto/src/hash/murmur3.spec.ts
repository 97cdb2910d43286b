import { murmur3x86_128 } from './murmur3';

// Reference digests from Python's mmh3 5.x: struct.unpack('<4I', mmh3.hash_bytes(key, seed, x64arch=False)).
const PANGRAM = 'The quick brown fox jumps over the lazy dog';
const BYTES_0_255_TWICE = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);

describe('murmur3x86_128', () => {
  it.each([
    { name: 'empty, seed 0', key: Buffer.alloc(0), seed: 0, words: [0, 0, 0, 0] },
    { name: 'empty, seed 1', key: Buffer.alloc(0), seed: 1, words: [0x88c4adec, 0x54d201b9, 0x54d201b9, 0x54d201b9] },
    { name: '1 byte (tail only)', key: Buffer.from('a'), seed: 0, words: [0xa794933c, 0x5556b01b, 0x5556b01b, 0x5556b01b] },
    { name: '5 bytes', key: Buffer.from('hello'), seed: 0, words: [0x2b2444a0, 0xdb91def7, 0x9adb31b6, 0x9adb31b6] },
    { name: '15 bytes (longest tail)', key: Buffer.from('hello, world!!!'), seed: 0, words: [0x7c510fef, 0x2d870cd6, 0x163b9065, 0xf7eae47c] },
    { name: 'one full block', key: Buffer.from('0123456789abcdef'), seed: 0, words: [0xfb7d4409, 0x36aed30a, 0x48ad1d9b, 0x572b3bfd] },
    { name: 'block plus one byte, seed 42', key: Buffer.from('0123456789abcdefg'), seed: 42, words: [0xc83b4930, 0x2c5e4e61, 0x0d2b5d5f, 0x312cf4b4] },
    { name: 'pangram, seed 0x9747b28c', key: Buffer.from(PANGRAM), seed: 0x9747b28c, words: [0x8ad4d55e, 0x4cb86171, 0x8ea73a9c, 0xcdb6793e] },
    { name: 'all byte values (high bits), seed 2^32-1', key: BYTES_0_255_TWICE, seed: 0xffffffff, words: [0x8381a27c, 0xa952b9ef, 0xc136d1de, 0xdbd64158] },
  ])('matches the reference implementation: $name', ({ key, seed, words }) => {
    const out = new Uint32Array(4);
    murmur3x86_128(key, 0, key.length, seed, out);
    expect(Array.from(out)).toEqual(words);
  });

  it('hashes a sub-range of a larger buffer like a standalone key', () => {
    const key = Buffer.from(PANGRAM);
    const padded = Buffer.concat([Buffer.from('xxxxxxx'), key, Buffer.from('yyy')]);
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    murmur3x86_128(key, 0, key.length, 7, a);
    murmur3x86_128(padded.subarray(3), 4, key.length, 7, b);
    expect(b).toEqual(a);
  });
});
