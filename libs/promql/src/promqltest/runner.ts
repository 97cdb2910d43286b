import { type Expr, walk } from '../ast';
import { formatExpr } from '../format';
import { AT_MODIFIER_UNSAFE_FUNCTIONS } from '../functions';
import { parseExpr, promqlTestParseOptions } from '../parser';
import { type TestHistogram, almostEqual, histogramString, histogramsMatch } from './histogram';
import { type EvalCommand, type ExpectType, type Expectation, labelsKey, parseTestScript } from './script';
import type { Labels, SequenceValue } from './series';

/** One sample handed to the engine by a `load` command. */
export interface TestSample {
  t: number;
  /** A float sample; `stale` marks Prometheus's staleness marker (a NaN with a special payload). */
  value?: number;
  stale?: boolean;
  histogram?: TestHistogram;
  /** From `@st` lines: the sample's start timestamp. */
  startTimestampMs?: number;
}

export interface TestSeries {
  labels: Labels;
  samples: TestSample[];
}

export type QueryValue =
  | { type: 'scalar'; value: number }
  | { type: 'string'; value: string }
  | { type: 'vector'; samples: { labels: Labels; value?: number; histogram?: TestHistogram }[] }
  | { type: 'matrix'; series: { labels: Labels; floats: { t: number; value: number }[]; histograms: { t: number; histogram: TestHistogram }[] }[] };

/** What a query gave: an error message (creation or evaluation), or a value with annotations. */
export type QueryOutcome = { error: string } | { value: QueryValue; warnings?: string[]; infos?: string[] };

/** The engine under test. Times are milliseconds since the epoch; scripts start at 0. */
export interface TestEngine {
  /** Drops every loaded series (`clear`). */
  clear(): void | Promise<void>;
  /** Adds series (`load`); `withNhcb` asks to also store classic histograms as native histograms with custom buckets. */
  load(series: TestSeries[], options: { withNhcb: boolean }): void | Promise<void>;
  instantQuery(expr: string, timeMs: number): QueryOutcome | Promise<QueryOutcome>;
  rangeQuery(expr: string, startMs: number, endMs: number, stepMs: number): QueryOutcome | Promise<QueryOutcome>;
}

export interface CaseResult {
  line: number;
  expr: string;
  passed: boolean;
  /** Why it failed. */
  reason?: string;
}

export interface ScriptResult {
  /** The script could not be read; no case ran. */
  loadError?: string;
  cases: CaseResult[];
  passed: number;
  total: number;
}

export interface RunOptions {
  /** Also run each instant query with `@` pinned on every selector at other times (Prometheus does). Default true. */
  atModifierCases?: boolean;
  /** Also run each instant query as a range query around its time and compare the middle step. Default true. */
  rangeModeCheck?: boolean;
}

const EPSILON = 1e-6;
const QUERY_CONTEXT_FUNCS = /(start|end|range|step)\(\)/;

/**
 * Runs a test script against an engine the way Prometheus's `promqltest` does, and reports each
 * `eval` as one case (an instant eval passes only if its @-pinned variants and its range-mode
 * re-run pass too). Engine exceptions fail the case they happen in.
 */
export async function runTestScript(text: string, engine: TestEngine, options: RunOptions = {}): Promise<ScriptResult> {
  let cmds;
  try {
    cmds = parseTestScript(text);
  } catch (err) {
    return { loadError: (err as Error).message, cases: [], passed: 0, total: 0 };
  }
  const cases: CaseResult[] = [];
  let setupError: string | undefined;
  await engine.clear();
  for (const cmd of cmds) {
    try {
      if (cmd.kind === 'clear') {
        await engine.clear();
        setupError = undefined;
      } else if (cmd.kind === 'load') {
        const series = cmd.series.map((s) => ({
          labels: s.labels,
          samples: toSamples(s.values, cmd.intervalMs, s.startOffsetsMs),
        }));
        await engine.load(series, { withNhcb: cmd.withNhcb });
      } else {
        const reason = setupError ? `an earlier command failed: ${setupError}` : await runEval(cmd, engine, options);
        cases.push({ line: cmd.line, expr: cmd.expr, passed: reason === undefined, reason });
      }
    } catch (err) {
      const msg = `engine threw: ${(err as Error).message}`;
      if (cmd.kind === 'eval') cases.push({ line: cmd.line, expr: cmd.expr, passed: false, reason: msg });
      else setupError = `line ${cmd.line}: ${msg}`;
    }
  }
  const passed = cases.filter((c) => c.passed).length;
  return { cases, passed, total: cases.length };
}

