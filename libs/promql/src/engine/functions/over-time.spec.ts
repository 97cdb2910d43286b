import { RANGE_FUNCTIONS } from './range-functions';
import { MIN, RecordingNotes, SEC, expectClose, loadSeries, windowAt } from './testing/spec-helpers';

// Expected numbers come from Prometheus's promql/promqltest/testdata/functions.test (v3.14.0);
// each case names the line of the eval it reproduces.

function over(fn: string, intervalMs: number, series: string, evalMs: number, rangeMs: number, args: number[] = []): number | undefined {
  return RANGE_FUNCTIONS[fn](windowAt(loadSeries(intervalMs, series), evalMs, rangeMs), args);
}

describe('avg_over_time and sum_over_time', () => {
  it.each([
    { name: 'one sample (:957)', series: '1 2 3 4 5', range: 20 * SEC, want: 5 },
    { name: 'all samples (:961)', series: '1 2 3 4 5', range: MIN, want: 3 },
    { name: '+Inf wins (:967)', series: '1 2 3 4 Inf', range: MIN, want: Infinity },
    { name: '-Inf wins (:973)', series: '1 2 3 4 -Inf', range: MIN, want: -Infinity },
    { name: '+Inf and -Inf give NaN (:979)', series: '1 2 3 Inf -Inf', range: MIN, want: NaN },
    { name: 'Inf 0 Inf (:985)', series: 'Inf 0 Inf', range: MIN, want: Infinity },
    { name: 'Inf Inf Inf -Inf (:997)', series: 'Inf Inf Inf -Inf', range: MIN, want: NaN },
    { name: '-Inf 0 -Inf (:1009)', series: '-Inf 0 -Inf', range: MIN, want: -Infinity },
    { name: 'mixed infinities (:1021)', series: '1 2 -Inf -Inf Inf', range: MIN, want: NaN },
    { name: 'does not overflow where the sum would (:1027)', series: '9.988465674311579e+307 9.988465674311579e+307', range: MIN, want: 9.988465674311579e307 },
    { name: 'does not overflow negatively (:1034)', series: '-9.988465674311579e+307 -9.988465674311579e+307 -9.988465674311579e+307', range: MIN, want: -9.988465674311579e307 },
    { name: 'huge values cancelling (:1041)', series: '-9.988465674311579e+307 9.988465674311579e+307', range: MIN, want: 0 },
    { name: 'NaN poisons (:1054)', series: '1 2 3 NaN NaN', range: MIN, want: NaN },
  ])('avg_over_time: $name', ({ series, range, want }) => {
    expectClose(over('avg_over_time', 10 * SEC, series, 55 * SEC, range), want, 1e-12);
  });

  it.each([
    { name: 'varying magnitudes (:1100)', series: '1e10 1e-6 1e-6 1e-6 1e-6 1e-6', want: 1.6666666666666675e9 },
    { name: 'real-world values (:1103)', series: '5.30921651659898 0.961118537914768 1.62091361305318 0.865089463758091 0.323055185914577 0.951811357687154', want: 1.67186744582113 },
    { name: 'one dominant value first (:1106)', series: '1.78264e50 0.76342771 1.9592258 7.69805412 458.90154', want: 3.56528e49 },
    { name: 'one dominant value later (:1109)', series: '0.76342771 1.9592258 7.69805412 1.78264e50 458.90154', want: 3.56528e49 },
    { name: 'two dominant values (:1112)', series: '1.78264E+50 0.76342771 1.9592258 2.258E+220 7.69805412 458.90154', want: 3.76333333333333e219 },
    { name: 'negative and positive giants (:1129)', series: '-1.78264E+215 0.76342771 1.9592258 2.258E+220 7.69805412 -458.90154', want: 3.76330362266667e219 },
    { name: 'cancelling giants (:1132)', series: '-1.78264E+215 0.76342771 1.9592258 2.258E+220 7.69805412 1.78264E+215 -458.90154', want: 3.225714285714286e219 },
    { name: 'more cancelling giants (:1135)', series: '-1.78264E+219 0.76342771 1.9592258 2.3757689E+217 -2.3757689E+217 2.258E+220 7.69805412 1.78264E+219 -458.90154', want: 2.5088888888888888e219 },
    { name: 'Kahan cannot save this one, Prometheus gives 0 too (:1149)', series: '-2.258E+220 -1.78264E+219 0.76342771 1.9592258 2.3757689E+217 -2.3757689E+217 2.258E+220 7.69805412 1.78264E+219 -458.90154', want: 0 },
  ])('avg_over_time with extreme values: $name', ({ series, want }) => {
    expectClose(over('avg_over_time', 5 * SEC, series, 55 * SEC, MIN), want, 1e-12);
  });

  it.each([100, 110, 120, 130])('avg_over_time of a constant over %ds is exactly the constant (:1180)', (seconds) => {
    expect(over('avg_over_time', 10 * SEC, '52+0x100', 10 * MIN, seconds * SEC)).toBe(52);
  });

  it.each([
    { name: 'sum', fn: 'sum_over_time', want: 2 },
    { name: 'avg', fn: 'avg_over_time', want: 0.5 },
  ])('$name_over_time keeps small values next to cancelling giants (:1084)', ({ fn, want }) => {
    expect(over(fn, 10 * SEC, '1 1e100 1 -1e100', MIN, 2 * MIN)).toBe(want);
  });

  it.each([1000, 1001, 1002, 2003, 3003])('sum_over_time over %dms of 1ms samples counts each once (:1197)', (ms) => {
    expect(over('sum_over_time', 1, '1+0x4000', 4 * SEC, ms)).toBe(ms);
  });

  it('sum_over_time returns an infinite sum without its compensation', () => {
    expect(over('sum_over_time', 10 * SEC, '1 Inf 2', 30 * SEC, MIN)).toBe(Infinity);
  });
});

