import { addInterval, encodeTombstones, Interval, isSubrange, overlapsAny, tombstonesBySeries } from './compact-tombstones';
import { decodeTombstones, encodeEmptyTombstones } from './tombstones';

describe('compaction tombstones', () => {
  it.each([
    { name: 'disjoint, kept sorted', add: [[10, 20], [1, 5]], want: [[1, 5], [10, 20]] },
    { name: 'overlapping merge', add: [[1, 10], [5, 15]], want: [[1, 15]] },
    { name: 'adjacent merge (closed intervals of integers)', add: [[1, 5], [6, 9]], want: [[1, 9]] },
    { name: 'one gap of 1 ms stays apart', add: [[1, 5], [7, 9]], want: [[1, 5], [7, 9]] },
    { name: 'new interval spans several', add: [[1, 2], [5, 6], [9, 10], [0, 7]], want: [[0, 7], [9, 10]] },
    { name: 'contained', add: [[1, 100], [20, 30]], want: [[1, 100]] },
  ])('adds intervals as Prometheus Intervals.Add does ($name)', ({ add, want }) => {
    const list: Interval[] = [];
    for (const [mint, maxt] of add) addInterval(list, { mint, maxt });
    expect(list.map((i) => [i.mint, i.maxt])).toEqual(want);
  });

  it('groups tombstones by series ref', () => {
    const m = tombstonesBySeries([
      { seriesRef: 7, mint: 10, maxt: 20 },
      { seriesRef: 3, mint: 0, maxt: 1 },
      { seriesRef: 7, mint: 21, maxt: 30 },
    ]);
    expect([...m.entries()]).toEqual([
      [7, [{ mint: 10, maxt: 30 }]],
      [3, [{ mint: 0, maxt: 1 }]],
    ]);
  });

  it.each([
    { name: 'inside one interval', range: [12, 18], subrange: true, overlaps: true },
    { name: 'exactly an interval', range: [10, 20], subrange: true, overlaps: true },
    { name: 'straddling a boundary', range: [15, 25], subrange: false, overlaps: true },
    { name: 'between intervals', range: [21, 29], subrange: false, overlaps: false },
    { name: 'touching the start', range: [0, 10], subrange: false, overlaps: true },
  ])('classifies a chunk range against deleted intervals ($name)', ({ range, subrange, overlaps }) => {
    const ivs = [
      { mint: 10, maxt: 20 },
      { mint: 30, maxt: 40 },
    ];
    expect(isSubrange(range[0], range[1], ivs)).toBe(subrange);
    expect(overlapsAny(range[0], range[1], ivs)).toBe(overlaps);
  });

  it('encodes the empty file exactly like encodeEmptyTombstones', () => {
    expect(Buffer.from(encodeTombstones([]))).toEqual(Buffer.from(encodeEmptyTombstones()));
  });

  it('round-trips entries, clamping Go MinInt64/MaxInt64 that JS numbers cannot hold exactly', () => {
    const ts = [
      { seriesRef: 1, mint: 1_700_000_000_000, maxt: 1_700_000_100_000 },
      { seriesRef: 300, mint: -5, maxt: 5 },
      { seriesRef: 2 ** 33, mint: -(2 ** 63), maxt: 2 ** 63 },
    ];
    const back = decodeTombstones(encodeTombstones(ts));
    expect(back).toEqual(ts);
    // MaxInt64 is 2^63 - 1 on disk: 10-byte zig-zag varint ending 0x01.
    const bytes = Buffer.from(encodeTombstones([{ seriesRef: 0, mint: 0, maxt: 2 ** 63 }]));
    expect(bytes.subarray(7, 17).toString('hex')).toBe('feffffffffffffffff01');
  });
});