function toSamples(values: SequenceValue[], intervalMs: number, startOffsets?: (number | undefined)[]): TestSample[] {
  const out: TestSample[] = [];
  values.forEach((v, k) => {
    if (v.kind === 'omitted') return;
    const t = k * intervalMs;
    const s: TestSample = v.kind === 'float' ? { t, value: v.value, stale: v.stale || undefined } : { t, histogram: v.histogram };
    const st = startOffsets?.[k];
    if (st !== undefined) s.startTimestampMs = t + st;
    out.push(s);
  });
  return out;
}

function isFail(ev: EvalCommand): boolean {
  return ev.fail || ev.expectations.some((e) => e.type === 'fail');
}

function isOrdered(ev: EvalCommand): boolean {
  return ev.ordered || ev.expectations.some((e) => e.type === 'ordered');
}

function matches(e: Expectation, s: string): boolean {
  if (e.message !== undefined) return e.message === s;
  if (e.regex) return e.regex.test(s);
  return true;
}

async function runEval(ev: EvalCommand, engine: TestEngine, options: RunOptions): Promise<string | undefined> {
  if (ev.range) {
    return checkOutcome(ev, await engine.rangeQuery(ev.expr, ev.startMs, ev.endMs, ev.stepMs), ev.expr);
  }
  const queries: { expr: string; at: number }[] = [{ expr: ev.expr, at: ev.evalMs }];
  if (options.atModifierCases !== false) {
    const extra = atModifierCases(ev.expr, ev.evalMs);
    if (typeof extra === 'string') return extra;
    queries.push(...extra);
  }
  for (const q of queries) {
    const outcome = await engine.instantQuery(q.expr, q.at);
    const reason = checkOutcome(ev, outcome, q.expr);
    if (reason) return reason;
    if ('error' in outcome || ev.excludeFromRangeQuery || options.rangeModeCheck === false || QUERY_CONTEXT_FUNCS.test(q.expr)) continue;
    const rangeOutcome = await engine.rangeQuery(q.expr, q.at - 60_000, q.at + 60_000, 60_000);
    if ('error' in rangeOutcome) return `error evaluating query ${JSON.stringify(q.expr)} in range mode: ${rangeOutcome.error}`;
    if (isOrdered(ev)) continue;
    if (rangeOutcome.value.type !== 'matrix') return `range query returned a ${rangeOutcome.value.type}, not a matrix`;
    const sorted = matrixSortError(rangeOutcome.value);
    if (sorted) return sorted;
    const samples: { labels: Labels; value?: number; histogram?: TestHistogram }[] = [];
    for (const s of rangeOutcome.value.series) {
      const f = s.floats.find((p) => p.t === q.at);
      if (f) samples.push({ labels: s.labels, value: f.value });
      const h = s.histograms.find((p) => p.t === q.at);
      if (h) samples.push({ labels: s.labels, histogram: h.histogram });
    }
    const asValue: QueryValue =
      outcome.value.type === 'scalar' ? { type: 'scalar', value: samples[0]?.value ?? NaN } : { type: 'vector', samples };
    const err = compareResult(ev, asValue, false);
    if (err) return `range mode (${q.expr}): ${err}`;
  }
  return undefined;
}

/**
 * The extra instant queries Prometheus runs: every selector and subquery without `@` gets
 * `@ <eval time>` (not inside a subquery that has one), evaluated at other times; skipped for
 * expressions using functions that depend on the evaluation time.
 */
function atModifierCases(exprStr: string, evalMs: number): { expr: string; at: number }[] | string {
  let expr: Expr;
  try {
    expr = parseExpr(exprStr, promqlTestParseOptions());
  } catch (err) {
    return `parse: ${(err as Error).message}`;
  }
  let unsafe = false;
  walk(expr, (node, path) => {
    if (path.some((p) => p.type === 'SubqueryExpr' && (p.timestampMs !== undefined || p.startOrEnd !== undefined))) return;
    if (node.type === 'VectorSelector' || node.type === 'SubqueryExpr') {
      if (node.timestampMs === undefined && node.startOrEnd === undefined) node.timestampMs = evalMs;
    } else if (node.type === 'MatrixSelector') {
      const vs = node.vectorSelector;
      if (vs.timestampMs === undefined && vs.startOrEnd === undefined) vs.timestampMs = evalMs;
    } else if (node.type === 'Call' && AT_MODIFIER_UNSAFE_FUNCTIONS.has(node.func.name)) {
      unsafe = true;
    }
  });
  if (unsafe) return [];
  const pinned = formatExpr(expr);
  const times = evalMs === 0 ? [-1000, 0, 1000] : [-10 * evalMs, 0, Math.trunc(evalMs / 5), evalMs, 10 * evalMs];
  return times.map((at) => ({ expr: pinned, at }));
}

