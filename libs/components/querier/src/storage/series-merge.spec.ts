import type { EncodedChunk } from '@panoptes/promql';
import { dedupeChunks, forEachConcurrent, labelSetUnion, sortedUnion } from './series-merge';

const chunk = (minT: number, maxT: number, bytes: number[], encoding = 1): EncodedChunk => ({ minT, maxT, encoding, data: Uint8Array.from(bytes) });
const ids = (chunks: EncodedChunk[]) => chunks.map((c) => `${c.minT}-${c.maxT}/${c.encoding}:${[...c.data].join('.')}`);

describe('dedupeChunks', () => {
  it.each([
    { name: 'identical replica chunks are kept once', input: [chunk(0, 9, [1, 2]), chunk(0, 9, [1, 2]), chunk(0, 9, [1, 2])], want: ['0-9/1:1.2'] },
    { name: 'same range, different bytes: both kept', input: [chunk(0, 9, [1, 2]), chunk(0, 9, [1, 3])], want: ['0-9/1:1.2', '0-9/1:1.3'] },
    { name: 'same bytes, different encoding: both kept', input: [chunk(0, 9, [1, 2]), chunk(0, 9, [1, 2], 2)], want: ['0-9/1:1.2', '0-9/2:1.2'] },
    {
      name: 'sorted by range, duplicates found among several chunks of one range',
      input: [chunk(10, 19, [5]), chunk(0, 9, [1]), chunk(0, 9, [2]), chunk(0, 9, [1]), chunk(0, 5, [9]), chunk(10, 19, [5])],
      want: ['0-5/1:9', '0-9/1:1', '0-9/1:2', '10-19/1:5'],
    },
  ])('$name', ({ input, want }) => {
    expect(ids(dedupeChunks(input))).toEqual(want);
  });
});

describe('unions', () => {
  it('sorts names by UTF-8 bytes as Go does, not by UTF-16 code units', () => {
    expect(sortedUnion([['b', '\u{1F600}'], ['a', '\uFFFD', 'b']])).toEqual(['a', 'b', '\uFFFD', '\u{1F600}']);
  });

  it('keeps each label set once, sorted by labels', () => {
    expect(labelSetUnion([[[['a', '2']], [['a', '1']]], [[['a', '1']]]])).toEqual([[['a', '1']], [['a', '2']]]);
  });
});

describe('forEachConcurrent', () => {
  it('keeps at most `limit` calls in flight and rejects only after those in flight settled', async () => {
    let inFlight = 0;
    let peak = 0;
    const settled: number[] = [];
    const run = forEachConcurrent([1, 2, 3, 4, 5, 6], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n === 2 ? 1 : 5));
      inFlight--;
      settled.push(n);
      if (n === 2) throw new Error('boom');
    });
    await expect(run).rejects.toThrow('boom');
    expect(peak).toBe(2);
    expect(inFlight).toBe(0);
    expect(settled).not.toContain(6);
  });
});
