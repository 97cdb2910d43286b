import { slabF64, slabU8 } from './slab';

describe('slab arrays', () => {
  it.each([
    { name: 'float64 views', alloc: (n: number) => slabF64(n) as Float64Array | Uint8Array },
    { name: 'uint8 views', alloc: (n: number) => slabU8(n) as Float64Array | Uint8Array },
  ])('$name are zeroed, of the asked length and never share elements', ({ alloc }) => {
    const arrays = [7, 1, 300, 0, 4096, 5000, 120].map((n) => {
      const a = alloc(n);
      expect(a.length).toBe(n);
      expect(a.every((x) => x === 0)).toBe(true);
      a.fill(9);
      return a;
    });
    // Filling each one left every other one whole: no two views overlap.
    for (const a of arrays) expect(a.every((x) => x === 9)).toBe(true);
  });

  it('hands out fresh zeroed views once a slab is full', () => {
    const many = Array.from({ length: 100 }, () => slabF64(1000));
    many.forEach((a, i) => a.fill(i + 1));
    many.forEach((a, i) => expect(a.every((x) => x === i + 1)).toBe(true));
    expect(slabF64(10).every((x) => x === 0)).toBe(true);
  });
});
