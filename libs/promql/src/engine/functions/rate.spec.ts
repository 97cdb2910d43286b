import { RANGE_FUNCTIONS } from './range-functions';
import { seededRandom } from '@panoptes/common';
import { countDrops, rangeSeconds } from './rate';
import { MIN, RecordingNotes, SEC, expectClose, loadSeries, windowAt } from './testing/spec-helpers';

// Expected numbers come from Prometheus's promql/promqltest/testdata/functions.test (v3.14.0);
// each case names the line of the eval it reproduces.

const FIVE_MIN = 5 * MIN;

describe('counter extrapolation (rate, increase)', () => {
  it.each([
    // functions.test:122 increase(http_requests_total[50m]) at 50m
    { name: 'counter starting at 0 (:122 /foo)', series: '0+10x10', fn: 'increase', at: 50, range: 50, want: 100 },
    { name: 'counter with reset (:122 /bar)', series: '0+18x5 0+18x5', fn: 'increase', at: 50, range: 50, want: 160 },
    { name: 'counter starting at 10 (:122 /dings)', series: '10+10x10', fn: 'increase', at: 50, range: 50, want: 100 },
    { name: 'counter starting at 1 (:122 /bumms)', series: '1+10x10', fn: 'increase', at: 50, range: 50, want: 100 },
    // functions.test:135 increase(http_requests_total[100m]): half-interval and zero-point cutoffs
    { name: 'extrapolates half an interval past the first sample (:135 /bar)', series: '0+18x5 0+18x5', fn: 'increase', at: 50, range: 100, want: 162 },
    { name: 'extrapolation stops half an interval out (:135 /dings)', series: '10+10x10', fn: 'increase', at: 50, range: 100, want: 105 },
    { name: 'extrapolation stops where the counter would reach zero (:135 /bumms)', series: '1+10x10', fn: 'increase', at: 50, range: 100, want: 101 },
    // functions.test:150 a drop counts as a reset to 0
    { name: 'decrease is a reset (:150)', series: '0 1 2 3 2 3 4', fn: 'increase', at: 30, range: 30, want: 7 },
    // functions.test:161 and :167
    { name: 'reset in the middle (:161)', series: '0+27x4 0+27x5', fn: 'rate', at: 50, range: 50, want: 0.08 },
    { name: 'reset at the end of a short range (:167)', series: '0+10x9 0 10', fn: 'rate', at: 50, range: 6, want: 0 },
    // functions.test:178
    { name: 'per-second rate (:178)', series: '0+80x10', fn: 'rate', at: 50, range: 50, want: 0.26666666666666666 },
  ])('$name', ({ series, fn, at, range, want }) => {
    const w = windowAt(loadSeries(FIVE_MIN, series), at * MIN, range * MIN, { metricName: 'x_total' });
    expectClose(RANGE_FUNCTIONS[fn](w, []), want, 1e-12);
  });

  it.each([
    { name: 'x=a (:181)', series: '0+10x10', want: 0.03333333333333333 },
    { name: 'x=b (:181)', series: '0+20x10', want: 0.06666666666666667 },
  ])('rate with offset moves the window back: $name', ({ series, want }) => {
    const w = windowAt(loadSeries(FIVE_MIN, series), 50 * MIN, 10 * MIN, { offsetMs: 5 * MIN });
    expectClose(RANGE_FUNCTIONS.rate(w, []), want, 1e-12);
  });

  // functions.test:198 and :207, samples every 4m
  it.each([
    { name: 'start 0m at 10m', series: '0+240x10', at: 10, want: 0.5 },
    { name: 'start 1m at 10m', series: '60+240x10', at: 10, want: 0.55 },
    { name: 'start 2m at 10m', series: '120+240x10', at: 10, want: 0.6 },
    { name: 'start 5m at 10m', series: '300+240x10', at: 10, want: 0.6 },
    { name: 'start 0m at 50m', series: '0+240x10', at: 50, want: 0.6 },
  ])('zero cutoff of left extrapolation: $name', ({ series, at, want }) => {
    const w = windowAt(loadSeries(4 * MIN, series), at * MIN, 20 * MIN, { metricName: 'c_total' });
    expectClose(RANGE_FUNCTIONS.rate(w, []), want, 1e-12);
  });

  it.each(['rate', 'increase', 'delta'])('%s gives no sample for a single-sample window (:165)', (fn) => {
    const w = windowAt(loadSeries(FIVE_MIN, '0+10x9 0 10'), 50 * MIN, 5 * MIN);
    expect(RANGE_FUNCTIONS[fn](w, [])).toBeUndefined();
  });

  it.each([
    { name: 'name without counter suffix', metric: 'http_requests', infos: ['metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "http_requests"'] },
    { name: '_total', metric: 'http_requests_total', infos: [] },
    { name: '_sum', metric: 'latency_sum', infos: [] },
    { name: '_count', metric: 'latency_count', infos: [] },
    { name: '_bucket', metric: 'latency_bucket', infos: [] },
    { name: 'no metric name', metric: '', infos: [] },
  ])('rate notes a possible non-counter: $name', ({ metric, infos }) => {
    const notes = new RecordingNotes();
    RANGE_FUNCTIONS.rate(windowAt(loadSeries(FIVE_MIN, '0+10x10'), 50 * MIN, 50 * MIN, { metricName: metric, notes }), []);
    expect(notes.infos).toEqual(infos);
  });

  it('notes nothing when rate gives no sample', () => {
    const notes = new RecordingNotes();
    RANGE_FUNCTIONS.increase(windowAt(loadSeries(FIVE_MIN, '1'), 0, 5 * MIN, { metricName: 'gauge', notes }), []);
    expect(notes.infos).toEqual([]);
  });

  it('irate and delta never note a possible non-counter', () => {
    const notes = new RecordingNotes();
    const s = loadSeries(FIVE_MIN, '0+10x10');
    RANGE_FUNCTIONS.irate(windowAt(s, 50 * MIN, 50 * MIN, { metricName: 'gauge', notes }), []);
    RANGE_FUNCTIONS.delta(windowAt(s, 50 * MIN, 50 * MIN, { metricName: 'gauge', notes }), []);
    expect(notes.infos).toEqual([]);
  });
});

