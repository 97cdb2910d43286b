import { SIMPLE_FUNCTIONS, clampGivesNoSample, goLog2, goMax, goMin } from './simple';
import { expectClose } from './testing/spec-helpers';

// Expected numbers come from Prometheus's promql/promqltest/testdata/functions.test and
// trig_functions.test (v3.14.0); transcendental functions may differ from Go in the last bit, as
// Go's own results differ between amd64 and arm64, so those compare to 1e-14.

const f = (name: string, v: number, args: number[] = []): number => SIMPLE_FUNCTIONS[name](v, args);

describe('abs, ceil, floor, round, sgn (functions.test:1663-1720, :680)', () => {
  const inputs = [2.5, 2, -2.5, -2, 0, -0, Infinity, -Infinity, NaN];
  it.each([
    { fn: 'abs', want: [2.5, 2, 2.5, 2, 0, 0, Infinity, Infinity, NaN] },
    { fn: 'ceil', want: [3, 2, -2, -2, 0, -0, Infinity, -Infinity, NaN] },
    { fn: 'floor', want: [2, 2, -3, -2, 0, -0, Infinity, -Infinity, NaN] },
    { fn: 'round', want: [3, 2, -2, -2, 0, 0, Infinity, -Infinity, NaN] },
    { fn: 'sgn', want: [1, 1, -1, -1, 0, -0, 1, -1, NaN] },
  ])('$fn of 2.5 2 -2.5 -2 0 -0 Inf -Inf NaN', ({ fn, want }) => {
    expect(inputs.map((v) => f(fn, v))).toEqual(want);
  });

  it.each([
    { name: 'to tenths', v: 1.2345, toNearest: 0.1, want: 1.2 },
    { name: 'to hundredths: binary 1.005 lies below the tie', v: 1.005, toNearest: 0.01, want: 1 },
    { name: 'to hundredths, exact tie rounds up', v: 1.125, toNearest: 0.25, want: 1.25 },
    { name: 'to twos', v: 5, toNearest: 2, want: 6 },
    { name: 'negative tie rounds up', v: -5, toNearest: 2, want: -4 },
    { name: 'to fives', v: 12.4, toNearest: 5, want: 10 },
  ])('round $name', ({ v, toNearest, want }) => {
    expectClose(f('round', v, [toNearest]), want, 1e-15);
  });
});

describe('clamp family (functions.test:617-652)', () => {
  it.each([
    { name: 'clamp_max', fn: 'clamp_max', args: [75], want: [-50, 0, 75] },
    { name: 'clamp_min', fn: 'clamp_min', args: [-25], want: [-25, 0, 100] },
    { name: 'clamp', fn: 'clamp', args: [-25, 75], want: [-25, 0, 75] },
    { name: 'clamp with NaN max', fn: 'clamp', args: [0, NaN], want: [NaN, NaN, NaN] },
    { name: 'clamp with NaN min', fn: 'clamp', args: [NaN, 0], want: [NaN, NaN, NaN] },
  ])('$name of -50 0 100', ({ fn, args, want }) => {
    expect([-50, 0, 100].map((v) => f(fn, v, args))).toEqual(want);
  });

  it.each([
    { min: 5, max: -5, none: true },
    { min: -5, max: 5, none: false },
    { min: 1, max: 1, none: false },
    { min: NaN, max: 0, none: false },
  ])('clamp($min, $max) gives no sample: $none (:652)', ({ min, max, none }) => {
    expect(clampGivesNoSample(min, max)).toBe(none);
  });

  it.each([
    { name: 'clamp_min(NaN, +Inf) is +Inf: Go math.Max lets +Inf win over NaN', fn: 'clamp_min', v: NaN, args: [Infinity], want: Infinity },
    { name: 'clamp_max(NaN, -Inf) is -Inf', fn: 'clamp_max', v: NaN, args: [-Infinity], want: -Infinity },
    { name: 'clamp_min(NaN, 1) is NaN', fn: 'clamp_min', v: NaN, args: [1], want: NaN },
  ])('$name', ({ fn, v, args, want }) => {
    expect(f(fn, v, args)).toBe(want);
  });

  it.each([
    { x: Infinity, y: NaN, max: Infinity, min: NaN },
    { x: -Infinity, y: NaN, max: NaN, min: -Infinity },
    { x: -0, y: 0, max: 0, min: -0 },
    { x: 1, y: 2, max: 2, min: 1 },
  ])('goMax/goMin($x, $y)', ({ x, y, max, min }) => {
    expect(goMax(x, y)).toBe(max);
    expect(goMax(y, x)).toBe(max);
    expect(goMin(x, y)).toBe(min);
    expect(goMin(y, x)).toBe(min);
  });
});

