import { KahanSum, kahanCompensation } from './kahan';
import { quantile, scratchBuffer, sortFloats, variance } from './quantile';

// Cases from Prometheus's promql/promqltest/testdata/aggregators.test (v3.14.0) :503-547 and
// functions.test; Kahan cases from util/kahansum behaviour.

describe('quantile', () => {
  it.each([
    { name: 'two samples, φ=0.8 (:503)', values: [0, 1], q: 0.8, want: 0.8 },
    { name: 'three samples, φ=0.8 (:503)', values: [0, 1, 2], q: 0.8, want: 1.6 },
    { name: 'uneven samples, φ=0.8 (:503)', values: [0, 1, 4], q: 0.8, want: 2.8 },
    { name: 'NaN is the smallest value, φ=0.8 (:503)', values: [0, 1, NaN], q: 0.8, want: 0.6 },
    { name: 'between NaN and 0 is NaN, φ=0.2 (:512)', values: [0, 1, NaN], q: 0.2, want: NaN },
    { name: 'φ=0.2 two samples (:512)', values: [1, 0], q: 0.2, want: 0.2 },
    { name: 'φ=0.2 uneven (:512)', values: [4, 1, 0], q: 0.2, want: 0.4 },
    { name: 'φ=NaN (:544)', values: [0, 1], q: NaN, want: NaN },
    { name: 'φ<0', values: [0, 1], q: -0.1, want: -Infinity },
    { name: 'φ>1', values: [0, 1], q: 1.1, want: Infinity },
    { name: 'no values', values: [], q: 0.5, want: NaN },
    { name: 'one value', values: [7], q: 0.9, want: 7 },
    { name: 'φ=1 takes the maximum', values: [3, 9, 1], q: 1, want: 9 },
  ])('$name', ({ values, q, want }) => {
    const got = quantile(q, Float64Array.from(values), values.length);
    if (Number.isNaN(want)) expect(got).toBeNaN();
    else expect(got).toBeCloseTo(want, 12);
  });

  it('reads only the first n entries', () => {
    expect(quantile(0.5, Float64Array.of(3, 1, 100, 100), 2)).toBe(2);
  });

  it('works on plain arrays', () => {
    expect(quantile(0.5, [5, 1, 3], 3)).toBe(3);
  });
});

describe('sortFloats', () => {
  it.each([
    { name: 'NaNs first, then ascending', input: [3, NaN, 1, NaN, 2], want: [NaN, NaN, 1, 2, 3] },
    { name: 'infinities at the ends', input: [0, Infinity, -Infinity, -1], want: [-Infinity, -1, 0, Infinity] },
    { name: 'already sorted', input: [1, 2, 3], want: [1, 2, 3] },
    { name: 'empty', input: [], want: [] },
  ])('$name', ({ input, want }) => {
    const a = Float64Array.from(input);
    sortFloats(a, a.length);
    expect(Array.from(a)).toEqual(want);
  });

  it('sorts large arrays with duplicates (quicksort path)', () => {
    const values: number[] = [];
    for (let i = 0; i < 2000; i++) values.push(((i * 7919) % 503) - 250, i % 3 === 0 ? 0 : i);
    const a = Float64Array.from(values);
    sortFloats(a, a.length);
    expect(Array.from(a)).toEqual([...values].sort((x, y) => x - y));
  });
});

describe('KahanSum', () => {
  it.each([
    { name: 'small values next to cancelling giants (functions.test:1084)', values: [1, 1e100, 1, -1e100], want: 2 },
    { name: 'plain addition', values: [1, 2, 3], want: 6 },
    { name: 'a tenth ten times is exactly 1', values: Array(10).fill(0.1), want: 1 },
    { name: '+Inf stays +Inf', values: [1, Infinity, 1], want: Infinity },
    { name: '+Inf and -Inf give NaN', values: [Infinity, -Infinity], want: NaN },
    { name: 'nothing is 0', values: [], want: 0 },
  ])('$name', ({ values, want }) => {
    const k = new KahanSum();
    for (const v of values) k.add(v);
    if (Number.isNaN(want)) expect(k.value()).toBeNaN();
    else expect(k.value()).toBe(want);
  });

  it('starts over after reset', () => {
    const k = new KahanSum();
    k.add(1e100);
    k.reset();
    k.add(1);
    expect([k.value(), k.rawSum, k.compensation]).toEqual([1, 1, 0]);
  });

  it('resets the compensation when the sum overflows, as kahansum.Inc does', () => {
    expect(kahanCompensation(Number.MAX_VALUE, Number.MAX_VALUE, 5)).toBe(0);
  });
});

describe('variance', () => {
  it.each([
    { name: 'stdvar_over_time (functions.test:1240)', values: [0, 8, 8, 2, 3], want: 10.56 },
    { name: 'a repeated irrational value is exactly 0 (functions.test:1270)', values: [1.5990505637277868, 1.5990505637277868, 1.5990505637277868], want: 0 },
    { name: 'one value', values: [5], want: 0 },
  ])('$name', ({ values, want }) => {
    expect(variance(Float64Array.from(values), 0, values.length)).toBeCloseTo(want, 12);
  });
});

describe('scratchBuffer', () => {
  it('grows to the requested size and is reused', () => {
    const a = scratchBuffer(10);
    expect(scratchBuffer(5)).toBe(a);
    expect(scratchBuffer(100_000).length).toBeGreaterThanOrEqual(100_000);
  });
});
