import { bucketFraction } from './bucket-fraction';
import { type BucketQuantileNotes, type MonotonicityFix, almostEqual, bucketQuantile, forcedMonotonicityMessage } from './bucket-quantile';
import { ForcedMonotonicityInfos } from './monotonicity-info';
import { parseLe } from './parse-le';
import { RecordingNotes, expectClose } from './testing/spec-helpers';

// Expected numbers come from Prometheus's promql/promqltest/testdata/histograms.test (v3.14.0)
// and promql/quantile_test.go (TestBucketQuantile_ForcedMonotonicity).

type Buckets = [le: number, count: number][];

function quantileOf(q: number, buckets: Buckets, notes: BucketQuantileNotes = new RecordingNotes(), name = ''): number {
  const ub = Float64Array.from(buckets, (b) => b[0]);
  const c = Float64Array.from(buckets, (b) => b[1]);
  return bucketQuantile(q, ub, c, buckets.length, notes, name);
}

function fractionOf(lower: number, upper: number, buckets: Buckets): number {
  return bucketFraction(lower, upper, Float64Array.from(buckets, (b) => b[0]), Float64Array.from(buckets, (b) => b[1]), buckets.length);
}

// histograms.test:8, testhistogram_bucket at 50m, listed in label order (unsorted by bound).
const positive: Buckets = [[0.1, 50], [Infinity, 120], [0.2, 70], [1, 110]];
const negative: Buckets = [[-0.2, 10], [-0.1, 20], [0.3, 20], [Infinity, 30]];
// histograms.test:30, testhistogram3_bucket
const positive3: Buckets = [[0, 0], [0.1, 50], [0.2, 70], [1, 110], [Infinity, 110]];
const negative3: Buckets = [[-0.25, 0], [-0.2, 10], [-0.1, 20], [0.3, 20], [Infinity, 20]];
// histograms.test:21, testhistogram2_bucket
const evenly: Buckets = [[0, 0], [2, 10], [4, 20], [6, 30], [Infinity, 30]];
// histograms.test:1016
const nonmonotonic: Buckets = [[0.1, 20], [1, 10], [10, 50], [100, 40], [1000, 90], [Infinity, 80]];

