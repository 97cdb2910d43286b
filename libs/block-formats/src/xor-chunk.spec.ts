import { bitsOf, seededRandom, STALE_NAN_HI, STALE_NAN_LO } from './test-util';
import { XorChunkEncoder, XorChunkIterator, xorChunkNumSamples } from './xor-chunk';

interface Samples {
  ts: number[];
  vs: Float64Array;
}

function encode(s: Samples): Uint8Array {
  const enc = new XorChunkEncoder();
  const words = new Uint32Array(s.vs.buffer);
  for (let i = 0; i < s.ts.length; i++) enc.appendBits(s.ts[i], words[i * 2 + 1], words[i * 2]);
  return Uint8Array.from(enc.bytes());
}

function decode(data: Uint8Array): { ts: number[]; vs: Float64Array } {
  const it = new XorChunkIterator(data);
  const ts = new Float64Array(it.numSamples);
  const vs = new Float64Array(it.numSamples);
  const n = it.readInto(ts, vs);
  expect(n).toBe(it.numSamples);
  return { ts: Array.from(ts), vs };
}

function samples(ts: number[], values: number[] | Float64Array): Samples {
  return { ts, vs: Float64Array.from(values) };
}

function regular(n: number, start: number, step: number, value: (i: number) => number): Samples {
  return samples(
    Array.from({ length: n }, (_, i) => start + i * step),
    Array.from({ length: n }, (_, i) => value(i)),
  );
}

function randomWalk(seed: number, n: number): Samples {
  const rnd = seededRandom(seed);
  const ts: number[] = [];
  const vs = new Float64Array(n);
  let t = 1_700_000_000_000;
  let v = 100;
  for (let i = 0; i < n; i++) {
    t += 1 + Math.floor(rnd() * 30_000);
    v += (rnd() - 0.5) * 10;
    ts.push(t);
    vs[i] = v;
  }
  return { ts, vs };
}

const staleNaN = (() => {
  const f = new Float64Array(1);
  const w = new Uint32Array(f.buffer);
  w[1] = STALE_NAN_HI;
  w[0] = STALE_NAN_LO;
  return f;
})();

function withStale(s: Samples, at: number[]): Samples {
  const words = new Uint32Array(s.vs.buffer);
  for (const i of at) {
    words[i * 2 + 1] = STALE_NAN_HI;
    words[i * 2] = STALE_NAN_LO;
  }
  return s;
}

// Delta-of-delta values on both sides of every bucket boundary (14, 17, 20, 64 bits).
const BOUNDARY_DODS = [0, 1, -1, 8192, -8191, 8193, -8192, 65536, -65535, 65537, -65536, 524288, -524287, 524289, -524288, 2 ** 40, -(2 ** 40)];

function fromDods(dods: number[]): Samples {
  const ts = [1000, 2000];
  let delta = 1000;
  for (const d of dods) {
    delta += d;
    ts.push(ts[ts.length - 1] + delta);
  }
  return samples(ts, ts.map((_, i) => i));
}

