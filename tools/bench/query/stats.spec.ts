import { geometricMean, latencyOf, median, percentile } from './stats';

describe('stats', () => {
  it.each([
    ['an odd count: the middle value', [5, 1, 3], 3],
    ['an even count: the mean of the middle two', [4, 1, 3, 2], 2.5],
    ['one value', [7], 7],
    ['none: NaN', [], NaN],
  ])('median of %s', (_name, xs, expected) => {
    expect(median(xs)).toBe(expected);
  });

  it.each([
    ['p90 of 9 runs is the slowest (nearest rank 9)', [9, 1, 2, 3, 4, 5, 6, 7, 8], 0.9, 9],
    ['p90 of 10 runs is the 9th', [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 0.9, 9],
    ['p50 of 4 runs is the 2nd', [4, 3, 2, 1], 0.5, 2],
    ['none: NaN', [], 0.9, NaN],
  ])('percentile: %s', (_name, xs, q, expected) => {
    expect(percentile(xs, q)).toBe(expected);
  });

  it.each([
    ['of equal values is that value', [2, 2, 2], 2],
    ['of 1 and 4 is 2', [1, 4], 2],
    ['skips NaN, infinite and non-positive values', [NaN, 4, Infinity, 0, -1, 1], 2],
    ['of nothing usable is NaN', [NaN], NaN],
  ])('geometric mean %s', (_name, xs, expected) => {
    if (Number.isNaN(expected)) expect(geometricMean(xs)).toBeNaN();
    else expect(geometricMean(xs)).toBeCloseTo(expected, 12);
  });

  it('summarises runs as median, p90 and min', () => {
    expect(latencyOf([30, 10, 20])).toEqual({ runs: 3, medianMs: 20, p90Ms: 30, minMs: 10 });
  });
});
