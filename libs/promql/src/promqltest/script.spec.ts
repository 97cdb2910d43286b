import { combineHistograms, histogramsMatch } from './histogram';
import { type EvalCommand, type LoadCommand, TestScriptError, parseTestScript } from './script';
import { type SequenceValue, parseHistogram, parseSeriesDesc } from './series';

const floats = (values: SequenceValue[]) => values.map((v) => (v.kind === 'float' ? (v.stale ? 'stale' : v.value) : v.kind === 'omitted' ? '_' : 'h'));

describe('series descriptions', () => {
  it.each([
    ['single values', 'm 1 2 3', [1, 2, 3]],
    ['increasing run', 'm 1+2x3', [1, 3, 5, 7]],
    ['decreasing run', 'm 10-2x2', [10, 8, 6]],
    ['negative start', 'm -1+1x2', [-1, 0, 1]],
    ['repeat', 'm 5x2', [5, 5, 5]],
    ['gaps', 'm 1 _ _x2 2', [1, '_', '_', '_', 2]],
    ['stale marker', 'm 1 stale', [1, 'stale']],
    ['specials', 'm Inf -Inf NaN', [Infinity, -Infinity, NaN]],
    ['exponent before x', 'm 1e-2x1', [0.01, 0.01]],
    ['durations as numbers', 'm 1m', [60]],
  ])('%s: %s', (_name, line, expected) => {
    expect(floats(parseSeriesDesc(line).values)).toEqual(expected);
  });

  it('reads metric names, labels, quoted names and escapes', () => {
    expect(parseSeriesDesc('http_requests{job="api", "a.b"="x\\ny"} 1').labels).toEqual({ __name__: 'http_requests', job: 'api', 'a.b': 'x\ny' });
    expect(parseSeriesDesc('{"my.metric", env="p"} 1').labels).toEqual({ __name__: 'my.metric', env: 'p' });
    expect(parseSeriesDesc('{} 1').labels).toEqual({});
  });

  it('reads histograms and expands histogram runs', () => {
    const { values } = parseSeriesDesc('h {{schema:0 sum:1 count:2 buckets:[1 1] offset:1 counter_reset_hint:gauge}} {{count:1}}+{{count:2 sum:1}}x2');
    expect(values.map((v) => v.kind)).toEqual(['histogram', 'histogram', 'histogram', 'histogram']);
    const first = values[0];
    expect(first.kind === 'histogram' && first.histogram).toMatchObject({ schema: 0, sum: 1, count: 2, positiveSpans: [{ offset: 1, length: 2 }], positiveBuckets: [1, 1], counterResetHint: 'gauge' });
    expect(first.kind === 'histogram' && first.counterResetHintSet).toBe(true);
    const last = values[3];
    expect(last.kind === 'histogram' && last.histogram).toMatchObject({ count: 5, sum: 2 });
  });

  it('adds histograms of different schemas at the coarser one and refuses the other way round', () => {
    const coarse = parseHistogram('{{schema:-1 sum:4 count:1 buckets:[1] offset:1}}').histogram;
    const fine = parseHistogram('{{schema:0 sum:4 count:4 buckets:[2 2] offset:1}}').histogram;
    const sum = combineHistograms(coarse, fine, 1);
    expect(sum.schema).toBe(-1);
    expect(histogramsMatch(parseHistogram('{{schema:-1 sum:8 count:5 buckets:[5] offset:1}}').histogram, sum, false)).toBe(true);
    expect(() => combineHistograms(fine, coarse, 1)).toThrow('cannot merge from schema -1 to 0');
  });

  it('compares histograms regardless of span layout and zero buckets', () => {
    const a = parseHistogram('{{schema:0 count:3 sum:1 buckets:[1 0 2]}}').histogram;
    const b = { ...a, positiveSpans: [{ offset: 0, length: 1 }, { offset: 1, length: 1 }], positiveBuckets: [1, 2] };
    expect(histogramsMatch(a, b, false)).toBe(true);
    expect(histogramsMatch(a, { ...b, positiveBuckets: [1, 3] }, false)).toBe(false);
  });

  it.each([
    ['unknown word', 'm 1 foo'],
    ['run without count', 'm 1+2'],
    ['bad histogram key', 'm {{foo:1}}'],
    ['unclosed histogram', 'm {{count:1'],
  ])('rejects %s', (_name, line) => {
    expect(() => parseSeriesDesc(line)).toThrow();
  });
});

