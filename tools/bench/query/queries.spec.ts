import { parseExpr } from '@panoptes/promql';
import { DASHBOARD_QUERIES } from './queries';

describe('DASHBOARD_QUERIES', () => {
  it('has 8 to 12 queries with distinct names', () => {
    const names = DASHBOARD_QUERIES.map((q) => q.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(8);
    expect(names.length).toBeLessThanOrEqual(12);
  });

  const cases = DASHBOARD_QUERIES.flatMap((q): Array<[string, string]> => [[q.name, q.expr], ...(q.prometheus2Expr ? [[`${q.name} (Prometheus 2 form)`, q.prometheus2Expr] as [string, string]] : [])]);
  it.each(cases)('%s parses as PromQL', (_name, expr) => {
    expect(() => parseExpr(expr)).not.toThrow();
  });
});
