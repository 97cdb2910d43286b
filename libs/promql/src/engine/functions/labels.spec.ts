import type { Labels } from '@panoptes/block-formats';
import { PromQLExecutionError } from '../../errors';
import { expandTemplate, labelJoin, labelReplace } from './label-functions';
import { naturalLess } from './natural-sort';

// Cases from Prometheus's promql/promqltest/testdata/functions.test (v3.14.0), label_replace at
// :477-528 and label_join at :561-591; Go regexp ExpandString rules; facette/natsort's tests.

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

const original: Labels = [
  ['__name__', 'testmetric'],
  ['dst', 'original-destination-value'],
  ['src', 'source-value-10'],
];

describe('labelReplace', () => {
  it.each([
    { name: 'full-string match and replace (:477)', args: ['dst', 'destination-value-$1', 'src', 'source-value-(.*)'], dst: 'destination-value-10' },
    { name: 'no substring match (:482)', args: ['dst', 'destination-value-$1', 'src', 'value-(.*)'], dst: 'original-destination-value' },
    { name: 'several capture groups (:487)', args: ['dst', '$1-value-$2', 'src', '(.*)-value-(.*)'], dst: 'source-value-10' },
    { name: 'a missing source does not match a non-empty pattern (:493)', args: ['dst', 'value-$1', 'nonexistent-src', 'source-value-(.*)'], dst: 'original-destination-value' },
    { name: 'a missing source is "" and can match (:499)', args: ['dst', 'value-$1', 'nonexistent-src', '(.*)'], dst: 'value-' },
    { name: 'no match leaves the labels alone (:505)', args: ['dst', 'value-$1', 'src', 'non-matching-regex'], dst: 'original-destination-value' },
    { name: 'an empty result drops the label (:514)', args: ['dst', '', 'dst', '.*'], dst: undefined },
    { name: 'named groups, RE2 (?P<name>) syntax', args: ['dst', '${num}-${word}', 'src', '(?P<word>[a-z-]+)-(?P<num>\\d+)'], dst: '10-source-value' },
    { name: 'dot matches newlines', args: ['dst', '$1', 'src', '(s.*)'], dst: 'source-value-10' },
    { name: 'case-insensitive flag', args: ['dst', 'x', 'src', '(?i)SOURCE.*'], dst: 'x' },
  ])('$name', ({ args, dst }) => {
    const out = labelReplace(original, args[0], args[1], args[2], args[3]);
    expect(Object.fromEntries(out).dst).toBe(dst);
    expect(out.map(([n]) => n)).toEqual([...out.map(([n]) => n)].sort());
  });

  it('returns the very same labels when nothing matches', () => {
    expect(labelReplace(original, 'dst', 'x', 'src', 'nope')).toBe(original);
  });

  it('inserts a new label in sorted position', () => {
    expect(labelReplace(original, 'job', 'j', 'src', '.*')).toEqual([
      ['__name__', 'testmetric'],
      ['dst', 'original-destination-value'],
      ['job', 'j'],
      ['src', 'source-value-10'],
    ]);
  });

  it.each([
    { name: 'an invalid regex (:519)', args: ['dst', 'value-$1', 'src', '(.*'], message: 'invalid regular expression in label_replace(): (.*' },
    { name: 'an invalid destination name (:523)', args: ['\udcff', '', 'src', '(.*)'], message: 'invalid destination label name in label_replace(): \udcff' },
    { name: 'an empty destination name', args: ['', '', 'src', '(.*)'], message: 'invalid destination label name in label_replace(): ' },
  ])('fails the query for $name, even with no series', ({ args, message }) => {
    const err = thrown(() => labelReplace([], args[0], args[1], args[2], args[3]));
    expect(err).toBeInstanceOf(PromQLExecutionError);
    expect(err.message).toBe(message);
  });

  it('checks the regex before the destination name, as Prometheus does', () => {
    expect(() => labelReplace([], '', 'x', 'src', '(')).toThrow('invalid regular expression in label_replace(): (');
  });
});

describe('labelJoin', () => {
  const l: Labels = [
    ['__name__', 'testmetric'],
    ['dst', 'original-destination-value'],
    ['src', 'a'],
    ['src1', 'b'],
    ['src2', 'c'],
  ];
  it.each([
    { name: 'joins in argument order (:562)', sep: '-', srcs: ['src', 'src1', 'src2'], dst: 'a-b-c' },
    { name: 'missing sources are empty strings (:567)', sep: '-', srcs: ['src', 'src3', 'src1'], dst: 'a--b' },
    { name: 'an empty result drops the label (:572)', sep: '', srcs: ['emptysrc', 'emptysrc1', 'emptysrc2'], dst: undefined },
    { name: 'no sources drop the label (:577)', sep: ', ', srcs: [], dst: undefined },
    { name: 'multi-character separator (:587)', sep: ', ', srcs: ['src', 'src1', 'src2'], dst: 'a, b, c' },
  ])('$name', ({ sep, srcs, dst }) => {
    expect(Object.fromEntries(labelJoin(l, 'dst', sep, srcs)).dst).toBe(dst);
  });

  it.each([
    { name: 'an invalid source name', dst: 'dst', srcs: ['ok', '\udcff'], message: 'invalid source label name in label_join(): \udcff' },
    { name: 'an invalid destination name', dst: '', srcs: ['ok'], message: 'invalid destination label name in label_join(): ' },
    { name: 'sources before the destination', dst: '', srcs: [''], message: 'invalid source label name in label_join(): ' },
  ])('fails the query for $name', ({ dst, srcs, message }) => {
    const err = thrown(() => labelJoin([], dst, '-', srcs));
    expect(err).toBeInstanceOf(PromQLExecutionError);
    expect(err.message).toBe(message);
  });
});