describe('test scripts', () => {
  const script = `
# comment
load 1m
  metric{a="1"} 0+1x2
  other 5

eval instant at 1m metric
  expect no_warn
  metric{a="1"} 1

eval range from 0 to 2m step 1m sum(metric)
  {} 0 1 2

eval_fail instant at 0 foo(
  expected_fail_message some error

eval instant at 1m metric[1m]
  expect range vector from 0 to 1m step 1m
  metric{a="1"} 0 1

eval instant at 0 "x"
  expect string "x"

eval instant at 0 1
  1

clear
`;

  it('reads load, eval, clear and their blocks', () => {
    const cmds = parseTestScript(script);
    expect(cmds.map((c) => c.kind)).toEqual(['load', 'eval', 'eval', 'eval', 'eval', 'eval', 'eval', 'clear']);
    const load = cmds[0] as LoadCommand;
    expect(load).toMatchObject({ line: 3, intervalMs: 60_000, withNhcb: false });
    expect(load.series.map((s) => s.labels)).toEqual([{ __name__: 'metric', a: '1' }, { __name__: 'other' }]);
    const [instant, range, fail, rangeVector, str, scalar] = cmds.slice(1) as EvalCommand[];
    expect(instant).toMatchObject({ line: 7, expr: 'metric', range: false, evalMs: 60_000, expectations: [{ type: 'no_warn' }] });
    expect(instant.expectedSeries).toEqual([{ labels: { __name__: 'metric', a: '1' }, values: [{ kind: 'float', value: 1, stale: false }], pos: 1 }]);
    expect(range).toMatchObject({ range: true, startMs: 0, endMs: 120_000, stepMs: 60_000 });
    expect(fail).toMatchObject({ fail: true, expectedFailMessage: 'some error', expr: 'foo(' });
    expect(rangeVector).toMatchObject({ expectRangeVector: true, excludeFromRangeQuery: true, evalMs: 60_000 });
    expect(str).toMatchObject({ expectedString: 'x', excludeFromRangeQuery: true });
    expect(scalar.expectedScalar).toBe(1);
  });

  it('reads expect lines with messages and patterns', () => {
    const [ev] = parseTestScript('eval instant at 0 x\n  expect fail msg: boom: it broke\n  expect warn regex: a.c\n') as EvalCommand[];
    expect(ev.expectations[0]).toEqual({ type: 'fail', message: 'boom: it broke' });
    expect(ev.expectations[1].regex?.test('xabcx')).toBe(true);
  });

  it('reads start-timestamp lines', () => {
    const [load] = parseTestScript('load 1m\n  m@st _ -30s 1s-1sx1\n  m 1 2 3 4\n') as LoadCommand[];
    expect(load.series[0].startOffsetsMs).toEqual([undefined, -30_000, 1000, 0]);
  });

  it.each([
    ['unknown command', 'frobnicate', 1, 'invalid command "frobnicate"'],
    ['bad load step', 'load x', 1, 'invalid step definition "x"'],
    ['range end before start', 'eval range from 2m to 1m step 1m x', 1, 'end timestamp (1m) is before start timestamp (2m)'],
    ['several values for an instant query', 'eval instant at 0 x\n  x 1 2', 1, 'expecting multiple values in instant evaluation not allowed'],
    ['info with no_info', 'eval instant at 0 x\n  expect info\n  expect no_info', 1, 'info and no_info cannot be used together'],
    ['bad series line', 'load 1m\n  m 1 what', 2, 'unexpected "what"'],
  ])('rejects a script with %s', (_name, text, line, message) => {
    let err: unknown;
    try {
      parseTestScript(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TestScriptError);
    expect((err as TestScriptError).line).toBe(line);
    expect((err as Error).message).toContain(message);
  });
});