describe('bucketQuantile', () => {
  it.each([
    { name: 'q=0, positive (:714)', q: 0, buckets: positive, want: 0 },
    { name: 'q=0, lowest bound ≤ 0 is returned (:714)', q: 0, buckets: negative, want: -0.2 },
    { name: 'q=1 gives the second-highest bound (:726)', q: 1, buckets: positive, want: 1 },
    { name: 'q=1 negative (:726)', q: 1, buckets: negative, want: 0.3 },
    { name: 'q=0.2 (:738)', q: 0.2, buckets: positive, want: 0.048 },
    { name: 'q=0.2 in the lowest bucket with bound ≤ 0 (:738)', q: 0.2, buckets: negative, want: -0.2 },
    { name: 'q=0.5 (:748)', q: 0.5, buckets: positive, want: 0.15 },
    { name: 'q=0.5 negative (:748)', q: 0.5, buckets: negative, want: -0.15 },
    { name: 'q=0.8 (:758)', q: 0.8, buckets: positive, want: 0.72 },
    { name: 'q=0.8 in the +Inf bucket (:758)', q: 0.8, buckets: negative, want: 0.3 },
    { name: 'testhistogram3 q=0 (:556)', q: 0, buckets: negative3, want: -0.25 },
    { name: 'testhistogram3 q=0.25 (:566)', q: 0.25, buckets: positive3, want: 0.055 },
    { name: 'testhistogram3 q=0.25 negative (:566)', q: 0.25, buckets: negative3, want: -0.225 },
    { name: 'testhistogram3 q=0.5 (:576)', q: 0.5, buckets: positive3, want: 0.125 },
    { name: 'testhistogram3 q=0.75 (:586)', q: 0.75, buckets: positive3, want: 0.45 },
    { name: 'testhistogram3 q=1 (:596)', q: 1, buckets: positive3, want: 1 },
    { name: 'testhistogram3 q=1 negative (:596)', q: 1, buckets: negative3, want: -0.1 },
    { name: 'q=1/6 mid-bucket (:800)', q: 1 / 6, buckets: evenly, want: 1 },
    { name: 'q=1/2 mid-bucket (:808)', q: 0.5, buckets: evenly, want: 3 },
    { name: 'q=5/6 mid-bucket (:816)', q: 5 / 6, buckets: evenly, want: 5 },
    { name: 'equal bounds are merged (:1044)', q: 0.5, buckets: [[0.1, 1], [0.2, 1], [0.2, 1], [0.2, 1], [Infinity, 4]], want: 0.15 },
    { name: 'no observations (:1044 ins2)', q: 0.5, buckets: [[Infinity, 0], [Infinity, 0]], want: NaN },
    { name: 'monotonicity forced, q=0.01 (:1025)', q: 0.01, buckets: nonmonotonic, want: 0.0045 },
    { name: 'monotonicity forced, q=0.5 (:1029)', q: 0.5, buckets: nonmonotonic, want: 8.5 },
    { name: 'monotonicity forced, q=0.99 (:1033)', q: 0.99, buckets: nonmonotonic, want: 979.75 },
    { name: 'q<0 (:642)', q: -0.1, buckets: positive, want: -Infinity },
    { name: 'q>1 (:664)', q: 1.01, buckets: positive, want: Infinity },
    { name: 'q=NaN (:686)', q: NaN, buckets: positive, want: NaN },
    { name: 'no +Inf bucket', q: 0.5, buckets: [[1, 1], [2, 2]], want: NaN },
    { name: 'only the +Inf bucket', q: 0.5, buckets: [[Infinity, 5]], want: NaN },
  ])('$name', ({ q, buckets, want }) => {
    expectClose(quantileOf(q, buckets as Buckets), want, 1e-12);
  });

  // quantile_test.go TestBucketQuantile_ForcedMonotonicity
  it.each([
    { name: 'simple - non-monotonic middle', buckets: [[10, 10], [15, 15], [20, 15.00000000001], [30, 15], [Infinity, 15]] as Buckets, want: { 1: 15, 0.99: 14.85, 0.9: 13.5, 0.5: 7.5 } },
    {
      name: 'real example 2 - non-monotonic',
      buckets: [[0.005, 9.6], [0.01, 9.688888889], [0.025, 9.755555556], [0.05, 9.844444444], [0.1, 9.888888889], [0.25, 9.888888889], [0.5, 9.888888889], [1, 9.888888889], [2.5, 9.888888889], [5, 9.888888889], [10, 9.888888889001], [25, 9.888888889], [50, 9.888888888999], [100, 9.888888889], [Infinity, 9.888888889]] as Buckets,
      want: { 1: 0.1, 0.99: 0.03468750000281261, 0.9: 0.00463541666671875, 0.5: 0.0025752314815104174 },
    },
  ])('ignores float noise between buckets silently: $name', ({ buckets, want }) => {
    for (const [q, v] of Object.entries(want)) {
      const notes = new RecordingNotes();
      expectClose(quantileOf(Number(q), buckets, notes), v, 1e-12);
      expect(notes.infos).toEqual([]);
    }
  });

  it.each([
    { name: 'with the metric name', metric: 'nonmonotonic_bucket', info: `${'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)'} for metric name "nonmonotonic_bucket"` },
    { name: 'without a name', metric: '', info: 'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)' },
  ])('reports forced monotonicity as an info $name (:1025)', ({ metric, info }) => {
    const notes = new RecordingNotes();
    quantileOf(0.5, nonmonotonic, notes, metric);
    expect(notes.infos).toEqual([info]);
    expect(notes.warnings).toEqual([]);
  });

  it('passes the fix details to a notes sink that takes them', () => {
    const fixes: MonotonicityFix[] = [];
    const notes: BucketQuantileNotes = { warn: () => undefined, info: () => undefined, forcedMonotonicity: (_name, _t, fix) => fixes.push({ ...fix }) };
    const ub = Float64Array.from(nonmonotonic, (b) => b[0]);
    const c = Float64Array.from(nonmonotonic, (b) => b[1]);
    bucketQuantile(0.5, ub, c, nonmonotonic.length, notes, 'x', 3_000_000);
    expect(fixes).toEqual([{ minBucket: 1, maxBucket: Infinity, maxDiff: 10 }]);
  });

  it('reports nothing for invalid q, as Prometheus returns before fixing', () => {
    const notes = new RecordingNotes();
    quantileOf(NaN, nonmonotonic, notes);
    expect(notes.infos).toEqual([]);
  });

  it('sorts and merges the first n entries in place and ignores the rest', () => {
    const ub = Float64Array.of(Infinity, 1, 0.5, 99);
    const c = Float64Array.of(10, 5, 5, 99);
    expect(bucketQuantile(0.25, ub, c, 3, new RecordingNotes(), '')).toBeCloseTo(0.25, 12);
    expect(Array.from(ub)).toEqual([0.5, 1, Infinity, 99]);
  });

  it('sorts many buckets (heapsort path)', () => {
    const buckets: Buckets = [];
    for (let i = 100; i >= 1; i--) buckets.push([i, i]);
    buckets.push([Infinity, 100]);
    expectClose(quantileOf(0.5, buckets), 50, 1e-12);
  });
});