describe('min, max, count, last, first, present', () => {
  // functions.test:1585 and :1605, at 1m over [2m], samples every 10s
  it.each([
    { name: 'numbers', series: '2 0 3', min: 0, max: 3 },
    { name: 'trailing NaN is replaced by nothing', series: '2 0 NaN', min: 0, max: 2 },
    { name: 'NaN in the middle', series: '2 NaN 1', min: 1, max: 2 },
    { name: 'leading NaN is replaced', series: 'NaN 0 1', min: 0, max: 1 },
    { name: 'only NaN', series: 'NaN NaN NaN', min: NaN, max: NaN },
    { name: 'sparse', series: '_ 5 2 _ 4 _', min: 2, max: 5 },
  ])('min/max_over_time: $name', ({ series, min, max }) => {
    expectClose(over('min_over_time', 10 * SEC, series, MIN, 2 * MIN), min);
    expectClose(over('max_over_time', 10 * SEC, series, MIN, 2 * MIN), max);
  });

  it.each([
    { fn: 'count_over_time', want: 3 },
    { fn: 'last_over_time', want: 4 },
    { fn: 'first_over_time', want: 5 },
    { fn: 'present_over_time', want: 1 },
  ])('$fn of `_ 5 2 _ 4 _` (:1625-1649)', ({ fn, want }) => {
    expect(over(fn, 10 * SEC, '_ 5 2 _ 4 _', MIN, 2 * MIN)).toBe(want);
  });

  it('last_over_time keeps a NaN value', () => {
    expect(over('last_over_time', 10 * SEC, '1 NaN', 10 * SEC, MIN)).toBeNaN();
  });
});

describe('ts_of_*_over_time (odd 10.053s interval, functions.test:1319-1368)', () => {
  const step = 10 * SEC + 53;
  it.each([
    { name: 'min (:1324)', fn: 'ts_of_min_over_time', series: '1 2 3 0 5 6 2 1 4', at: 90, want: 30.159 },
    { name: 'max (:1327)', fn: 'ts_of_max_over_time', series: '1 2 3 0 5 6 2 1 4', at: 90, want: 50.265 },
    { name: 'last (:1337)', fn: 'ts_of_last_over_time', series: '1 2 3 _ _', at: 90, want: 20.106 },
    { name: 'last, later eval (:1340)', fn: 'ts_of_last_over_time', series: '1 2 3 _ _', at: 95, want: 20.106 },
    { name: 'first (:1356)', fn: 'ts_of_first_over_time', series: '_ _ 1 2 3 _ _', at: 90, want: 20.106 },
  ])('$name', ({ fn, series, at, want }) => {
    expect(over(fn, step, series, at * SEC, 90 * SEC)).toBe(want);
  });

  it.each([
    { name: 'max takes the last of equal maxima', fn: 'ts_of_max_over_time', series: '3 1 3 2', want: 20 },
    { name: 'min takes the last of equal minima', fn: 'ts_of_min_over_time', series: '1 3 1 2', want: 20 },
    { name: 'a leading NaN is replaced', fn: 'ts_of_max_over_time', series: 'NaN 1 0', want: 10 },
  ])('$name', ({ fn, series, want }) => {
    expect(over(fn, 10 * SEC, series, 30 * SEC, MIN)).toBe(want);
  });
});

