import { seededRandom } from '@panoptes/common';
import { aggregateColumns, aggregateRows } from './aggregate';
import { type StepSeries, newStepSeries } from './values';

describe('aggregateColumns', () => {
  /** Random step series: gaps, NaN, ±Inf, and values near the float maximum (avg's overflow path). */
  function randomSeries(rnd: () => number, count: number, n: number): StepSeries[] {
    const specials = [NaN, Infinity, -Infinity, 0, -0, Number.MAX_VALUE, -Number.MAX_VALUE, 1e308];
    return Array.from({ length: count }, () => {
      const s = newStepSeries([], n);
      for (let k = 0; k < n; k++) {
        if (rnd() < 0.2) continue;
        s.has[k] = 1;
        const r = rnd();
        s.vals[k] = r < 0.1 ? specials[Math.floor(rnd() * specials.length)] : r < 0.5 ? Math.round(rnd() * 100) : (rnd() - 0.5) * 1e6;
      }
      return s;
    });
  }

  it.each(['sum', 'avg', 'count', 'min', 'max', 'group'].map((op) => ({ op })))('computes $op bit for bit as step-by-step aggregation does (300 random groups)', ({ op }) => {
    const rnd = seededRandom(op.length * 31);
    for (let i = 0; i < 300; i++) {
      const n = 1 + Math.floor(rnd() * 40);
      const series = randomSeries(rnd, 1 + Math.floor(rnd() * 12), n);
      const members = series.map((_, j) => j).filter(() => rnd() < 0.8);
      const byRows = newStepSeries([], n);
      const byColumns = newStepSeries([], n);
      aggregateRows(op, members, series, byRows, n, undefined, new Float64Array(series.length));
      aggregateColumns(op, members, series, byColumns, n);
      expect(Array.from(byColumns.has)).toEqual(Array.from(byRows.has));
      for (let k = 0; k < n; k++) expect(Object.is(byColumns.vals[k], byRows.vals[k]) || `${op} step ${k}: ${byColumns.vals[k]} vs ${byRows.vals[k]}`).toBe(true);
    }
  });
});
