import { Matcher } from '@panoptes/tsdb';
import type { Expr } from './ast';
import { formatExpr } from './format';
import { parseExpr, promqlTestParseOptions } from './parser';

const all = promqlTestParseOptions();

function shape(e: Expr): string {
  return JSON.stringify(e, (key, value) => {
    if (key === 'pos') return undefined;
    if (key === 'matchers') return (value as Matcher[]).map((m) => m.toString()).sort();
    if (value instanceof Matcher) return value.toString();
    if (key === 'func') return value.name;
    return value;
  });
}

describe('formatExpr', () => {
  it.each([
    'sum by (job) (rate(http_requests_total{code=~"5.."}[5m] offset 1h))',
    'histogram_quantile(0.9, sum without (instance) (rate(h_bucket[5m])))',
    'a + on (b) group_left (c, d) e',
    'a > bool ignoring (x) b',
    '-(a + b) ^ 2',
    '-1 ^ 2',
    '(1 + 2) * -3',
    '2 ^ -1 ^ 2',
    'foo[1h:5m] @ end() offset -10m',
    'max_over_time(rate(foo[1m])[1h:])',
    '{__name__=~"a|b", job!=""}',
    '{"utf8.metric", "label with space"="v"}',
    'count_values("le", foo) or vector(1)',
    'label_replace(up, "dst", "$1", "src", "(.*)")',
    'foo offset 2 ^ 2',
    'foo[5m + step()] offset -min_of(step(), 1s)',
    'foo[(5m)]',
    'a + fill_left(1) fill_right(2) b',
    'rate(foo[1m] smoothed)',
    '"quote \\" and \\\\ backslash"',
    '1e+06 + 0.000001 + 1h30m + -Inf + NaN',
    'topk(3, sum by ("a.b") (foo))',
  ])('prints %j so that it parses back to the same tree', (query) => {
    const e = parseExpr(query, all);
    const printed = formatExpr(e);
    expect(shape(parseExpr(printed, all))).toBe(shape(e));
    expect(formatExpr(parseExpr(printed, all))).toBe(printed);
  });

  it('prints long operator chains without exhausting the stack', () => {
    const query = Array.from({ length: 20_000 }, () => 'a').join(' - ');
    expect(formatExpr(parseExpr(query))).toBe(query);
  });

  it('prints the metric name before the braces and sorts the matchers', () => {
    expect(formatExpr(parseExpr('foo{z="1", a="2"}'))).toBe('foo{a="2",z="1"}');
  });

  it('prints a metric name that needs quoting inside the braces', () => {
    const e = parseExpr('foo');
    if (e.type !== 'VectorSelector') throw new Error('not a selector');
    e.name = 'a.b';
    e.matchers = [new Matcher('=', '__name__', 'a.b'), new Matcher('=', 'x.y', 'v')];
    expect(formatExpr(e)).toBe('{"a.b","x.y"="v"}');
  });
});