describe('stddev, stdvar, mad', () => {
  it.each([
    { name: 'stdvar (:1240)', fn: 'stdvar_over_time', series: '0 8 8 2 3', at: MIN, range: 2 * MIN, want: 10.56 },
    { name: 'stddev (:1243)', fn: 'stddev_over_time', series: '0 8 8 2 3', at: MIN, range: 2 * MIN, want: 3.249615 },
    { name: 'stdvar of a repeated irrational value is exactly 0 (:1270)', fn: 'stdvar_over_time', series: '1.5990505637277868 1.5990505637277868 1.5990505637277868', at: 55 * SEC, range: MIN, want: 0 },
    { name: 'stddev of a repeated irrational value is exactly 0 (:1273)', fn: 'stddev_over_time', series: '1.5990505637277868 1.5990505637277868 1.5990505637277868', at: 55 * SEC, range: MIN, want: 0 },
    { name: 'mad (:1287)', fn: 'mad_over_time', series: '4 6 2 1 999 1 2', at: 70 * SEC, range: 70 * SEC, want: 1 },
    { name: 'mad, odd count (:1292)', fn: 'mad_over_time', series: '1 2 3 4 5', at: 40 * SEC, range: 50 * SEC, want: 1 },
    { name: 'mad, equal values (:1297)', fn: 'mad_over_time', series: '7 7 7 7 7', at: 40 * SEC, range: 50 * SEC, want: 0 },
    { name: 'mad, one sample (:1302)', fn: 'mad_over_time', series: '5', at: 0, range: 10 * SEC, want: 0 },
    { name: 'mad propagates NaN (:1307)', fn: 'mad_over_time', series: '1 2 NaN 4', at: 30 * SEC, range: 40 * SEC, want: NaN },
  ])('$name', ({ fn, series, at, range, want }) => {
    const got = over(fn, 10 * SEC, series, at, range);
    if (want === 0) expect(got).toBe(0);
    else expectClose(got, want, 1e-6);
  });
});

describe('quantile_over_time (functions.test:1371-1435, at 1m over [2m])', () => {
  it.each([
    { q: 0, two: 0, three: 0, uneven: 0 },
    { q: 0.5, two: 0.5, three: 1, uneven: 1 },
    { q: 0.75, two: 0.75, three: 1.5, uneven: 2.5 },
    { q: 0.8, two: 0.8, three: 1.6, uneven: 2.8 },
    { q: 1, two: 1, three: 2, uneven: 4 },
    { q: -1, two: -Infinity, three: -Infinity, uneven: -Infinity },
    { q: 2, two: Infinity, three: Infinity, uneven: Infinity },
  ])('φ=$q interpolates between ranks', ({ q, two, three, uneven }) => {
    expectClose(over('quantile_over_time', 10 * SEC, '0 1', MIN, 2 * MIN, [q]), two, 1e-12);
    expectClose(over('quantile_over_time', 10 * SEC, '0 1 2', MIN, 2 * MIN, [q]), three, 1e-12);
    expectClose(over('quantile_over_time', 10 * SEC, '0 1 4', MIN, 2 * MIN, [q]), uneven, 1e-12);
  });

  it.each([
    { q: -1, warnings: ['quantile value should be between 0 and 1, got -1'] },
    { q: 2, warnings: ['quantile value should be between 0 and 1, got 2'] },
    { q: NaN, warnings: ['quantile value should be between 0 and 1, got NaN'] },
    { q: 1e-7, warnings: [] },
    { q: 0.5, warnings: [] },
  ])('φ=$q warns $warnings', ({ q, warnings }) => {
    const notes = new RecordingNotes();
    RANGE_FUNCTIONS.quantile_over_time(windowAt(loadSeries(10 * SEC, '0 1 2'), MIN, 2 * MIN, { notes }), [q]);
    expect(notes.warnings).toEqual(warnings);
  });

  it('does not reorder the series it reads', () => {
    const s = loadSeries(10 * SEC, '3 1 2');
    RANGE_FUNCTIONS.quantile_over_time(windowAt(s, MIN, 2 * MIN), [0.5]);
    expect(Array.from(s.vs)).toEqual([3, 1, 2]);
  });
});