describe('expandTemplate (Go Regexp.ExpandString)', () => {
  const match = /^(?<first>a)(b)?(c)$/.exec('ac') as RegExpExecArray;
  it.each([
    { template: '$1', want: 'a' },
    { template: '${1}x', want: 'ax' },
    { template: '$1x', want: '' },
    { template: '$first', want: 'a' },
    { template: '${first}-$3', want: 'a-c' },
    { template: '$2', want: '' },
    { template: '$9', want: '' },
    { template: '$01', want: '' },
    { template: '$0', want: 'ac' },
    { template: '$$1', want: '$1' },
    { template: 'cost: $', want: 'cost: $' },
    { template: '${1', want: '${1' },
    { template: '$-', want: '$-' },
    { template: 'no dollars', want: 'no dollars' },
    { template: '$é', want: '' },
  ])('$template → $want', ({ template, want }) => {
    expect(expandTemplate(template, match)).toBe(want);
  });
});

describe('naturalLess (facette/natsort)', () => {
  it('sorts natsort_test.go Test_Sort1 the way it expects', () => {
    const input = [
      '1000X Radonius Maximus', '000050X Radonius', '10X Radonius', '200X Radonius', '20X Radonius', '20X Radonius Prime',
      '30X Radonius', '40X Radonius', 'Allegia 50 Clasteron', 'Allegia 500 Clasteron', 'Allegia 50B Clasteron',
      'Allegia 51 Clasteron', 'Allegia 6R Clasteron', 'Alpha 100', 'Alpha 2', 'Alpha 200', 'Alpha 2A', 'Alpha 2A-8000',
      'Alpha 2A-900', 'Callisto Morphamax', 'Callisto Morphamax 500', 'Callisto Morphamax 5000', 'Callisto Morphamax 600',
      'Callisto Morphamax 6000 SE', 'Callisto Morphamax 6000 SE2', 'Callisto Morphamax 700', 'Callisto Morphamax 7000',
      'Xiph Xlater 10000', 'Xiph Xlater 2000', 'Xiph Xlater 300', 'Xiph Xlater 40', 'Xiph Xlater 5', 'Xiph Xlater 50',
      'Xiph Xlater 500', 'Xiph Xlater 5000', 'Xiph Xlater 58',
    ];
    const sorted = [...input].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
    expect(sorted).toEqual([
      '10X Radonius', '20X Radonius', '20X Radonius Prime', '30X Radonius', '40X Radonius', '000050X Radonius', '200X Radonius',
      '1000X Radonius Maximus', 'Allegia 6R Clasteron', 'Allegia 50 Clasteron', 'Allegia 50B Clasteron', 'Allegia 51 Clasteron',
      'Allegia 500 Clasteron', 'Alpha 2', 'Alpha 2A', 'Alpha 2A-900', 'Alpha 2A-8000', 'Alpha 100', 'Alpha 200',
      'Callisto Morphamax', 'Callisto Morphamax 500', 'Callisto Morphamax 600', 'Callisto Morphamax 700',
      'Callisto Morphamax 5000', 'Callisto Morphamax 6000 SE', 'Callisto Morphamax 6000 SE2', 'Callisto Morphamax 7000',
      'Xiph Xlater 5', 'Xiph Xlater 40', 'Xiph Xlater 50', 'Xiph Xlater 58', 'Xiph Xlater 300', 'Xiph Xlater 500',
      'Xiph Xlater 2000', 'Xiph Xlater 5000', 'Xiph Xlater 10000',
    ]);
  });

  it.each([
    // functions.test:858 and :871-880 (sort_by_label)
    { a: '2', b: '10', less: true },
    { a: '10', b: '2', less: false },
    { a: '4m600', b: '4m1000', less: true },
    { a: '1.2.3', b: '1.11.3', less: true },
    { a: '1.11.3', b: '1.111.3', less: true },
    { a: 'z2.doc', b: 'z10.doc', less: true },
    { a: '', b: 'a', less: true },
    { a: 'a', b: '', less: false },
    { a: 'same', b: 'same', less: false },
    { a: 'a', b: 'ab', less: true },
    { a: 'B', b: 'a', less: true },
    { a: 'é', b: '\u{1F600}', less: true },
    { a: '\uFFFF', b: '\u{10000}', less: true },
  ])('naturalLess($a, $b) is $less', ({ a, b, less }) => {
    expect(naturalLess(a, b)).toBe(less);
  });
});
