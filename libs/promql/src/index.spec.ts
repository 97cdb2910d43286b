import { PromQLParseError, formatExpr, parseExpr, parseTestScript, runTestScript } from './index';

describe('@panoptes/promql public surface', () => {
  it('parses, prints and reports errors through the package entry point', () => {
    expect(formatExpr(parseExpr('sum(rate(x[5m])) by (job)'))).toBe('sum by (job) (rate(x[5m]))');
    expect(() => parseExpr('sum(')).toThrow(PromQLParseError);
  });

  it('exposes the test-script loader and runner', () => {
    expect(parseTestScript('clear\n')).toEqual([{ kind: 'clear', line: 1 }]);
    expect(typeof runTestScript).toBe('function');
  });
});
