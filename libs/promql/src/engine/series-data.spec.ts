import { XorChunkEncoder } from '@panoptes/block-formats';
import { decodeSeries } from './series-data';
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