describe('delta, irate, idelta', () => {
  it.each([
    // functions.test:285 delta(http_requests[20m]) at 20m: gauges are not reset-corrected
    { name: 'delta rising (:285 /foo)', fn: 'delta', series: '0 50 100 150 200', at: 20, range: 20, want: 200 },
    { name: 'delta falling (:285 /bar)', fn: 'delta', series: '200 150 100 50 0', at: 20, range: 20, want: -200 },
    // functions.test:230 irate at 50m and :236 at 30m
    { name: 'irate (:230 /foo)', fn: 'irate', series: '0+10x10', at: 50, range: 50, want: 10 / 300 },
    { name: 'irate after a reset (:230 /bar)', fn: 'irate', series: '0+10x5 0+10x5', at: 50, range: 50, want: 10 / 300 },
    { name: 'irate right after a reset takes the new value (:236 /bar)', fn: 'irate', series: '0+10x5 0+10x5', at: 30, range: 50, want: 0 },
    // functions.test:319 idelta at 20m
    { name: 'idelta rising (:319 /foo)', fn: 'idelta', series: '0 50 100 150', at: 20, range: 20, want: 50 },
    { name: 'idelta falling is no reset (:319 /bar)', fn: 'idelta', series: '0 50 100 50', at: 20, range: 20, want: -50 },
  ])('$name', ({ fn, series, at, range, want }) => {
    const w = windowAt(loadSeries(FIVE_MIN, series), at * MIN, range * MIN);
    expectClose(RANGE_FUNCTIONS[fn](w, []), want, 1e-12);
  });

  // functions.test:241 and :324, `1 NaN NaN 5 11` over [15m1s], steps 0..20m
  it.each([
    { fn: 'irate', want: [undefined, NaN, NaN, NaN, 0.02] },
    { fn: 'idelta', want: [undefined, NaN, NaN, NaN, 6] },
  ])('$fn propagates NaN from the last two samples', ({ fn, want }) => {
    const s = loadSeries(FIVE_MIN, '1 NaN NaN 5 11');
    const got = [0, 1, 2, 3, 4].map((k) => RANGE_FUNCTIONS[fn](windowAt(s, k * FIVE_MIN, 15 * MIN + SEC), []));
    expect(got).toEqual(want);
  });
});

