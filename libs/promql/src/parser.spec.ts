import type { AggregateExpr, BinaryExpr, Call, MatrixSelector, NumberLiteral, StringLiteral, SubqueryExpr, VectorSelector } from './ast';
import { exprType } from './ast';
import { PromQLParseError } from './errors';
import { formatExpr } from './format';
import { parseExpr, promqlTestParseOptions } from './parser';

const all = promqlTestParseOptions();

function parseError(input: string, options = all): PromQLParseError {
  try {
    parseExpr(input, options);
  } catch (err) {
    if (err instanceof PromQLParseError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(input)} not to parse`);
}

describe('parseExpr accepts the Prometheus 3 language', () => {
  it.each([
    // name, input, printed form
    ['number', '1', '1'],
    ['hex number', '0x1f', '31'],
    ['octal number (leading zero, as Go)', '010', '8'],
    ['underscore separators', '1_000', '1000'],
    ['trailing dot', '2.', '2'],
    ['leading dot', '.5', '0.5'],
    ['exponent', '12.34e6', '1.234e+07'],
    ['Inf any case', 'inF', '+Inf'],
    ['negative infinity folds into the literal', '-Inf', '-Inf'],
    ['NaN', 'nan', 'NaN'],
    ['duration as number', '1h30m', '1h30m'],
    ['negative duration', '-5m', '-5m'],
    ['string', '"a\\nb"', '"a\\nb"'],
    ['single-quoted string', "'it\\'s'", '"it\'s"'],
    ['raw string keeps backslashes', '`a\\d`', '"a\\\\d"'],
    ['metric', 'foo', 'foo'],
    ['metric with colons', 'foo:bar:rate5m', 'foo:bar:rate5m'],
    ['matchers are sorted, name kept outside', 'foo{b="2", a=~"x.*", c!="3", d!~"y"}', 'foo{a=~"x.*",b="2",c!="3",d!~"y"}'],
    ['trailing comma in matchers', 'foo{a="b",}', 'foo{a="b"}'],
    ['keyword as label name in braces', '{by="x", on="y"}', '{by="x",on="y"}'],
    ['quoted UTF-8 metric name', '{"my.metric", "a.b"="c"}', '{"a.b"="c",__name__="my.metric"}'],
    ['aggregator keyword as metric name', 'sum', 'sum'],
    ['keyword metric name with operator', 'offset + 1', 'offset + 1'],
    ['range selector', 'foo[5m]', 'foo[5m]'],
    ['range in seconds as a number', 'foo[300]', 'foo[5m]'],
    ['range with fractional seconds', 'foo[1.5]', 'foo[1s500ms]'],
    ['offset', 'foo offset 5m', 'foo offset 5m'],
    ['negative offset', 'foo offset -1h', 'foo offset -1h'],
    ['offset on a range', 'foo[5m] offset 1w', 'foo[5m] offset 1w'],
    ['@ timestamp', 'foo @ 100', 'foo @ 100.000'],
    ['@ negative timestamp', 'foo @ -1.5', 'foo @ -1.500'],
    ['@ start()', 'foo @ start()', 'foo @ start()'],
    ['@ END() in any case', 'foo[1m] @ END()', 'foo[1m] @ end()'],
    ['@ before offset', 'foo offset 5m @ 10', 'foo @ 10.000 offset 5m'],
    ['subquery', 'rate(foo[5m])[1h:1m]', 'rate(foo[5m])[1h:1m]'],
    ['subquery without step', 'foo[1h:]', 'foo[1h:]'],
    ['subquery with offset and @', 'foo[1h:] @ 5 offset 1m', 'foo[1h:] @ 5.000 offset 1m'],
    ['function call', 'rate(foo[5m])', 'rate(foo[5m])'],
    ['variadic function, optional argument left out', 'round(foo)', 'round(foo)'],
    ['label_join with many sources', 'label_join(foo, "d", ",", "a", "b", "c")', 'label_join(foo, "d", ",", "a", "b", "c")'],
    ['step() as a function', 'vector(step())', 'vector(step())'],
    ['min_of', 'min_of(3, 5)', 'min_of(3, 5)'],
    ['aggregation by', 'sum by (job) (foo)', 'sum by (job) (foo)'],
    ['aggregation grouping after the body', 'sum(foo) by (job, instance)', 'sum by (job, instance) (foo)'],
    ['aggregation without', 'avg without (a) (foo)', 'avg without (a) (foo)'],
    ['empty by prints nothing', 'sum by () (foo)', 'sum(foo)'],
    ['keywords as grouping labels', 'sum by (on, by, offset) (foo)', 'sum by (on, by, offset) (foo)'],
    ['quoted grouping label', 'sum by ("a.b") (foo)', 'sum by ("a.b") (foo)'],
    ['trailing comma in grouping', 'sum by (a,) (foo)', 'sum by (a) (foo)'],
    ['aggregation keyword in upper case', 'SUM(foo)', 'sum(foo)'],
    ['topk', 'topk(5, foo)', 'topk(5, foo)'],
    ['count_values', 'count_values("v", foo)', 'count_values("v", foo)'],
    ['quantile', 'quantile(0.9, foo)', 'quantile(0.9, foo)'],
    ['precedence: * before +', '1 + 2 * 3', '1 + 2 * 3'],
    ['precedence kept with parens', '(1 + 2) * 3', '(1 + 2) * 3'],
    ['^ is right associative', '2 ^ 3 ^ 2', '2 ^ 3 ^ 2'],
    ['unary minus binds weaker than ^', '-2 ^ 2', '-2 ^ 2'],
    ['double negation folds', '--1', '1'],
    ['comparison with bool', '1 == bool 1', '1 == bool 1'],
    ['vector matching on', 'a + on(b) c', 'a + on (b) c'],
    ['vector matching ignoring with group_left', 'a * ignoring(b) group_left(c) d', 'a * ignoring (b) group_left (c) d'],
    ['group_right without labels', 'a / on(b) group_right d', 'a / on (b) group_right () d'],
    ['set operators', 'a and b or c unless d', 'a and b or c unless d'],
    ['atan2', 'a atan2 b', 'a atan2 b'],
    ['histogram trim', 'h </ 0.5', 'h </ 0.5'],
    ['comments are skipped', 'foo # a comment\n + bar', 'foo + bar'],
    ['fill modifier', 'a + fill(0) b', 'a + fill(0) b'],
    ['fill_left and fill_right', 'a + on(x) fill_left(1) fill_right(-Inf) b', 'a + on (x) fill_left(1) fill_right(-Inf) b'],
    ['fill as a metric name', 'fill + fill', 'fill + fill'],
    ['anchored range', 'increase(foo[1m] anchored)', 'increase(foo[1m] anchored)'],
    ['duration expression', 'foo[5m * 2]', 'foo[5m * 2]'],
    ['duration step()', 'count_over_time(foo[step() + 1ms])', 'count_over_time(foo[step() + 1ms])'],
    ['duration in upper case keyword', 'foo[STEP()]', 'foo[step()]'],
    ['offset binds tighter than ^', 'foo offset 2 ^ 2', 'foo offset 2s ^ 2'],
    ['offset with a parenthesised duration expression', 'foo offset (1m + 30s)', 'foo offset (1m + 30s)'],
    ['offset min_of', 'foo offset min_of(step(), 1s)', 'foo offset min_of(step(), 1s)'],
  ])('%s: %j', (_name, input, printed) => {
    expect(formatExpr(parseExpr(input, all))).toBe(printed);
  });

  it('builds a vector selector with the name as the last matcher', () => {
    const vs = parseExpr('foo{a="b"}') as VectorSelector;
    expect(vs.type).toBe('VectorSelector');
    expect(vs.name).toBe('foo');
    expect(vs.matchers.map(String)).toEqual(['a="b"', '__name__="foo"']);
    expect(vs.pos).toEqual({ start: 0, end: 10 });
  });

  it('keeps offsets and @ in milliseconds', () => {
    const m = parseExpr('foo[5m] @ 1.5 offset -1m') as MatrixSelector;
    expect(m.rangeMs).toBe(300_000);
    expect(m.vectorSelector.timestampMs).toBe(1500);
    expect(m.vectorSelector.originalOffsetMs).toBe(-60_000);
    expect(m.vectorSelector.offsetMs).toBe(-60_000);
  });

  it('folds a signed number into the literal and keeps the sign position', () => {
    const n = parseExpr(' -1') as NumberLiteral;
    expect(n).toMatchObject({ type: 'NumberLiteral', val: -1, pos: { start: 1, end: 3 } });
  });

  it('turns set operators into many-to-many matching and drops matching between scalars', () => {
    const set = parseExpr('a and on(x) b') as BinaryExpr;
    expect(set.matching).toMatchObject({ card: 'many-to-many', on: true, matchingLabels: ['x'] });
    const scalar = parseExpr('a + 1') as BinaryExpr;
    expect(scalar.matching).toBeUndefined();
  });

  it('puts the parameter of parametric aggregations apart', () => {
    const agg = parseExpr('topk by (a) (3, foo)') as AggregateExpr;
    expect(agg.param).toMatchObject({ type: 'NumberLiteral', val: 3 });
    expect(agg.expr).toMatchObject({ type: 'VectorSelector', name: 'foo' });
    expect(agg.grouping).toEqual(['a']);
  });

  it('keeps an omitted subquery step as 0', () => {
    const sq = parseExpr('foo[1h:]') as SubqueryExpr;
    expect(sq).toMatchObject({ rangeMs: 3_600_000, stepMs: 0 });
  });

  it('keeps duration expressions unevaluated', () => {
    const m = parseExpr('foo[5m + step()]', all) as MatrixSelector;
    expect(m.rangeMs).toBe(0);
    expect(m.rangeExpr).toMatchObject({ type: 'DurationBinary', op: '+' });
  });

  it('carries invalid UTF-8 bytes of string escapes as surrogate escapes', () => {
    const s = parseExpr('"a\\xc5z"') as StringLiteral;
    expect(s.val).toBe('a\uDCC5z');
    expect(formatExpr(s)).toBe('"a\\xc5z"');
    expect((parseExpr('"\\xc5\\xbc"') as StringLiteral).val).toBe('ż');
  });

  it('types expressions like Prometheus', () => {
    expect(exprType(parseExpr('rate(foo[5m])'))).toBe('vector');
    expect(exprType(parseExpr('foo[5m]'))).toBe('matrix');
    expect(exprType(parseExpr('scalar(foo) * 2'))).toBe('scalar');
    expect(exprType(parseExpr('"x"'))).toBe('string');
    expect((parseExpr('time()') as Call).func.returnType).toBe('scalar');
  });
});

describe('parseExpr rejects what Prometheus rejects, with its messages and positions', () => {
  it.each([
    // name, input, message
    ['empty input', '', '1:1: parse error: no expression found in input'],
    ['only a comment', '# nothing', '1:1: parse error: no expression found in input'],
    ['dangling operator', 'foo +', '1:6: parse error: unexpected end of input'],
    ['two operators', '1 +* 2', '1:4: parse error: unexpected <op:*>'],
    ['two selectors', 'foo bar', '1:5: parse error: unexpected identifier "bar"'],
    ['unclosed paren', 'sum(foo', '1:8: parse error: unclosed left parenthesis'],
    ['extra closing paren', 'foo)', "1:5: parse error: unexpected right parenthesis ')'"],
    ['extra closing paren after a paren', '(1))', "1:5: parse error: unexpected right parenthesis ')'"],
    ['lone dot', '.', "1:1: parse error: unexpected character: '.'"],
    ['double dot', '100..4', '1:1: parse error: bad number or duration syntax: "100.."'],
    ['hex-looking word', '0deadbeef', '1:1: parse error: bad number or duration syntax: "0de"'],
    ['!~ outside braces', '1 !~ 1', "1:3: parse error: unexpected character after '!': '~'"],
    ['huge number', '9'.repeat(309), `1:1: parse error: error parsing number: strconv.ParseFloat: parsing "${'9'.repeat(309)}": value out of range`],
    ['unclosed brace', 'foo{a="b"', '1:10: parse error: unexpected end of input inside braces'],
    ['unclosed bracket', 'foo[5m', '1:7: parse error: unclosed left bracket'],
    ['stray right bracket', 'foo]', '1:4: parse error: unexpected right bracket \']\''],
    ['bad character', 'foo ~ bar', "1:5: parse error: unexpected character: '~'"],
    ['=~ outside braces', 'a =~ b', "1:3: parse error: unexpected character after '=': '~'"],
    ['unterminated string', 'foo{a="b}', '1:7: parse error: unterminated quoted string'],
    ['unknown escape', '"\\q"', "1:1: parse error: unknown escape sequence U+0071 'q'"],
    ['bad number', '1.2.3', '1:1: parse error: bad number or duration syntax: "1.2."'],
    ['bad duration', 'foo[5mm]', '1:5: parse error: bad number or duration syntax: "5mm"'],
    ['duration units out of order', 'foo[30s5m]', '1:5: parse error: not a valid duration string: "30s5m"'],
    ['number out of range', '1e400', '1:1: parse error: error parsing number: strconv.ParseFloat: parsing "1e400": value out of range'],
    ['label matcher without operator', 'foo{gibberish}', '1:14: parse error: unexpected "}" in label matching, expected label matching operator'],
    ['label matcher value not a string', 'foo{a=b}', '1:7: parse error: unexpected identifier "b" in label matching, expected string'],
    ['matcher list separator', 'foo{a="b" c="d"}', '1:11: parse error: unexpected identifier "c" in label matching, expected "," or "}"'],
    ['digit inside braces', 'foo{1}', "1:5: parse error: unexpected character inside braces: '1'"],
    ['empty selector', '{}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['selector matching only empty values', '{a=~".*"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['metric name twice', 'foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
    ['bad regex', 'foo{a=~"(.*"}', '1:5: parse error: '],
    ['unknown function', 'foo_bar(1)', '1:1: parse error: unknown function with name "foo_bar"'],
    ['function names are case sensitive', 'Rate(foo[5m])', '1:1: parse error: unknown function with name "Rate"'],
    ['trailing comma in call', 'rate(foo[5m],)', '1:13: parse error: trailing commas not allowed in function call args'],
    ['wrong argument count', 'floor()', '1:1: parse error: expected 1 argument(s) in call to "floor", got 0'],
    ['too few variadic arguments', 'label_join(foo)', '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 1'],
    ['too many variadic arguments', 'round(foo, 1, 2)', '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3'],
    ['wrong argument type', 'rate(foo)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['aggregation without arguments', 'sum()', '1:1: parse error: no arguments for aggregate expression provided'],
    ['aggregation missing parameter', 'topk(foo)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['aggregation parameter type', 'topk(foo, bar)', '1:6: parse error: expected type scalar in aggregation parameter, got instant vector'],
    ['count_values parameter type', 'count_values(5, foo)', '1:14: parse error: expected type string in aggregation parameter, got scalar'],
    ['aggregation over a range', 'sum(foo[5m])', '1:5: parse error: expected type instant vector in aggregation expression, got range vector'],
    ['aggregation followed by garbage', 'sum by (a) foo', '1:12: parse error: unexpected identifier "foo" in aggregation'],
    ['grouping needs parens', 'sum(foo) by test', '1:13: parse error: unexpected identifier "test" in grouping opts, expected "("'],
    ['grouping label', 'sum by (1) (foo)', '1:9: parse error: unexpected number "1" in grouping opts, expected label'],
    ['grouping separator', 'sum by (a b) (foo)', '1:11: parse error: unexpected identifier "b" in grouping opts, expected "," or ")"'],
    ['metric then a selector', 'sum some_metric', '1:5: parse error: unexpected identifier "some_metric"'],
    ['scalar comparison needs bool', '1 == 1', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
    ['bool on arithmetic', 'foo + bool bar', '1:5: parse error: bool modifier can only be used on comparison operators'],
    ['set operator on scalars', '1 and 1', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
    ['vector matching with a scalar', 'foo == on(bar) 10', '1:1: parse error: vector matching only allowed between instant vectors'],
    ['grouping on a set operation', 'foo and on(bar) group_left(baz) bar', '1:1: parse error: no grouping allowed for "and" operation'],
    ['label in on and group', 'foo + on(bar) group_left(bar) baz', '1:5: parse error: label "bar" must not occur in ON and GROUP clause at once'],
    ['group_left without on', 'a * group_left b', '1:5: parse error: unexpected <group_left>'],
    ['ignoring after on', 'a - on(b) ignoring(c) d', '1:11: parse error: unexpected <ignoring>'],
    ['string in a binary expression', '"x" + 1', '1:1: parse error: binary expression must contain only scalar and instant vector types'],
    ['unary minus on a string', '-"x"', '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"'],
    ['unary minus on a range', '-foo[5m]', '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"'],
    ['range of a non-selector', 'rate(foo[5m])[5m]', '1:14: parse error: ranges only allowed for vector selectors'],
    ['offset before range', 'foo offset 1m [5m]', '1:15: parse error: no offset modifiers allowed before range'],
    ['@ before range', 'foo @ 1 [5m]', '1:9: parse error: no @ modifiers allowed before range'],
    ['subquery of a range', 'foo[5m][10m:]', '1:1: parse error: subquery is only allowed on instant vector, got matrix instead'],
    ['zero range', 'foo[0s]', '1:5: parse error: duration must be greater than 0'],
    ['range without duration', 'foo[]', '1:5: parse error: unexpected "]" in subquery or range selector, expected number, duration, step(), or range()'],
    ['range separator', 'foo[5m 1m]', '1:8: parse error: unexpected duration "1m" in subquery or range, expected ":" or "]"'],
    ['offset on a literal', '1 offset 1d', '1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['offset twice', 'foo offset 1s offset 2s', '1:1: parse error: offset may not be set multiple times'],
    ['offset without duration', 'foo offset bar', '1:12: parse error: unexpected identifier "bar" in offset, expected number, duration, step(), or range()'],
    ['@ twice', 'foo[5m] @ 1 @ 2', '1:1: parse error: @ <timestamp> may not be set multiple times'],
    ['@ on a call', 'rate(foo[5m]) @ 1', '1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['@ Inf', 'foo @ +Inf', '1:1: parse error: timestamp out of bounds for @ modifier: +Inf'],
    ['@ without timestamp', 'foo @ bar', '1:7: parse error: unexpected identifier "bar" in @, expected timestamp'],
    ['division by zero in a duration', 'foo[5m / 0]', '1:8: parse error: division by zero'],
    ['position on a later line', 'foo +\n  bar baz', '2:7: parse error: unexpected identifier "baz"'],
    // Cases from Prometheus's own parser tests.
    ['lone closing brace', '}', "1:1: parse error: unexpected character: '}'"],
    ['closing brace after a name', 'some}', "1:5: parse error: unexpected character: '}'"],
    ['colon in a label name', 'some_metric{a:b="b"}', "1:14: parse error: unexpected character inside braces: ':'"],
    ['operator inside braces', 'foo{a*"b"}', "1:6: parse error: unexpected character inside braces: '*'"],
    ['>= inside braces', 'foo{a>="b"}', "1:6: parse error: unexpected character inside braces: '>'"],
    ['comma first in braces', 'foo{,}', '1:5: parse error: unexpected "," in label matching, expected identifier or "}"'],
    ['== inside braces', 'foo{__name__ == "bar"}', '1:15: parse error: unexpected "=" in label matching, expected string'],
    ['quoted label without value', 'foo{"a"=}', '1:9: parse error: unexpected "}" in label matching, expected string'],
    ['garbage after a matcher', 'foo{__name__="bar" lol}', '1:20: parse error: unexpected identifier "lol" in label matching, expected "," or "}"'],
    ['digit after a duration', 'foo[5m1]', '1:5: parse error: bad number or duration syntax: "5m1"'],
    ['digit after a subquery step', 'foo[5m:1m1]', '1:8: parse error: bad number or duration syntax: "1m1"'],
    ['unknown duration unit', 'foo[5y1hs]', '1:5: parse error: unknown unit "hs" in duration "5y1hs"'],
    ['string as a range', 'foo["5m"]', '1:5: parse error: unexpected character in duration expression: \'"\''],
    ['@ -Inf', 'foo @ -Inf', '1:1: parse error: timestamp out of bounds for @ modifier: -Inf'],
    ['@ NaN', 'foo @ NaN', '1:1: parse error: timestamp out of bounds for @ modifier: NaN'],
    ['@ beyond int64', 'foo @ 9223372036854775808', '1:1: parse error: timestamp out of bounds for @ modifier: 9223372036854775808.000000'],
    ['bool on a set operator', 'foo and bool 10', '1:5: parse error: bool modifier can only be used on comparison operators'],
    ['grouping on or', 'foo or on(bar) group_right(baz) bar', '1:1: parse error: no grouping allowed for "or" operation'],
    ['label in on and group, position', 'http_requests{group="production"} + on(instance) group_left(job,instance) cpu_count{type="smp"}', '1:35: parse error: label "instance" must not occur in ON and GROUP clause at once'],
    ['minus then equals', '-=', '1:2: parse error: unexpected "="'],
    ['chain of signs', '++-++-+-+-<', '1:11: parse error: unexpected <op:<>'],
    ['signs then equals', 'e-+=/(0)', '1:4: parse error: unexpected "="'],
    ['unknown function after an operator', 'a>b()', '1:3: parse error: unknown function with name "b"'],
    ['aggregator name as an argument', 'rate(avg)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['unterminated raw string', '`\\``', '1:4: parse error: unterminated raw string'],
    ['unterminated escape', '"\\', '1:1: parse error: escape sequence not terminated'],
    ['illegal hex escape', '"\\x."', "1:1: parse error: illegal character U+002E '.' in escape sequence"],
    ['end inside a range', 'foo{bar="baz"}[', '1:16: parse error: unexpected end of input in duration expression'],
    ['too many arguments', 'hour(a, b, c)', '1:1: parse error: expected at most 1 argument(s) in call to "hour", got 3'],
    ['argument to time()', 'time(a)', '1:1: parse error: expected 0 argument(s) in call to "time", got 1'],
    ['scalar where a vector is needed', 'floor(1)', '1:7: parse error: expected type instant vector in call to function "floor", got scalar'],
    ['column counts UTF-8 bytes', '"é" + ~', "1:8: parse error: unexpected character: '~'"],
  ])('%s: %j', (_name, input, message) => {
    expect(parseError(input).message.startsWith(message)).toBe(true);
    if (!message.endsWith(': ')) expect(parseError(input).message).toBe(message);
  });

  it.each([
    ['experimental function', 'sort_by_label(foo, "a")', '1:1: parse error: function "sort_by_label" is not enabled'],
    ['experimental aggregation', 'limitk(1, foo)', '1:1: parse error: limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions'],
    ['duration arithmetic', 'foo[5m * 2]', '1:5: parse error: experimental duration expression is not enabled'],
    ['anchored', 'foo[5m] anchored', '1:1: parse error: anchored modifier is experimental and not enabled'],
    ['fill', 'a + fill(0) b', '1:1: parse error: binop fill modifiers are experimental and not enabled'],
  ])('keeps the experimental %s behind its option: %j', (_name, input, message) => {
    expect(parseError(input, { ...all, enableExperimentalFunctions: false, experimentalDurationExpr: false, enableExtendedRangeSelectors: false, enableBinopFillModifiers: false }).message).toBe(message);
    expect(() => parseExpr(input, all)).not.toThrow();
  });

  it('handles deeply nested input without overflowing', () => {
    const input = `(${'-{}-1'.repeat(10000)})${'[1m:]'.repeat(1000)}`;
    expect(parseError(input).message).toBe('1:3: parse error: vector selector must contain at least one non-empty matcher');
  });

  it('reports the detail and the position range separately', () => {
    const err = parseError('sum(foo) + bool bar');
    expect(err.detail).toBe('bool modifier can only be used on comparison operators');
    expect(err.positionRange.start).toBe(9);
    expect(err.line).toBe(1);
    expect(err.column).toBe(10);
    expect(err.reason).toBe('promql_parse_error');
    expect(err.kind).toBe('bad_request');
  });
});