describe('exp, ln, log2, log10, sqrt (functions.test:1924-2000)', () => {
  it.each([
    { fn: 'exp', v: 10, want: 22026.465794806718 },
    { fn: 'exp', v: 20, want: 485165195.4097903 },
    { fn: 'exp', v: -10, want: 4.5399929762484854e-5 },
    { fn: 'ln', v: 10, want: 2.302585092994046 },
    { fn: 'ln', v: 0, want: -Infinity },
    { fn: 'ln', v: -10, want: NaN },
    { fn: 'sqrt', v: 10, want: 3.1622776601683795 },
    { fn: 'sqrt', v: 20, want: 4.47213595499958 },
    { fn: 'log2', v: 10, want: 3.3219280948873626 },
    { fn: 'log2', v: 20, want: 4.321928094887363 },
    { fn: 'log2', v: 0, want: -Infinity },
    { fn: 'log2', v: -10, want: NaN },
    { fn: 'log10', v: 10, want: 1 },
    { fn: 'log10', v: 20, want: 1.301029995663981 },
    { fn: 'log10', v: 0, want: -Infinity },
  ])('$fn($v) = $want', ({ fn, v, want }) => {
    expectClose(f(fn, v), want, 1e-14);
  });

  it.each([1, 2, 1024, 0.5, 2 ** -1074, 2 ** 1023])('log2(%d) is exact for powers of two', (v) => {
    expect(goLog2(v)).toBe(Math.round(Math.log2(v)));
  });

  it.each([10, 100, 1000, 1e6])('log10(%d) is an integer', (v) => {
    expect(f('log10', v)).toBe(Math.round(Math.log10(v)));
  });
});

describe('trigonometry (trig_functions.test)', () => {
  it.each([
    { fn: 'sin', v: 10, want: -0.5440211108893699 },
    { fn: 'cos', v: 10, want: -0.8390715290764524 },
    { fn: 'tan', v: 20, want: 2.2371609442247427 },
    { fn: 'asin', v: -0.1, want: -0.10016742116155944 },
    { fn: 'acos', v: -0.1, want: 1.670963747956456 },
    { fn: 'atan', v: 20, want: 1.5208379310729538 },
    { fn: 'sinh', v: 20, want: 2.4258259770489514e8 },
    { fn: 'cosh', v: 10, want: 11013.232920103324 },
    { fn: 'tanh', v: 10, want: 0.9999999958776927 },
    { fn: 'asinh', v: 10, want: 2.99822295029797 },
    { fn: 'acosh', v: 20, want: 3.6882538673612966 },
    { fn: 'atanh', v: -0.1, want: -0.10033534773107522 },
    { fn: 'rad', v: 20, want: 0.3490658503988659 },
    { fn: 'deg', v: 10, want: 572.9577951308232 },
    { fn: 'deg', v: -10, want: -572.9577951308232 },
  ])('$fn($v) = $want', ({ fn, v, want }) => {
    expectClose(f(fn, v), want, 1e-14);
  });

  it.each(['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'rad', 'deg'])('%s(NaN) is NaN', (fn) => {
    expect(f(fn, NaN)).toBeNaN();
  });
});

