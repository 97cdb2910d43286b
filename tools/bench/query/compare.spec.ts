import { compareMatrices, MatrixSeries, valuesAgree } from './compare';

const s = (metric: Record<string, string>, values: Array<[number, string]>): MatrixSeries => ({ metric, values });
const names: [string, string] = ['a', 'b'];

describe('compareMatrices', () => {
  it.each([
    ['the same series in another order, labels in another order', [s({ job: 'x', i: '1' }, [[1, '1']]), s({ job: 'y' }, [[1, '2']])], [s({ job: 'y' }, [[1, '2']]), s({ i: '1', job: 'x' }, [[1, '1']])], 0],
    ['values within the tolerance', [s({ job: 'x' }, [[1, '1.0000000001']])], [s({ job: 'x' }, [[1, '1']])], 1e-6],
    ['NaN on both sides', [s({}, [[1, 'NaN']])], [s({}, [[1, 'NaN']])], 0],
    ['no series on either side', [], [], 0],
  ])('finds nothing to report for %s', (_name, left, right, tol) => {
    expect(compareMatrices(left, right, tol, names).problems).toEqual([]);
  });

  it.each([
    ['a series count', [s({ job: 'x' }, [[1, '1']])], [], '1 series from a, 0 from b'],
    ['a series only on the right', [], [s({ job: 'y' }, [[1, '1']])], '{job="y"} only from b'],
    ['a value beyond the tolerance', [s({ job: 'x' }, [[1, '1'], [2, '2']])], [s({ job: 'x' }, [[1, '1'], [2, '2.1']])], '{job="x"} @2: 2 from a, 2.1 from b'],
    ['a point count', [s({ job: 'x' }, [[1, '1'], [2, '2']])], [s({ job: 'x' }, [[1, '1']])], '{job="x"}: 2 points from a, 1 from b'],
  ])('reports %s', (_name, left, right, problem) => {
    expect(compareMatrices(left, right, 1e-6, names).problems).toContain(problem);
  });

  it('reports at most maxProblems differences', () => {
    const left = Array.from({ length: 10 }, (_, i) => s({ i: String(i) }, [[1, '1']]));
    expect(compareMatrices(left, [], 0, names, 3).problems).toHaveLength(3);
  });
});

describe('valuesAgree', () => {
  it.each([
    ['identical strings', '1.5', '1.5', 0, true],
    ['the same number written differently', '1e3', '1000', 0, true],
    ['a relative difference below the tolerance', '1000', '1000.0001', 1e-6, true],
    ['a relative difference above it', '1000', '1000.01', 1e-6, false],
    ['+Inf and a number', '+Inf', '1', 1e-6, false],
    ['+Inf and +Inf written alike', '+Inf', '+Inf', 0, true],
    ['NaN and a number', 'NaN', '1', 1e-6, false],
  ])('%s: %s vs %s', (_name, a, b, tol, expected) => {
    expect(valuesAgree(a, b, tol)).toBe(expected);
  });
});
