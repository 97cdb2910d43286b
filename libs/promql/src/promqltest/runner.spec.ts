import type { Expr, VectorSelector } from '../ast';
import { parseExpr, promqlTestParseOptions } from '../parser';
import { type QueryOutcome, type QueryValue, type TestEngine, type TestSeries, runTestScript } from './runner';
import type { Labels } from './series';

const LOOKBACK_MS = 5 * 60_000;

/**
 * A fake engine that evaluates only literals and plain selectors (with offset and @), enough to
 * drive the runner through loads, instant and range evals, @-pinned variants and failures.
 */
class SelectorEngine implements TestEngine {
  series: TestSeries[] = [];
  readonly queries: { expr: string; at?: number; range?: [number, number, number] }[] = [];
  clears = 0;

  clear(): void {
    this.series = [];
    this.clears++;
  }

  load(series: TestSeries[]): void {
    this.series.push(...series);
  }

  instantQuery(expr: string, timeMs: number): QueryOutcome {
    this.queries.push({ expr, at: timeMs });
    try {
      return { value: this.eval(parseExpr(expr, promqlTestParseOptions()), timeMs) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  rangeQuery(expr: string, startMs: number, endMs: number, stepMs: number): QueryOutcome {
    this.queries.push({ expr, range: [startMs, endMs, stepMs] });
    const bySeries = new Map<string, { labels: Labels; floats: { t: number; value: number }[] }>();
    try {
      const e = parseExpr(expr, promqlTestParseOptions());
      for (let t = startMs; t <= endMs; t += stepMs) {
        const v = this.eval(e, t);
        const samples = v.type === 'scalar' ? [{ labels: {}, value: v.value }] : v.type === 'vector' ? v.samples : [];
        for (const s of samples) {
          const key = JSON.stringify(s.labels);
          if (!bySeries.has(key)) bySeries.set(key, { labels: s.labels, floats: [] });
          bySeries.get(key)!.floats.push({ t, value: s.value! });
        }
      }
    } catch (err) {
      return { error: (err as Error).message };
    }
    return { value: { type: 'matrix', series: [...bySeries.values()].map((s) => ({ ...s, histograms: [] })) } };
  }

  private eval(e: Expr, t: number): QueryValue {
    if (e.type === 'NumberLiteral') return { type: 'scalar', value: e.val };
    if (e.type === 'StringLiteral') return { type: 'string', value: e.val };
    if (e.type !== 'VectorSelector') throw new Error(`unsupported: ${e.type}`);
    return { type: 'vector', samples: this.select(e, t) };
  }

  private select(vs: VectorSelector, t: number): { labels: Labels; value: number }[] {
    const at = (vs.timestampMs ?? t) - vs.offsetMs;
    const out: { labels: Labels; value: number }[] = [];
    for (const s of this.series) {
      if (!vs.matchers.every((m) => m.matches(s.labels[m.name] ?? ''))) continue;
      const last = s.samples.filter((p) => p.t <= at && p.t > at - LOOKBACK_MS).pop();
      if (last && !last.stale && last.value !== undefined) {
        const { __name__: _dropped, ...rest } = s.labels;
        out.push({ labels: vs.name ? s.labels : rest, value: last.value });
      }
    }
    return out;
  }
}

const SCRIPT = `
load 1m
  metric{job="a"} 1+1x4
  metric{job="b"} 10 stale

eval instant at 2m metric
  metric{job="a"} 3

eval range from 0 to 2m step 1m metric{job="a"}
  metric{job="a"} 1 2 3

eval instant at 0 42
  42

eval instant at 0 "hello"
  expect string "hello"

eval instant at 0 rate(metric[1m])
  expect fail msg: unsupported: Call

clear

eval instant at 2m metric
`;

describe('runTestScript', () => {
  it('passes the cases whose results, errors and strings match', async () => {
    const engine = new SelectorEngine();
    const result = await runTestScript(SCRIPT, engine);
    expect(result.cases.filter((c) => !c.passed)).toEqual([]);
    expect(result).toMatchObject({ passed: 6, total: 6 });
    expect(engine.clears).toBe(2); // once before the script, once for `clear`
  });

  it('hands the engine expanded samples with stale markers and no gaps', async () => {
    const engine = new SelectorEngine();
    await runTestScript('load 30s\n  m{a="1"} 1 _ stale\n', engine);
    expect(engine.series).toEqual([{ labels: { __name__: 'm', a: '1' }, samples: [{ t: 0, value: 1 }, { t: 60_000, value: NaN, stale: true }] }]);
  });

  it('also runs instant queries pinned with @ at other times, and as range queries', async () => {
    const engine = new SelectorEngine();
    await runTestScript('load 1m\n  metric 1+1x10\n\neval instant at 1m metric\n  metric 2\n', engine);
    const pinned = engine.queries.filter((q) => q.expr === 'metric @ 60.000' && q.range === undefined).map((q) => q.at);
    expect(pinned).toEqual([-600_000, 0, 12_000, 60_000, 600_000]);
    expect(engine.queries).toContainEqual({ expr: 'metric', range: [0, 120_000, 60_000] });
  });

  it.each([
    ['a wrong value', 'eval instant at 2m metric\n  metric{job="a"} 4', 'expected 4 for'],
    ['a missing series', 'eval instant at 2m metric\n  metric{job="a"} 3\n  metric{job="c"} 1', 'expected metric {"__name__"="metric","job"="c"} not found'],
    ['an unexpected series', 'eval instant at 0 metric', 'unexpected metric {"__name__"="metric","job"="a"} in result'],
    ['an error that was not expected', 'eval instant at 0 rate(metric[1m])', 'error evaluating query "rate(metric[1m])": unsupported: Call'],
    ['a different error', 'eval instant at 0 rate(metric[1m])\n  expect fail msg: other', 'expected error matching "other", but got: unsupported: Call'],
    ['a success that should have failed', 'eval instant at 0 1\n  expect fail', 'expected error evaluating query "1" but got none'],
    ['a vector where a scalar was expected', 'eval instant at 2m metric{job="a"}\n  3', 'expected scalar result, but got vector'],
    ['too many range points', 'eval range from 0 to 1m step 1m metric{job="a"}\n  metric{job="a"} 1 2 3', 'expected 3 points'],
  ])('fails a case with %s and says why', async (_name, evalBlock, reason) => {
    const result = await runTestScript(`load 1m\n  metric{job="a"} 1+1x4\n\n${evalBlock}\n`, new SelectorEngine(), { atModifierCases: false });
    expect(result.passed).toBe(0);
    expect(result.cases[0].reason).toContain(reason);
  });

  it('reports a script it cannot read without running anything', async () => {
    const engine = new SelectorEngine();
    const result = await runTestScript('bogus command', engine);
    expect(result).toMatchObject({ cases: [], total: 0 });
    expect(result.loadError).toContain('invalid command "bogus command"');
    expect(engine.queries).toEqual([]);
  });

  it('fails the case an engine exception happens in and goes on', async () => {
    const engine = new SelectorEngine();
    let calls = 0;
    engine.instantQuery = (expr: string, t: number) => {
      if (calls++ === 0) throw new Error('kaboom');
      return SelectorEngine.prototype.instantQuery.call(engine, expr, t);
    };
    const result = await runTestScript('eval instant at 0 1\n  1\n\neval instant at 0 2\n  2\n', engine);
    expect(result.cases.map((c) => [c.passed, c.reason])).toEqual([
      [false, 'engine threw: kaboom'],
      [true, undefined],
    ]);
  });
});
