import { alignToStep, splitByInterval } from './split';

const H = 3_600_000;
const D = 24 * H;

describe('splitByInterval', () => {
  it.each([
    ['inside one day', { start: 1 * H, end: 5 * H, step: 60_000 }, [[1 * H, 5 * H]]],
    ['across midnight on a round step', { start: 20 * H, end: D + 4 * H, step: H }, [[20 * H, 23 * H], [D, D + 4 * H]]],
    // A step that does not divide the day: the split ends on the last grid point before midnight.
    ['keeping an odd step grid', { start: 0, end: D + 10 * 60_000, step: 7 * 60_000 }, [[0, 205 * 7 * 60_000], [206 * 7 * 60_000, D + 10 * 60_000]]],
    ['three days', { start: 0, end: 2 * D + H, step: D / 2 }, [[0, D / 2], [D, D + D / 2], [2 * D, 2 * D + H]]],
  ])('%s', (_name, r, expected) => {
    const parts = splitByInterval({ query: 'up', ...r }, D);
    expect(parts.map((p) => [p.start, p.end])).toEqual(expected);
    // Every step of the whole query is in exactly one split.
    const steps = (a: number, b: number) => Array.from({ length: Math.floor((b - a) / r.step) + 1 }, (_, i) => a + i * r.step);
    expect(parts.flatMap((p) => steps(p.start, p.end))).toEqual(steps(r.start, r.end).filter((t) => t <= r.end));
  });

  it('does not split when the interval is 0', () => {
    expect(splitByInterval({ query: 'up', start: 0, end: 3 * D, step: H }, 0)).toHaveLength(1);
  });

  it('aligns start and end down onto the step grid', () => {
    expect(alignToStep({ query: 'up', start: 61_000, end: 179_000, step: 60_000 })).toMatchObject({ start: 60_000, end: 120_000 });
  });
});