describe('XorChunkEncoder / XorChunkIterator round trip', () => {
  it.each<{ name: string; s: Samples }>([
    { name: 'one sample', s: samples([1_700_000_000_000], [42.5]) },
    { name: 'two samples', s: samples([1000, 1015], [1, 2]) },
    { name: '120 samples at a regular 15s interval', s: regular(120, 1_700_000_000_000, 15_000, (i) => i * 1.5) },
    { name: 'constant values', s: regular(120, 0, 10_000, () => 7) },
    { name: 'monotonic integer counter', s: regular(120, 5, 60_000, (i) => i * i * 3) },
    { name: 'random walk (seed 1)', s: randomWalk(1, 120) },
    { name: 'random walk (seed 2), 1000 samples', s: randomWalk(2, 1000) },
    { name: 'random walk (seed 3), 5 samples', s: randomWalk(3, 5) },
    { name: 'NaN, +Inf, -Inf and back', s: samples([1, 2, 3, 4, 5, 6], [1, NaN, Infinity, -Infinity, NaN, 1]) },
    { name: 'staleness markers keep their payload', s: withStale(regular(10, 0, 15_000, (i) => i), [0, 3, 4, 9]) },
    {
      name: 'extreme floats',
      s: samples([1, 2, 3, 4, 5, 6, 7], [0, -0, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 1e300]),
    },
    { name: 'negative timestamps', s: samples([-1_000_000, -999_000, -998_500, -1, 0, 1], [1, 2, 3, 4, 5, 6]) },
    { name: 'first timestamp beyond 2^52', s: samples([2 ** 52 + 2, 2 ** 52 + 4], [1, 2]) },
    { name: 'huge first delta', s: samples([0, 2 ** 45, 2 ** 45 + 1], [1, 2, 3]) },
    { name: 'negative first delta (out-of-order input)', s: samples([10_000, 5_000, 6_000], [1, 2, 3]) },
    { name: 'dod on both sides of every bucket boundary', s: fromDods(BOUNDARY_DODS) },
    { name: 'decreasing intervals (negative dods)', s: fromDods([-10, -100, -500, -300, -80]) },
  ])('$name decodes to the same timestamps and value bits', ({ s }) => {
    const data = encode(s);
    expect(xorChunkNumSamples(data)).toBe(s.ts.length);
    const got = decode(data);
    expect(got.ts).toEqual(s.ts);
    expect(bitsOf(got.vs)).toEqual(bitsOf(s.vs));
  });

  it('round-trips 200 random series with random lengths, gaps and special values', () => {
    const rnd = seededRandom(42);
    const specials = [NaN, Infinity, -Infinity, 0, -0, staleNaN[0]];
    for (let k = 0; k < 200; k++) {
      const n = 1 + Math.floor(rnd() * 150);
      const ts: number[] = [];
      const vs = new Float64Array(n);
      let t = Math.floor((rnd() - 0.5) * 2e12);
      for (let i = 0; i < n; i++) {
        const r = rnd();
        t += r < 0.7 ? 15_000 : r < 0.9 ? Math.floor(rnd() * 100_000) : Math.floor(rnd() * 1e9);
        ts.push(t);
        const kind = rnd();
        vs[i] = kind < 0.05 ? specials[Math.floor(rnd() * specials.length)] : kind < 0.5 ? Math.round(rnd() * 1000) : rnd() * 1e6;
      }
      const s = { ts, vs };
      const got = decode(encode(s));
      expect(got.ts).toEqual(ts);
      expect(bitsOf(got.vs)).toEqual(bitsOf(vs));
    }
  });

  it('exposes each sample through next() with t and v fields', () => {
    const s = samples([1000, 2000, 3500], [1.5, NaN, -Infinity]);
    const it = new XorChunkIterator(encode(s));
    const seen: Array<[number, number]> = [];
    while (it.next()) seen.push([it.t, it.v]);
    expect(seen).toEqual([
      [1000, 1.5],
      [2000, NaN],
      [3500, -Infinity],
    ]);
  });

  it('appending a plain number keeps the value as given', () => {
    const enc = new XorChunkEncoder();
    enc.append(1, 0.1);
    enc.append(2, 0.2);
    const it = new XorChunkIterator(enc.bytes());
    const vals: number[] = [];
    while (it.next()) vals.push(it.v);
    expect(vals).toEqual([0.1, 0.2]);
    expect([enc.minTime, enc.maxTime, enc.numSamples]).toEqual([1, 2, 2]);
  });

  it('reset() starts an empty chunk that encodes like a fresh encoder', () => {
    const s = randomWalk(9, 50);
    const enc = new XorChunkEncoder();
    for (let i = 0; i < 30; i++) enc.append(i * 7, i * 3.3);
    enc.reset();
    for (let i = 0; i < s.ts.length; i++) enc.append(s.ts[i], s.vs[i]);
    expect(Uint8Array.from(enc.bytes())).toEqual(encode(s));
  });
});

describe('XorChunkEncoder bytes', () => {
  // Bytes taken from a block written by promtool 2.42 for the same samples.
  it.each([
    {
      name: 'four samples with a changing interval',
      s: samples([1_000_000, 1_015_000, 1_030_000, 1_046_000], [1, 2, 2.5, 2.5]),
      hex: '000480897a3ff000000000000098 75c25fff6d0707d0',
    },
    { name: 'one sample', s: samples([1_000_000], [7]), hex: '000180897a401c000000000000' },
  ])('$name matches Prometheus byte for byte', ({ s, hex }) => {
    expect(Buffer.from(encode(s)).toString('hex')).toBe(hex.replace(/ /g, ''));
  });

  it('writes the sample count as a 2-byte big-endian header', () => {
    const data = encode(regular(300, 0, 1000, (i) => i));
    expect([data[0], data[1]]).toEqual([0x01, 0x2c]);
  });
});