describe('ForcedMonotonicityInfos', () => {
  // util/annotations/annotations_test.go TestAnnotations_AsStrings: three fixes merge into one text.
  it('merges the fixes of a query into one info per metric name', () => {
    const infos = new ForcedMonotonicityInfos();
    infos.add('series_1', 1735084800000, { minBucket: 5, maxBucket: 50, maxDiff: 5.5 });
    infos.add('series_1', 1703462400000, { minBucket: 10, maxBucket: 100, maxDiff: 10 });
    infos.add('series_1', 1733011200000, { minBucket: 2.5, maxBucket: 75, maxDiff: 7.5 });
    expect(infos.texts()).toEqual([
      `${forcedMonotonicityMessage('series_1')}, from buckets 2.5 to 100, with a max diff of 10, over 3 samples from 2023-12-25T00:00:00Z to 2024-12-25T00:00:00Z`,
    ]);
  });
});

describe('bucketFraction (histograms.test:115-533, classic _bucket series at 50m)', () => {
  const small: Buckets = [[1, 1], [2, 3], [3, 6], [Infinity, 100]];
  const neg: Buckets = [[-3, 10], [-2, 12], [-1, 15], [Infinity, 100]];
  it.each([
    { name: '(0, 4) of testhistogram2 (:119)', lower: 0, upper: 4, buckets: evenly, want: 0.6666666666666666 },
    { name: '(0, 6) (:127)', lower: 0, upper: 6, buckets: evenly, want: 1 },
    { name: '(0, 3.5) (:135)', lower: 0, upper: 3.5, buckets: evenly, want: 0.5833333333333334 },
    { name: '(0, 0.2) of testhistogram3 (:145)', lower: 0, upper: 0.2, buckets: positive3, want: 0.6363636363636364 },
    { name: '(0, 0.2) of negative testhistogram3 (:145)', lower: 0, upper: 0.2, buckets: negative3, want: 0 },
    { name: 'lower in the first bucket (:172)', lower: 0, upper: 1.5, buckets: small, want: 0.02 },
    { name: 'negative buckets, first bucket from -Inf (:191)', lower: -4, upper: -2, buckets: neg, want: 0.02 },
    { name: 'lower is -Inf (:211)', lower: -Infinity, upper: -1.5, buckets: neg, want: 0.135 },
    { name: '-Inf to +Inf, positive (:228)', lower: -Infinity, upper: Infinity, buckets: small, want: 1 },
    { name: '-Inf to +Inf, negative (:245)', lower: -Infinity, upper: Infinity, buckets: neg, want: 1 },
    { name: 'both in the +Inf bucket (:263)', lower: 4, upper: 5, buckets: small, want: 0 },
    { name: 'both in the +Inf bucket, negative (:281)', lower: 0, upper: 1, buckets: neg, want: 0 },
    { name: 'upper in the +Inf bucket (:300)', lower: 2, upper: 5, buckets: small, want: 0.03 },
    { name: 'upper is +Inf (:318)', lower: 400, upper: Infinity, buckets: small, want: 0.94 },
    { name: 'lower equals upper (:335)', lower: 2, upper: 2, buckets: small, want: 0 },
    { name: 'lower above upper (:350)', lower: 3, upper: 2, buckets: small, want: 0 },
    { name: 'single +Inf bucket (:365)', lower: 0, upper: 1, buckets: [[Infinity, 100]], want: 0 },
    { name: 'all zero counts (:380)', lower: 0, upper: 5, buckets: [[1, 0], [2, 0], [3, 0], [Infinity, 0]], want: NaN },
    { name: 'lower on a boundary (:399)', lower: 2, upper: 3.5, buckets: small, want: 0.03 },
    { name: 'upper on a boundary (:418)', lower: 0.5, upper: 2, buckets: small, want: 0.025 },
    { name: 'both on boundaries (:437)', lower: 1, upper: 3, buckets: small, want: 0.05 },
    { name: 'fractional bounds (:455)', lower: 0.1, upper: 0.75, buckets: [[0.5, 2.5], [1, 7.5], [Infinity, 100]], want: 0.045 },
    { name: 'range crossing zero (:475)', lower: -1, upper: 1, buckets: [[-2, 5], [-1, 10], [0, 15], [1, 20], [Infinity, 100]], want: 0.1 },
    { name: 'lower NaN (:488)', lower: NaN, upper: 1, buckets: [[1, 1], [Infinity, 100]], want: NaN },
    { name: 'upper NaN (:501)', lower: 0, upper: NaN, buckets: [[1, 1], [Infinity, 100]], want: NaN },
    { name: 'entirely below (:515)', lower: -10, upper: -5, buckets: [[1, 1], [2, 3], [Infinity, 10]], want: 0 },
    { name: 'entirely above (:529)', lower: 5, upper: 10, buckets: [[1, 1], [2, 3], [Infinity, 10]], want: 0 },
    { name: 'no +Inf bucket', lower: 0, upper: 1, buckets: [[1, 1], [2, 3]], want: NaN },
    { name: 'no buckets', lower: 0, upper: 1, buckets: [], want: NaN },
  ])('$name', ({ lower, upper, buckets, want }) => {
    expectClose(fractionOf(lower, upper, buckets as Buckets), want, 1e-12);
  });
});

