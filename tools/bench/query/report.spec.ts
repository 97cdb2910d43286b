import { QueryFigures, ratio, renderColumns, renderQueryTable } from './report';
import { latencyOf } from './stats';

const fig = (name: string, prom: number[] | undefined, cold: number[] | undefined, coldPast?: number[], warmPast?: number[], warnings: string[] = [], warmAlone?: number[]): QueryFigures => ({
  name,
  expr: 'x',
  series: 3,
  prometheus: prom && latencyOf(prom),
  cold: cold && latencyOf(cold),
  coldPast: coldPast && latencyOf(coldPast),
  warmPast: warmPast && latencyOf(warmPast),
  warmAlone: warmAlone && latencyOf(warmAlone),
  warnings,
});

describe('renderQueryTable', () => {
  it('prints each query\'s medians and ratios, then the geometric means of the ratios', () => {
    const table = renderQueryTable([fig('a', [10, 10, 10], [20, 20, 20], [100], [1], [], [0.5]), fig('b', [10], [80], [400], [1], [], [2])]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^query +series +prometheus ms p50 \(p90\) +panoptes cold ms p50 \(p90\) +cold\/prom/);
    expect(lines[2]).toMatch(/^a +3 +10\.0 \(10\.0\) +20\.0 \(20\.0\) +2\.00x +- +100 +1\.00 \(1\.00\) +100\.0x +0\.50 \(0\.50\) +200\.0x$/);
    // sqrt(2 * 8) = 4; sqrt(100 * 400) = 200; sqrt(200 * 200) = 200.
    expect(lines[4]).toMatch(/^geometric mean +4\.00x +200\.0x +200\.0x$/);
  });

  it('marks a query whose answers differ, and shows "-" for a side not measured', () => {
    const table = renderQueryTable([fig('a', undefined, [20], undefined, undefined, ['differs'])]);
    expect(table.split('\n')[2]).toMatch(/^a ! +3 +- +20\.0 \(20\.0\) +- +- +- +- +- +- +-$/);
  });
});

describe('ratio', () => {
  it.each([
    ['of two medians', [20], [10], 2],
    ['with a missing side: NaN', undefined, [10], NaN],
  ])('%s', (_name, a, b, expected) => {
    expect(ratio(a && latencyOf(a), b && latencyOf(b))).toBe(expected);
  });
});

describe('renderColumns', () => {
  it('pads every column to its widest cell, right-aligning the numeric ones', () => {
    expect(renderColumns(['n', 'value'], [['a', '1'], ['bbb', '22']], [false, true])).toBe(['n    value', '---  -----', 'a        1', 'bbb     22'].join('\n'));
  });
});
