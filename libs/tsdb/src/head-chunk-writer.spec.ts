import { seededRandom as rng } from '@panoptes/common';
import { XorChunkEncoder, XorChunkIterator } from '@panoptes/block-formats';
import { HeadChunkWriter } from './head-chunk-writer';
import { packedChunk } from './packed-chunks';
import { SeriesPage } from './series-page';

const STALE = [0x7ff00000, 0x00000002] as const;

function bitsOf(v: number): [number, number] {
  const f = new Float64Array([v]);
  const u = new Uint32Array(f.buffer);
  return [u[1], u[0]];
}


type Sample = [t: number, hi: number, lo: number];

function samples(ts: number[], vs: Array<number | readonly [number, number]>): Sample[] {
  return ts.map((t, k) => {
    const v = vs[k % vs.length];
    const [hi, lo] = typeof v === 'number' ? bitsOf(v) : v;
    return [t, hi, lo];
  });
}

function steps(start: number, deltas: number[]): number[] {
  const out = [start];
  for (const d of deltas) out.push(out[out.length - 1] + d);
  return out;
}

/** Timestamps whose deltas start at `delta` and then change by each dod in turn. */
function fromDods(delta: number, dods: number[]): number[] {
  const out = [1_700_000_000_000, 1_700_000_000_000 + delta];
  for (const dod of dods) {
    delta += dod;
    out.push(out[out.length - 1] + delta);
  }
  return out;
}

const r = rng(42);
const CASES: Array<[string, Sample[]]> = [
  ['one sample', samples([1_700_000_000_000], [1.5])],
  ['negative first timestamp', samples([-123_456, -100_000, 5], [1, 2, 3])],
  ['regular 15s scrape, counter', samples(steps(1_700_000_000_000, Array(119).fill(15_000)), Array.from({ length: 120 }, (_, k) => k * 3))],
  // Deltas-of-deltas exactly at and just past each bucket edge (14, 17, 20, 64 bits), both signs.
  ['every dod bucket edge, both signs', samples(fromDods(10_000_000, [0, 8192, -8191, 8193, -8192, 65_536, -65_535, 65_537, -65_536, 524_288, -524_287, 524_289, -524_288, 2 ** 40, -(2 ** 40)]), [0, 1])],
  ['special values', samples(steps(0, Array(11).fill(1000)), [NaN, Infinity, -Infinity, STALE, -0, 0, 1e300, -1e-300, 5e-324, 42, 42, STALE])],
  ['random walk', samples(steps(5, Array.from({ length: 119 }, () => 1 + Math.floor(r() * 60_000))), Array.from({ length: 120 }, () => (r() - 0.5) * 1e6))],
  ['large integers', samples(steps(0, Array(50).fill(1)), Array.from({ length: 51 }, (_, k) => 2 ** 52 + k * 7919))],
];

describe('HeadChunkWriter', () => {
  it.each(CASES)('encodes %s byte for byte like XorChunkEncoder', (_name, input) => {
    const page = new SeriesPage(0);
    page.allocate(0, 0, 0, [0, 1]);
    const writer = new HeadChunkWriter();
    const enc = new XorChunkEncoder();
    for (const [t, hi, lo] of input) {
      writer.append(page, 0, t, hi, lo);
      enc.appendBits(t, hi, lo);
    }
    const snap = writer.snapshot(page, 0)!;
    expect(Buffer.from(snap.data).toString('hex')).toBe(Buffer.from(enc.bytes()).toString('hex'));
    expect([snap.minT, snap.maxT, snap.numSamples]).toEqual([input[0][0], input[input.length - 1][0], input.length]);
    const it = new XorChunkIterator(snap.data);
    const decoded: Sample[] = [];
    while (it.next()) decoded.push([it.t, it.valueHi, it.valueLo]);
    expect(decoded).toEqual(input.map(([t, hi, lo]) => [t, hi >>> 0, lo >>> 0]));
  });

  it('keeps interleaved series of one page independent and reuses a cut buffer cleanly', () => {
    const page = new SeriesPage(0);
    for (let i = 0; i < 40; i++) page.allocate(i, i, 0, [0, i]);
    const writer = new HeadChunkWriter();
    const encoders = Array.from({ length: 40 }, () => new XorChunkEncoder());
    const rand = rng(7);
    const cut: string[][] = Array.from({ length: 40 }, () => []);
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 100; k++) {
        for (let i = 0; i < 40; i++) {
          const t = round * 1_000_000 + k * 1000 + i;
          const [hi, lo] = bitsOf(rand() * 100);
          writer.append(page, i, t, hi, lo);
          encoders[i].appendBits(t, hi, lo);
        }
      }
      for (let i = 0; i < 40; i++) {
        writer.cut(page, i);
        const chunk = packedChunk(page.done[i]!, page.doneCount[i], round);
        expect(Buffer.from(chunk.data).toString('hex')).toBe(Buffer.from(encoders[i].bytes()).toString('hex'));
        cut[i].push(Buffer.from(chunk.data).toString('hex'));
        encoders[i].reset();
      }
    }
    const packed = [0, 1, 2].map((k) => packedChunk(page.done[3]!, 3, k));
    expect(packed.map((c) => Buffer.from(c.data).toString('hex'))).toEqual(cut[3]);
    expect(packed.map((c) => [c.minT, c.maxT])).toEqual([0, 1, 2].map((r) => [r * 1_000_000 + 3, r * 1_000_000 + 99_003]));
    expect(page.count[3]).toBe(0);
  });
});