describe('parseLe (Go strconv.ParseFloat)', () => {
  it.each([
    { s: '0.1', want: 0.1 },
    { s: '.2', want: 0.2 },
    { s: '1e0', want: 1 },
    { s: '2.0e-1', want: 0.2 },
    { s: '-0.1', want: -0.1 },
    { s: '+Inf', want: Infinity },
    { s: '+inf', want: Infinity },
    { s: 'Inf', want: Infinity },
    { s: '-Infinity', want: -Infinity },
    { s: 'NaN', want: NaN },
    { s: 'nan', want: NaN },
    { s: '1.', want: 1 },
    { s: '1_000', want: 1000 },
    { s: '0x1p-2', want: 0.25 },
    { s: '0x1.8p1', want: 3 },
    { s: '-0X10P0', want: -16 },
    { s: '1e-400', want: 0 },
  ])('parses $s as $want', ({ s, want }) => {
    expectClose(parseLe(s), want);
  });

  it.each(['', 'Hello World', ' 1', '1 ', '+nan', 'infin', '1e400', '0x10', '1__0', '_1', '1_', '1_.5', '0x', '.', '1e', 'e5', '--1'])('rejects %j', (s) => {
    expect(parseLe(s)).toBeUndefined();
  });
});

describe('almostEqual (Go util/almost)', () => {
  it.each([
    { a: 1, b: 1 + 1e-13, eps: 1e-12, want: true },
    { a: 1, b: 1 + 1e-11, eps: 1e-12, want: false },
    { a: 0, b: 1e-300, eps: 1e-12, want: false },
    { a: 0, b: 1e-320, eps: 1e-12, want: true },
    { a: 0, b: 0, eps: 1e-12, want: true },
    { a: NaN, b: NaN, eps: 1e-12, want: true },
    { a: Infinity, b: Infinity, eps: 1e-12, want: true },
  ])('almostEqual($a, $b) is $want', ({ a, b, eps, want }) => {
    expect(almostEqual(a, b, eps)).toBe(want);
  });
});
