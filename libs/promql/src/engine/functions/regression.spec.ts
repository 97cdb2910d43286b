import { PromQLExecutionError } from '../../errors';
import { RANGE_FUNCTIONS } from './range-functions';
import { formatGoFixed6 } from './regression';
import { MIN, SEC, expectClose, loadSeries, windowAt } from './testing/spec-helpers';

// Expected numbers come from Prometheus's promql/promqltest/testdata/functions.test (v3.14.0).

const resetMiddle = loadSeries(5 * MIN, '0+10x4 0+10x5');

describe('deriv', () => {
  it.each([
    { name: 'equals rate for a clean counter (:374)', series: loadSeries(5 * MIN, '0+80x10'), at: 50 * MIN, range: 50 * MIN, want: 0.26666666666666666 },
    { name: 'least-squares slope across a reset (:379)', series: resetMiddle, at: 50 * MIN, range: 100 * MIN, want: 0.010606060606060607 },
    { name: 'an infinite sample gives NaN (:399)', series: loadSeries(5 * MIN, '-Inf 0+80x10 Inf'), at: 100 * MIN, range: 100 * MIN, want: NaN },
    { name: 'a constant series has slope 0', series: loadSeries(5 * MIN, '7 7 7'), at: 10 * MIN, range: 20 * MIN, want: 0 },
    { name: 'a constant infinite series gives NaN', series: loadSeries(5 * MIN, 'Inf Inf'), at: 5 * MIN, range: 20 * MIN, want: NaN },
  ])('$name', ({ series, at, range, want }) => {
    expectClose(RANGE_FUNCTIONS.deriv(windowAt(series, at, range), []), want, 1e-12);
  });

  it('gives no sample for one sample', () => {
    expect(RANGE_FUNCTIONS.deriv(windowAt(resetMiddle, 0, MIN), [])).toBeUndefined();
  });
});

describe('predict_linear', () => {
  it.each([
    { name: 'an hour ahead (:417)', at: 50 * MIN, range: 50 * MIN, atMs: undefined, want: 70 },
    { name: 'with @ the line is still read at the evaluation time (:426)', at: 50 * MIN, range: 55 * MIN, atMs: 3000 * SEC, want: 76.81818181818181 },
    { name: 'with @ at an earlier step (:435)', at: 10 * MIN, range: 55 * MIN, atMs: 3000 * SEC, want: 51.36363636363637 },
    { name: 'with @ at a later step (:440)', at: 70 * MIN, range: 55 * MIN, atMs: 3000 * SEC, want: 89.54545454545455 },
  ])('$name', ({ at, range, atMs, want }) => {
    expectClose(RANGE_FUNCTIONS.predict_linear(windowAt(resetMiddle, at, range, { atMs }), [3600]), want, 1e-12);
  });

  it('an infinite sample gives NaN (:460)', () => {
    const w = windowAt(loadSeries(5 * MIN, '-Inf 0+80x10 Inf'), 100 * MIN, 100 * MIN);
    expect(RANGE_FUNCTIONS.predict_linear(w, [6000])).toBeNaN();
  });
});

describe('double_exponential_smoothing', () => {
  // functions.test:898 and :927, at 8000s over [1m] of 10s samples, sf=0.01 tf=0.1
  it.each([
    { name: 'rising by 10 (:898)', series: '0+10x1000 100+30x1000', want: 8000 },
    { name: 'rising by 20 (:898)', series: '0+20x1000 200+30x1000', want: 16000 },
    { name: 'rising by 40 (:898)', series: '0+40x2000', want: 32000 },
    { name: 'falling to 0 (:927)', series: '8000-10x1000', want: 0 },
    { name: 'falling by 20 (:927)', series: '0-20x1000', want: -16000 },
  ])('$name', ({ series, want }) => {
    const w = windowAt(loadSeries(10 * SEC, series), 8000 * SEC, MIN);
    expectClose(RANGE_FUNCTIONS.double_exponential_smoothing(w, [0.01, 0.1]), want, 1e-9);
  });

  it.each([
    { name: 'sf = 0', args: [0, 0.5], message: 'invalid smoothing factor. Expected: 0 < sf < 1, got: 0.000000' },
    { name: 'sf = 1', args: [1, 0.5], message: 'invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000' },
    { name: 'tf = -0.5', args: [0.5, -0.5], message: 'invalid trend factor. Expected: 0 < tf < 1, got: -0.500000' },
    { name: 'tf = +Inf', args: [0.5, Infinity], message: 'invalid trend factor. Expected: 0 < tf < 1, got: +Inf' },
  ])('fails the query for $name', ({ args, message }) => {
    const w = windowAt(loadSeries(10 * SEC, '1 2 3'), 30 * SEC, MIN);
    expect(() => RANGE_FUNCTIONS.double_exponential_smoothing(w, args)).toThrow(new PromQLExecutionError(message));
    expect(() => RANGE_FUNCTIONS.double_exponential_smoothing(w, args)).toThrow(PromQLExecutionError);
  });

  it('lets a NaN factor through, as Prometheus does', () => {
    const w = windowAt(loadSeries(10 * SEC, '1 2 3'), 30 * SEC, MIN);
    expect(RANGE_FUNCTIONS.double_exponential_smoothing(w, [NaN, 0.5])).toBeNaN();
  });

  it('checks the factors even for a single sample, then gives nothing', () => {
    const w = windowAt(loadSeries(10 * SEC, '1'), 0, MIN);
    expect(() => RANGE_FUNCTIONS.double_exponential_smoothing(w, [2, 0.5])).toThrow(PromQLExecutionError);
    expect(RANGE_FUNCTIONS.double_exponential_smoothing(w, [0.5, 0.5])).toBeUndefined();
  });
});

describe('formatGoFixed6 (Go %f)', () => {
  it.each([
    { v: 1, want: '1.000000' },
    { v: -0, want: '-0.000000' },
    { v: 1.5e-7, want: '0.000000' },
    { v: 123.4567891, want: '123.456789' },
    { v: 1e21, want: '1000000000000000000000.000000' },
    { v: NaN, want: 'NaN' },
    { v: -Infinity, want: '-Inf' },
  ])('$v → $want', ({ v, want }) => {
    expect(formatGoFixed6(v)).toBe(want);
  });
});
