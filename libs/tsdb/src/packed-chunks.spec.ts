import { packedAppend, packedChunk, packedDropFirst, packedMaxT, packedMinT } from './packed-chunks';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function unpack(buf: Uint8Array | undefined, n: number): Array<[number, number, number[]]> {
  if (buf === undefined) return [];
  return Array.from({ length: n }, (_, k) => {
    const c = packedChunk(buf, n, k);
    expect([packedMinT(buf, k), packedMaxT(buf, k)]).toEqual([c.minT, c.maxT]);
    return [c.minT, c.maxT, [...c.data]];
  });
}

describe('packed completed chunks', () => {
  const input: Array<[Uint8Array, number, number]> = [
    [bytes(3, 1), -5_000, -1],
    [bytes(1, 2), 0, 0],
    [bytes(300, 3), 1_700_000_000_000, 1_700_000_999_999],
    [bytes(2, 4), 2 ** 51, 2 ** 51],
  ];
  const expected = input.map(([d, lo, hi]) => [lo, hi, [...d]]);

  function build(): Uint8Array {
    let buf: Uint8Array | undefined;
    input.forEach(([d, lo, hi], k) => (buf = packedAppend(buf, k, d, lo, hi)));
    return buf!;
  }

  it('appends chunks and reads back their bytes and time ranges', () => {
    expect(unpack(build(), 4)).toEqual(expected);
  });

  it.each([
    ['none', 0],
    ['the first', 1],
    ['three', 3],
  ])('drops %s of the first chunks', (_n, drop) => {
    expect(unpack(packedDropFirst(build(), 4, drop), 4 - drop)).toEqual(expected.slice(drop));
  });

  it('returns undefined when every chunk is dropped', () => {
    expect(packedDropFirst(build(), 4, 4)).toBeUndefined();
  });

  it('never changes an array it was given, so earlier chunk views stay valid', () => {
    const buf = build();
    const view = packedChunk(buf, 4, 2);
    const copy = buf.slice();
    packedAppend(buf, 4, bytes(5, 9), 1, 2);
    packedDropFirst(buf, 4, 3);
    expect(buf).toEqual(copy);
    expect([...view.data]).toEqual(expected[2][2]);
  });
});
