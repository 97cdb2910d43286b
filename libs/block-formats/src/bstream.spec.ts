import { BitReader } from './bstream';
import { CorruptBlockError } from './errors';

/** A deterministic pseudo-random source (LCG), so failures replay. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('BitReader', () => {
  it.each([1, 2, 3].map((seed) => ({ seed })))('reads any sequence of 0–32-bit fields at any offset, up to the last bit (seed $seed)', ({ seed }) => {
    const rnd = lcg(seed);
    const data = Uint8Array.from({ length: 257 }, () => Math.floor(rnd() * 256));
    const bits = [...data].map((b) => b.toString(2).padStart(8, '0')).join('');
    const r = new BitReader();
    r.reset(data);
    let pos = 0;
    while (pos < bits.length) {
      const n = Math.min(Math.floor(rnd() * 33), bits.length - pos);
      const want = n === 0 ? 0 : parseInt(bits.slice(pos, pos + n), 2);
      expect([pos, n, r.readBits(n)]).toEqual([pos, n, want]);
      pos += n;
      if (rnd() < 0.2 && pos < bits.length) {
        expect(r.readBit()).toBe(bits[pos] === '1');
        pos++;
      }
    }
    expect(() => r.readBits(1)).toThrow(CorruptBlockError);
  });
});
