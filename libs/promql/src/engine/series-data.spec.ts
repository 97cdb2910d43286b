import { XorChunkEncoder } from '@panoptes/block-formats';
import { seededRandom } from '@panoptes/common';
import { decodeSeries, sampleSteps, stepDecoded } from './series-data';
import type { EncodedChunk, StoredSeries } from './types';

/** One XOR chunk of samples at `from`, `from + every`, … (`n` of them), value = timestamp / 1000. */
function chunk(from: number, every: number, n: number): EncodedChunk {
  const enc = new XorChunkEncoder();
  for (let k = 0; k < n; k++) enc.append(from + k * every, (from + k * every) / 1000);
  return { minT: enc.minTime, maxT: enc.maxTime, encoding: 1, data: enc.bytes().slice() };
}

const series = (chunks: EncodedChunk[]): StoredSeries => ({ labels: [['__name__', 'm']], chunks });
const times = (from: number, to: number, every: number): number[] => {
  const out: number[] = [];
  for (let t = from; t <= to; t += every) out.push(t);
  return out;
};

describe('decodeSeries', () => {
  it.each([
    { name: 'the whole of two chunks', minT: 0, maxT: 10_000_000, want: times(0, 3_585_000, 15_000) },
    { name: 'a window ending inside the first chunk', minT: 0, maxT: 100_000, want: times(0, 90_000, 15_000) },
    { name: 'a window starting inside the second chunk', minT: 3_000_001, maxT: 10_000_000, want: times(3_015_000, 3_585_000, 15_000) },
    { name: 'a window across the chunk boundary', minT: 1_700_000, maxT: 1_900_000, want: times(1_710_000, 1_890_000, 15_000) },
    { name: 'a window between two samples', minT: 1_000, maxT: 14_000, want: [] },
  ])('keeps exactly the samples of $name', ({ minT, maxT, want }) => {
    const sd = decodeSeries(series([chunk(0, 15_000, 120), chunk(1_800_000, 15_000, 120)]), minT, maxT);
    expect(Array.from(sd.ts)).toEqual(want);
    expect(Array.from(sd.vs)).toEqual(want.map((t) => t / 1000));
    expect(sd.stale).toBeNull();
  });

  it('gives every series arrays of its own, unaffected by decoding the next one', () => {
    const a = decodeSeries(series([chunk(0, 15_000, 120)]), 0, 60_000);
    const b = decodeSeries(series([chunk(1_000_000, 1_000, 120)]), 0, 2_000_000);
    expect(Array.from(a.ts)).toEqual([0, 15_000, 30_000, 45_000, 60_000]);
    expect(b.ts.length).toBe(120);
  });

  it('merges overlapping chunks in time order, the first chunk winning a shared timestamp', () => {
    const first = chunk(0, 30_000, 10);
    const second = chunk(15_000, 30_000, 10);
    const sd = decodeSeries(series([second, chunk(0, 15_000, 3), first]), 0, 60_000);
    expect(Array.from(sd.ts)).toEqual([0, 15_000, 30_000, 45_000, 60_000]);
  });
});

/** Prometheus's staleness marker as a float64. */
const STALE = new DataView(new Uint8Array([0x7f, 0xf0, 0, 0, 0, 0, 0, 2]).buffer).getFloat64(0);

describe('sampleSteps', () => {
  /** Random chunks in time order (gaps, irregular intervals, some staleness markers). */
  function randomSeries(rnd: () => number): StoredSeries {
    const chunks: EncodedChunk[] = [];
    let t = 15_000 * Math.floor(rnd() * 4);
    for (let c = 0, n = 1 + Math.floor(rnd() * 4); c < n; c++) {
      const enc = new XorChunkEncoder();
      for (let k = 0, m = 1 + Math.floor(rnd() * 60); k < m; k++) {
        enc.append(t, rnd() < 0.05 ? STALE : Math.round(rnd() * 1000) / 10);
        // Mostly on a 15 s grid, as scrapes are, so samples fall exactly on step times too.
        t += rnd() < 0.05 ? 405_000 : rnd() < 0.8 ? 15_000 * (1 + Math.floor(rnd() * 2)) : 1 + Math.floor(rnd() * 30_000);
      }
      chunks.push({ minT: enc.minTime, maxT: enc.maxTime, encoding: 1, data: enc.bytes().slice() });
    }
    return series(chunks);
  }

  it('samples every step as decoding the series whole and then stepping it does (500 random cases)', () => {
    const rnd = seededRandom(11);
    for (let i = 0; i < 500; i++) {
      const s = randomSeries(rnd);
      const aligned = rnd() < 0.7;
      const g = aligned
        ? { start: 15_000 * Math.floor(rnd() * 40), interval: 15_000 * (1 + Math.floor(rnd() * 6)), n: 1 + Math.floor(rnd() * 120) }
        : { start: Math.floor(rnd() * 600_000), interval: 1 + Math.floor(rnd() * 90_000), n: 1 + Math.floor(rnd() * 120) };
      const offsetMs = rnd() < 0.3 ? (aligned ? 15_000 : 1) * Math.floor(rnd() * 20) : 0;
      const lookbackMs = aligned ? 15_000 * (1 + Math.floor(rnd() * 20)) : 1 + Math.floor(rnd() * 300_000);
      const minT = g.start - offsetMs - lookbackMs + 1;
      const maxT = g.start + (g.n - 1) * g.interval - offsetMs;
      const got = sampleSteps(s, minT, maxT, g, offsetMs, lookbackMs)!;
      const sd = decodeSeries(s, minT, maxT);
      const want = stepDecoded(sd, g, undefined, offsetMs, lookbackMs);
      expect(got.samples).toBe(sd.ts.length);
      if (!want) {
        expect(got.series).toBeUndefined();
        continue;
      }
      expect(Array.from(got.series!.has)).toEqual(Array.from(want.has));
      const present = (a: Float64Array | undefined) => Array.from(a!).filter((_, k) => want.has[k] === 1);
      expect(present(got.series!.vals)).toEqual(present(want.vals));
      expect(present(got.series!.sampleTs)).toEqual(present(want.sampleTs));
    }
  });

  it('leaves series with overlapping chunks to the merging decode', () => {
    const s = series([chunk(0, 15_000, 10), chunk(60_000, 15_000, 10)]);
    expect(sampleSteps(s, 0, 1_000_000, { start: 0, interval: 60_000, n: 5 }, 0, 300_000)).toBeUndefined();
  });
});