describe('date functions (functions.test:1453-1532; value = Unix seconds, UTC)', () => {
  it.each([
    { name: 'epoch', v: 0, year: 1970, month: 1, dom: 1, doy: 1, dow: 4, hour: 0, minute: 0, dim: 31 },
    { name: '2006-01-02 22:04:05 (:1462-1500)', v: 1136239445, year: 2006, month: 1, dom: 2, doy: 2, dow: 1, hour: 22, minute: 4, dim: 31 },
    { name: 'just before the 2008 leap second (:1503)', v: 1230767999, year: 2008, month: 12, dom: 31, doy: 366, dow: 3, hour: 23, minute: 59, dim: 31 },
    { name: 'just after it (:1507)', v: 1230768000, year: 2009, month: 1, dom: 1, doy: 1, dow: 4, hour: 0, minute: 0, dim: 31 },
    { name: '2016-02-29 23:59:59 (:1511)', v: 1456790399, year: 2016, month: 2, dom: 29, doy: 60, dow: 1, hour: 23, minute: 59, dim: 29 },
    { name: '2016-03-01 (:1515)', v: 1456790400, year: 2016, month: 3, dom: 1, doy: 61, dow: 2, hour: 0, minute: 0, dim: 31 },
    { name: '2016-12-31 13:37 (:1519)', v: 1483191420, year: 2016, month: 12, dom: 31, doy: 366, dow: 6, hour: 13, minute: 37, dim: 31 },
    { name: '2022-12-31 13:37 (:1523)', v: 1672493820, year: 2022, month: 12, dom: 31, doy: 365, dow: 6, hour: 13, minute: 37, dim: 31 },
    { name: '2017-02-01 (:1531)', v: 1485907200, year: 2017, month: 2, dom: 1, doy: 32, dow: 3, hour: 0, minute: 0, dim: 28 },
    { name: 'fractions truncate towards zero', v: 59.999, year: 1970, month: 1, dom: 1, doy: 1, dow: 4, hour: 0, minute: 0, dim: 31 },
    { name: 'before the epoch', v: -1, year: 1969, month: 12, dom: 31, doy: 365, dow: 3, hour: 23, minute: 59, dim: 31 },
    { name: 'fraction before the epoch truncates up to 0', v: -0.5, year: 1970, month: 1, dom: 1, doy: 1, dow: 4, hour: 0, minute: 0, dim: 31 },
    { name: 'year 2100 is no leap year', v: 4107542400, year: 2100, month: 3, dom: 1, doy: 60, dow: 1, hour: 0, minute: 0, dim: 31 },
  ])('$name', ({ v, year, month, dom, doy, dow, hour, minute, dim }) => {
    expect({
      year: f('year', v),
      month: f('month', v),
      dom: f('day_of_month', v),
      doy: f('day_of_year', v),
      dow: f('day_of_week', v),
      hour: f('hour', v),
      minute: f('minute', v),
      dim: f('days_in_month', v),
    }).toEqual({ year, month, dom, doy, dow, hour, minute, dim });
  });

  it.each([-62135596800, -1e10, 1e9, 253402300799, 8.6e12])('agrees with the proleptic Gregorian calendar of Date.UTC at %d s', (v) => {
    const d = new Date(v * 1000);
    expect([f('year', v), f('month', v), f('day_of_month', v), f('day_of_week', v), f('hour', v), f('minute', v)]).toEqual([
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d.getUTCDay(),
      d.getUTCHours(),
      d.getUTCMinutes(),
    ]);
  });

  it('keeps working past the range of Date: 400-year cycles repeat the calendar', () => {
    const cycle = 146097 * 86400;
    const v = 1456790399 + 1000 * cycle;
    expect([f('year', v), f('month', v), f('day_of_month', v), f('day_of_year', v), f('days_in_month', v)]).toEqual([402016, 2, 29, 60, 29]);
  });

  it.each([NaN, Infinity, -Infinity])('%d gives NaN', (v) => {
    expect(f('year', v)).toBeNaN();
  });
});

describe('SIMPLE_FUNCTIONS', () => {
  it('covers every element-wise function of Prometheus 3', () => {
    expect(Object.keys(SIMPLE_FUNCTIONS).sort()).toEqual(
      [
        'abs', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'ceil', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh',
        'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'deg', 'exp', 'floor', 'hour', 'ln', 'log10', 'log2',
        'minute', 'month', 'rad', 'round', 'sgn', 'sin', 'sinh', 'sqrt', 'tan', 'tanh', 'year',
      ].sort(),
    );
  });
});
