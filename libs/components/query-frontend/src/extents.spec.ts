import { type Extent, coveringExtentSlices, decodeExtents, encodeExtents, gapsOf, gridFloor, mergeExtents } from './extents';
import { type RenderedMatrix, extractRange, renderMatrix } from './matrix';

const STEP = 60_000;

/** An extent of one series `{job="a"}` whose value at each step is the step's time (s). */
function extent(start: number, end: number): Extent {
  const values: [number, string][] = [];
  for (let t = start; t <= end; t += STEP) values.push([t / 1000, String(t / 1000)]);
  return { start, end, matrix: renderMatrix({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'a' }, values }] } }) };
}

const times = (m: RenderedMatrix) => m.series.flatMap((s) => [...s.times]);

describe('gapsOf', () => {
  it.each([
    { name: 'nothing cached: the whole range', extents: [], want: [[0, 10]] },
    { name: 'all cached', extents: [[0, 10]], want: [] },
    { name: 'a cached head: the tail', extents: [[0, 4]], want: [[5, 10]] },
    { name: 'a cached tail: the head', extents: [[6, 12]], want: [[0, 5]] },
    { name: 'a cached middle: both ends', extents: [[3, 6]], want: [[0, 2], [7, 10]] },
    { name: 'two cached pieces: the holes', extents: [[0, 2], [5, 6]], want: [[3, 4], [7, 10]] },
    { name: 'extents outside the range are ignored', extents: [[-9, -3], [12, 20]], want: [[0, 10]] },
  ])('$name', ({ extents, want }) => {
    const got = gapsOf(extents.map(([a, b]) => extent(a * STEP, b * STEP)), 0, 10 * STEP, STEP);
    expect(got.map((g) => [g.start / STEP, g.end / STEP])).toEqual(want);
  });
});

describe('mergeExtents', () => {
  it('joins extents that overlap or touch, keeping every point once and in order', () => {
    const merged = mergeExtents([extent(5 * STEP, 9 * STEP), extent(0, 3 * STEP), extent(3 * STEP, 4 * STEP)], STEP);
    expect(merged.map((e) => [e.start / STEP, e.end / STEP])).toEqual([[0, 9]]);
    expect(times(merged[0].matrix)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => k * STEP));
  });

  it('keeps extents apart by more than a step separate, and drops one inside another', () => {
    const merged = mergeExtents([extent(0, 5 * STEP), extent(2 * STEP, 3 * STEP), extent(8 * STEP, 9 * STEP)], STEP);
    expect(merged.map((e) => [e.start / STEP, e.end / STEP])).toEqual([[0, 5], [8, 9]]);
  });
});

describe('extractRange', () => {
  it('keeps the points in range, and drops series left empty', () => {
    const res = extent(0, 9 * STEP).matrix;
    expect(times(extractRange(res, 2 * STEP, 4 * STEP))).toEqual([2, 3, 4].map((k) => k * STEP));
    expect(extractRange(res, 20 * STEP, 30 * STEP).series).toEqual([]);
  });
});

describe('gridFloor and the entry codec', () => {
  it('finds the last grid point at or before a time', () => {
    expect(gridFloor(30_000, STEP, 30_000 + 2.5 * STEP)).toBe(30_000 + 2 * STEP);
    expect(gridFloor(30_000, STEP, 0)).toBe(30_000 - STEP);
  });

  it('round-trips extents, and reads anything else (an older JSON entry, a cut one) as no extents', () => {
    const e = [extent(0, 2 * STEP), extent(5 * STEP, 9 * STEP)];
    expect(decodeExtents(encodeExtents(e))).toEqual(e);
    expect(decodeExtents(Buffer.from('{"v":1,"extents":[]}'))).toEqual([]);
    expect(decodeExtents(Buffer.from('not json'))).toEqual([]);
    const whole = encodeExtents(e);
    expect(decodeExtents(whole.subarray(0, whole.length - 3))).toEqual([]);
    expect(decodeExtents(Buffer.concat([whole, Buffer.from([1])]))).toEqual([]);
  });
});

describe('coveringExtentSlices', () => {
  const entry = encodeExtents([extent(0, 2 * STEP), extent(5 * STEP, 9 * STEP), extent(12 * STEP, 14 * STEP)]);
  const covered = (buf: Buffer, start: number, end: number) => coveringExtentSlices(buf, start * STEP, end * STEP)?.series.map((s) => s.text.toString('latin1'));

  it.each([
    { name: 'the first extent', start: 0, end: 2, want: extent(0, 2 * STEP) },
    { name: 'a window inside a later extent', start: 6, end: 8, want: extent(5 * STEP, 9 * STEP) },
    { name: 'the last extent', start: 12, end: 14, want: extent(12 * STEP, 14 * STEP) },
  ])('finds $name as views of its series', ({ start, end, want }) => {
    expect(covered(entry, start, end)).toEqual(want.matrix.series.map((s) => s.text));
  });

  it.each([
    { name: 'a range over a gap', start: 1, end: 6 },
    { name: 'a range past every extent', start: 15, end: 16 },
    { name: 'a range before every extent', start: -3, end: -1 },
  ])('finds nothing for $name', ({ start, end }) => {
    expect(covered(entry, start, end)).toBeUndefined();
  });

  it('reads a cut, extended or foreign entry as covering nothing, as decodeExtents does', () => {
    expect(covered(entry.subarray(0, entry.length - 3), 0, 2)).toBeUndefined();
    expect(covered(Buffer.concat([entry, Buffer.from([1])]), 0, 2)).toBeUndefined();
    expect(covered(Buffer.from('{"v":1,"extents":[]}'), 0, 2)).toBeUndefined();
  });
});