function checkOutcome(ev: EvalCommand, outcome: QueryOutcome, expr: string): string | undefined {
  if ('error' in outcome) {
    if (!isFail(ev)) return `error evaluating query ${JSON.stringify(expr)}: ${outcome.error}`;
    return expectedFailure(ev, outcome.error);
  }
  if (isFail(ev)) return `expected error evaluating query ${JSON.stringify(expr)} but got none`;
  const annos = checkAnnotations(ev, outcome.warnings ?? [], outcome.infos ?? []);
  if (annos) return annos;
  return compareResult(ev, outcome.value, true);
}

function expectedFailure(ev: EvalCommand, actual: string): string | undefined {
  if (ev.expectedFailMessage !== undefined && ev.expectedFailMessage !== '' && ev.expectedFailMessage !== actual) {
    return `expected error ${JSON.stringify(ev.expectedFailMessage)}, but got: ${actual}`;
  }
  if (ev.expectedFailRegexp && !ev.expectedFailRegexp.test(actual)) {
    return `expected error matching pattern ${JSON.stringify(ev.expectedFailRegexp.source)}, but got: ${actual}`;
  }
  const fail = ev.expectations.find((e) => e.type === 'fail');
  if (fail && !matches(fail, actual)) return `expected error matching ${JSON.stringify(fail.message ?? fail.regex?.source)}, but got: ${actual}`;
  return undefined;
}

function checkAnnotations(ev: EvalCommand, warnings: string[], infos: string[]): string | undefined {
  if (ev.warn && warnings.length === 0) return 'expected warnings but got none';
  if (ev.info && infos.length === 0) return 'expected info annotations but got none';
  const byType = (t: ExpectType) => ev.expectations.filter((e) => e.type === t);
  for (const [kind, actual] of [
    ['warn', warnings],
    ['info', infos],
  ] as const) {
    const expected = byType(kind);
    if (expected.length === 0) continue;
    if (actual.length === 0) return `expected ${kind} annotations but none were found`;
    for (const e of expected) {
      if (!actual.some((a) => matches(e, a))) return `expected ${kind} annotation matching ${JSON.stringify(e.message ?? e.regex?.source)} but found: ${JSON.stringify(actual)}`;
    }
    for (const a of actual) {
      if (!expected.some((e) => matches(e, a))) return `unexpected ${kind} annotation ${JSON.stringify(a)}`;
    }
  }
  if (byType('no_warn').length > 0 && warnings.length > 0) return `unexpected warning annotations: ${JSON.stringify(warnings)}`;
  if (byType('no_info').length > 0 && infos.length > 0) return `unexpected info annotations: ${JSON.stringify(infos)}`;
  return undefined;
}

function compareLabels(a: Labels, b: Labels): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    const va = a[ka[i]];
    const vb = b[kb[i]];
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return ka.length - kb.length;
}

function matrixSortError(m: Extract<QueryValue, { type: 'matrix' }>): string | undefined {
  for (let i = 0; i + 1 < m.series.length; i++) {
    if (compareLabels(m.series[i].labels, m.series[i + 1].labels) > 0) {
      return `matrix results should always be sorted by labels, but series at index ${i + 1} (${labelsKey(m.series[i + 1].labels)}) sorts before series at index ${i}`;
    }
  }
  return undefined;
}

function valueString(v: SequenceValue): string {
  if (v.kind === 'omitted') return '_';
  if (v.kind === 'histogram') return histogramString(v.histogram);
  return v.stale ? 'stale' : String(v.value);
}

