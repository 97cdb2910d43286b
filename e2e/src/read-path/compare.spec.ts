import { PromQueryResult } from '@panoptes/testing';
import { QueryAnswer, compareAnswers, labelsKey, parseApiValue, valuesAgree } from './compare';

const matrix = (...series: [Record<string, string>, [number, string][]][]): QueryAnswer => ({
  result: { resultType: 'matrix', result: series.map(([metric, values]) => ({ metric, values })) } as PromQueryResult,
});

describe('valuesAgree', () => {
  it.each([
    ['equal finite values', 1.5, 1.5, true],
    ['values within the relative tolerance', 1e12, 1e12 * (1 + 5e-6), true],
    ['values beyond the relative tolerance', 1, 1.00002, false],
    ['tiny values compared relatively, not absolutely', 1e-9, 1.1e-9, false],
    ['zero against a tiny value', 0, 1e-300, false],
    ['zero against minus zero', 0, -0, true],
    ['NaN against NaN', NaN, NaN, true],
    ['NaN against a number', NaN, 0, false],
    ['+Inf against +Inf', Infinity, Infinity, true],
    ['+Inf against -Inf', Infinity, -Infinity, false],
    ['+Inf against a large number', Infinity, Number.MAX_VALUE, false],
  ])('%s', (_name, a, b, want) => {
    expect(valuesAgree(a, b)).toBe(want);
    expect(valuesAgree(b, a)).toBe(want);
  });
});

describe('parseApiValue', () => {
  it.each([
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['1e-7', 1e-7],
    ['-0', -0],
  ])('reads %s', (text, want) => {
    expect(parseApiValue(text)).toBe(want);
  });

  it('reads NaN', () => {
    expect(parseApiValue('NaN')).toBeNaN();
  });
});

describe('compareAnswers', () => {
  const a = { __name__: 'm', job: 'x' };
  const b = { job: 'y' };

  it.each<[string, QueryAnswer, QueryAnswer, RegExp | null]>([
    ['identical matrices agree', matrix([a, [[1, '1'], [2, 'NaN']]]), matrix([a, [[1, '1'], [2, 'NaN']]]), null],
    ['series order does not matter', matrix([a, [[1, '1']]], [b, [[1, '2']]]), matrix([b, [[1, '2']]], [a, [[1, '1']]]), null],
    ['a series only in Panoptes differs', matrix([a, [[1, '1']]]), matrix([a, [[1, '1']]], [b, [[1, '2']]]), /1 series only in Panoptes/],
    ['a series only in Prometheus differs', matrix([a, [[1, '1']]], [b, [[1, '2']]]), matrix([a, [[1, '1']]]), /1 series only in Prometheus/],
    ['the same values under another name differ', matrix([a, [[1, '1']]]), matrix([{ job: 'x' }, [[1, '1']]]), /only in Prometheus/],
    ['a missing step differs', matrix([a, [[1, '1'], [2, '2']]]), matrix([a, [[1, '1']]]), /1 steps only in Prometheus \(first t=2\)/],
    ['a value beyond the tolerance differs', matrix([a, [[1, '1']]]), matrix([a, [[1, '1.001']]]), /1\/1 values differ, first t=1: Prometheus 1, Panoptes 1.001/],
    ['an error on one side differs', matrix([a, [[1, '1']]]), { error: 'GET http://x/api answered HTTP 422: boom' }, /^only Panoptes failed: answered HTTP 422: boom$/],
    ['errors on both sides differ (every query must be valid)', { error: 'bad' }, { error: 'bad' }, /both failed/],
    [
      'another result type differs',
      matrix(),
      { result: { resultType: 'vector', result: [] } as PromQueryResult },
      /result type matrix \(Prometheus\) vs vector \(Panoptes\)/,
    ],
  ])('%s', (_name, want, got, problem) => {
    const { problems } = compareAnswers(want, got);
    if (problem === null) expect(problems).toEqual([]);
    else expect(problems.join('\n')).toMatch(problem);
  });
});

describe('labelsKey', () => {
  it('is independent of the order of the label names', () => {
    expect(labelsKey({ b: '2', a: '1' })).toBe(labelsKey({ a: '1', b: '2' }));
    expect(labelsKey({ a: 'x"y' })).toBe('{a="x\\"y"}');
  });
});