describe('resets and changes', () => {
  const foo = '1 2 3 0 1 0 0 1 2 0';
  const bar = '1 2 3 4 5 1 2 3 4 5';
  const biz = '0 0 0 0 0 1 1 1 1 1';
  // functions.test:11-43 (resets) and :58-85 (changes), all at 50m
  it.each([
    { name: 'resets /foo [20m] (:23)', fn: 'resets', series: foo, range: 20 * MIN, want: 1 },
    { name: 'resets /foo [32m] (:33)', fn: 'resets', series: foo, range: 32 * MIN, want: 2 },
    { name: 'resets /bar [32m] (:33)', fn: 'resets', series: bar, range: 32 * MIN, want: 1 },
    { name: 'resets /foo [50m] (:38)', fn: 'resets', series: foo, range: 50 * MIN, want: 3 },
    { name: 'resets of one sample is 0 (:13)', fn: 'resets', series: foo, range: 10 * MIN, want: 0 },
    { name: 'changes /foo [20m] (:65)', fn: 'changes', series: foo, range: 20 * MIN, want: 2 },
    { name: 'changes /bar [30m] (:70)', fn: 'changes', series: bar, range: 30 * MIN, want: 4 },
    { name: 'changes /foo [50m] (:75)', fn: 'changes', series: foo, range: 50 * MIN, want: 7 },
    { name: 'changes /bar [50m] (:75)', fn: 'changes', series: bar, range: 50 * MIN, want: 8 },
    { name: 'changes /biz [50m] (:75)', fn: 'changes', series: biz, range: 50 * MIN, want: 1 },
  ])('$name', ({ fn, series, range, want }) => {
    expect(RANGE_FUNCTIONS[fn](windowAt(loadSeries(FIVE_MIN, series), 50 * MIN, range), [])).toBe(want);
  });

  // functions.test:108
  it.each([
    { name: 'NaN after NaN is no change', series: 'NaN NaN NaN', want: 0 },
    { name: 'a number after NaN and back are two changes', series: '0 NaN 0', want: 2 },
  ])('changes: $name', ({ series, want }) => {
    expect(RANGE_FUNCTIONS.changes(windowAt(loadSeries(FIVE_MIN, series), 15 * MIN, 20 * MIN), [])).toBe(want);
  });
});

describe('rangeSeconds', () => {
  it.each([
    { ms: 300000, want: 300 },
    { ms: 1500, want: 1.5 },
    { ms: 1001, want: 1 + 1e6 / 1e9 },
    { ms: 61001, want: 61 + 1e6 / 1e9 },
  ])('$ms ms is Go Duration.Seconds() = $want', ({ ms, want }) => {
    expect(rangeSeconds(ms)).toBe(want);
  });
});

describe('countDrops', () => {
  it('gives rate, increase and resets the same answers as scanning every window (400 random windows)', () => {
    const rnd = seededRandom(5);
    for (let i = 0; i < 400; i++) {
      const n = 2 + Math.floor(rnd() * 60);
      const ts = new Float64Array(n);
      const vs = new Float64Array(n);
      let v = rnd() * 100;
      for (let j = 0; j < n; j++) {
        ts[j] = j * 15_000;
        // Counters that sometimes reset, sometimes repeat a value, rarely hold NaN.
        v = rnd() < 0.1 ? rnd() * 10 : rnd() < 0.1 ? v : v + rnd() * 50;
        vs[j] = rnd() < 0.02 ? NaN : v;
      }
      const lo = Math.floor(rnd() * n);
      const hi = lo + 1 + Math.floor(rnd() * (n - lo));
      const base = { ts, vs, lo, hi, rangeStart: ts[lo] - 1, rangeEnd: ts[hi - 1], evalT: ts[hi - 1], metricName: 'x_total', notes: new RecordingNotes() };
      for (const fn of ['rate', 'increase', 'resets']) {
        const scanned = RANGE_FUNCTIONS[fn]({ ...base }, []);
        const counted = RANGE_FUNCTIONS[fn]({ ...base, drops: countDrops(vs) }, []);
        expect(counted).toBe(scanned);
      }
    }
  });
});