function compareResult(ev: EvalCommand, value: QueryValue, checkOrder: boolean): string | undefined {
  const expectScalar = ev.expectedScalar !== undefined;
  const expected = new Map(ev.expectedSeries.map((s) => [labelsKey(s.labels), s]));
  switch (value.type) {
    case 'matrix': {
      if (isOrdered(ev)) return 'expected ordered result, but query returned a matrix';
      if (expectScalar) return 'expected scalar result, but got matrix';
      const sorted = matrixSortError(value);
      if (sorted) return sorted;
      const seen = new Set<string>();
      for (const s of value.series) {
        const key = labelsKey(s.labels);
        const exp = expected.get(key);
        if (!exp) return `unexpected metric {${key}} in result`;
        seen.add(key);
        const expFloats: { t: number; value: number }[] = [];
        const expHists: { t: number; h: TestHistogram; hintSet: boolean }[] = [];
        for (let k = 0; k < exp.values.length; k++) {
          const t = ev.startMs + k * ev.stepMs;
          if (t > ev.endMs) return `expected ${exp.values.length} points for {${key}}, but query time range cannot return this many points`;
          const v = exp.values[k];
          if (v.kind === 'histogram') expHists.push({ t, h: v.histogram, hintSet: v.counterResetHintSet });
          else if (v.kind === 'float') expFloats.push({ t, value: v.value });
        }
        if (expFloats.length !== s.floats.length || expHists.length !== s.histograms.length) {
          return `expected ${expFloats.length} float points and ${expHists.length} histogram points for {${key}}, but got ${s.floats.length} float points ${JSON.stringify(s.floats)} and ${s.histograms.length} histogram points`;
        }
        for (let k = 0; k < expFloats.length; k++) {
          const e = expFloats[k];
          const a = s.floats[k];
          if (e.t !== a.t) return `expected float value at index ${k} for {${key}} to have timestamp ${e.t}, but it had timestamp ${a.t}`;
          if (!almostEqual(a.value, e.value, EPSILON)) return `expected float value at index ${k} (t=${a.t}) for {${key}} to be ${e.value}, but got ${a.value}`;
        }
        for (let k = 0; k < expHists.length; k++) {
          const e = expHists[k];
          const a = s.histograms[k];
          if (e.t !== a.t) return `expected histogram value at index ${k} for {${key}} to have timestamp ${e.t}, but it had timestamp ${a.t}`;
          if (!histogramsMatch(e.h, a.histogram, e.hintSet)) {
            return `expected histogram value at index ${k} (t=${a.t}) for {${key}} to be ${histogramString(e.h)}, but got ${histogramString(a.histogram)}`;
          }
        }
      }
      for (const key of expected.keys()) if (!seen.has(key)) return `expected metric {${key}} not found`;
      return undefined;
    }
    case 'vector': {
      if (expectScalar) return 'expected scalar result, but got vector';
      const seen = new Set<string>();
      for (let p = 0; p < value.samples.length; p++) {
        const s = value.samples[p];
        const key = labelsKey(s.labels);
        const exp = expected.get(key);
        const got = s.histogram ? histogramString(s.histogram) : String(s.value);
        if (!exp) return `unexpected metric {${key}} in result, has value ${got}`;
        if (checkOrder && isOrdered(ev) && exp.pos !== p + 1) return `expected metric {${key}} at position ${exp.pos} but was at ${p + 1}`;
        const e = exp.values[0];
        if (e === undefined || e.kind === 'omitted') return `expected no value for {${key}} but got ${got}`;
        if (e.kind === 'float' && s.histogram) return `expected float value ${e.value} for {${key}} but got histogram ${got}`;
        if (e.kind === 'histogram') {
          if (!s.histogram) return `expected histogram ${histogramString(e.histogram)} for {${key}} but got float value ${s.value}`;
          if (!histogramsMatch(e.histogram, s.histogram, e.counterResetHintSet)) return `expected ${histogramString(e.histogram)} for {${key}} but got ${got}`;
        } else if (!almostEqual(e.value, s.value ?? NaN, EPSILON)) {
          return `expected ${valueString(e)} for {${key}} but got ${got}`;
        }
        seen.add(key);
      }
      for (const key of expected.keys()) if (!seen.has(key)) return `expected metric {${key}} not found`;
      return undefined;
    }
    case 'scalar':
      if (!expectScalar) return `expected vector or matrix result, but got scalar ${value.value}`;
      if (!almostEqual(ev.expectedScalar!, value.value, EPSILON)) return `expected scalar ${ev.expectedScalar} but got ${value.value}`;
      return undefined;
    case 'string':
      if (ev.expectedString !== value.value) return `expected string ${JSON.stringify(ev.expectedString)} but got ${JSON.stringify(value.value)}`;
      return undefined;
  }
}
