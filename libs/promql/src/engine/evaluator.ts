import type { Expr, MatrixSelector, SubqueryExpr, VectorSelector } from '../ast';
import { AT_MODIFIER_UNSAFE_FUNCTIONS } from '../functions';
import { PromQLExecutionError, QueryCanceledError, QueryTimeoutError, QueryTooManySamplesError } from '../errors';
import { evalAggregate } from './aggregate';
import type { Annotations } from './annotations';
import { evalBinary } from './binary';
import { evalCall } from './calls';
import { dropMetricName } from './labels';
import { type SeriesData, stepDecoded } from './series-data';
import {
  type Grid,
  type MatrixValue,
  type RangeSeries,
  type ScalarValue,
  type StepSeries,
  type Value,
  type VectorValue,
  countPresent,
  gridTime,
  mergeSameLabels,
} from './values';

/** How long evaluation may hold the event loop before it lets other work run. */
const YIELD_EVERY_MS = 10;

export interface EvalSettings {
  /** The query as written, for annotation positions. */
  query: string;
  /** The query's start and end, ms: what `@ start()` and `@ end()` mean. */
  startMs: number;
  endMs: number;
  /** The query's step, ms (0 for an instant query): what `step()` means. */
  stepMs: number;
  lookbackMs: number;
  /** The step of a subquery written without one (`[1h:]`), ms. */
  noStepSubqueryIntervalMs: number;
  maxSamples: number;
  /** Epoch ms after which evaluation stops with a timeout. */
  deadline: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Resolves `@ start()` / `@ end()`; undefined when the node has no `@`. */
export function atOf(node: VectorSelector | SubqueryExpr, s: Pick<EvalSettings, 'startMs' | 'endMs'>): number | undefined {
  if (node.timestampMs !== undefined) return node.timestampMs;
  if (node.startOrEnd === 'start') return s.startMs;
  if (node.startOrEnd === 'end') return s.endMs;
  return undefined;
}

/**
 * Evaluates a parsed expression over a step grid, Prometheus-style: each node is evaluated for
 * every step at once and hands its parent typed arrays. Selector data was fetched before (one
 * `SeriesData[]` per selector node). Tracks the samples held at once against `maxSamples`.
 */
export class Evaluator {
  private current = 0;
  peak = 0;
  private readonly frames: number[] = [0];
  private checks = 0;
  private lastYield = Date.now();

  constructor(
    readonly settings: EvalSettings,
    private readonly data: ReadonlyMap<VectorSelector, SeriesData[]>,
    readonly annotations: Annotations,
    /** Selectors already sampled at the query's steps while fetched (`sampleSteps`). */
    private readonly stepped: ReadonlyMap<VectorSelector, StepSeries[]> = new Map(),
  ) {}

  async eval(e: Expr, g: Grid): Promise<Value> {
    const pause = this.tick();
    if (pause) await pause;
    this.frames.push(0);
    let v: Value;
    let children = 0;
    try {
      if (g.n > 1 && worthOneStep(e) && isStepInvariant(e)) {
        // Same value at every step (`@` pins it): evaluate once, copy to every step (Prometheus's StepInvariantExpr).
        v = broadcast(await this.evalNode(e, { start: g.start, interval: g.interval, n: 1 }), g.n);
      } else {
        v = await this.evalNode(e, g);
      }
    } finally {
      children = this.frames.pop()!;
    }
    const size = sizeOf(v);
    this.current += size;
    if (this.current > this.peak) this.peak = this.current;
    if (this.current > this.settings.maxSamples) {
      throw new QueryTooManySamplesError('query processing would load too many samples into memory in query execution');
    }
    this.current -= children;
    this.frames[this.frames.length - 1] += size;
    return v;
  }

  /** Evaluates an expression that must give an instant vector. */
  async evalVector(e: Expr, g: Grid): Promise<VectorValue> {
    const v = await this.eval(e, g);
    if (v.kind !== 'vector') throw new PromQLExecutionError(`expected instant vector, got ${v.kind}`);
    return v;
  }

  async evalScalar(e: Expr, g: Grid): Promise<ScalarValue> {
    const v = await this.eval(e, g);
    if (v.kind !== 'scalar') throw new PromQLExecutionError(`expected scalar, got ${v.kind}`);
    return v;
  }

  async evalMatrix(e: Expr, g: Grid): Promise<MatrixValue> {
    const v = await this.eval(unwrapParens(e), g);
    if (v.kind !== 'matrix') throw new PromQLExecutionError(`expected range vector, got ${v.kind}`);
    return v;
  }

  /**
   * Call once per series or step of any loop, as `const pause = ev.tick(); if (pause) await pause;`:
   * every few milliseconds it gives the event loop a turn (other requests, the write path, a
   * client's disconnect), and it throws when the query was cancelled or ran past its deadline.
   * Cheap in between: a counter, and no promise (a query split in k parts has k times the series
   * loops, so an await per series would be a per-split cost of its own).
   */
  tick(): Promise<void> | undefined {
    if ((this.checks++ & 15) !== 0) return undefined;
    const now = Date.now();
    if (now - this.lastYield >= YIELD_EVERY_MS) return this.yieldThenCheck(now);
    this.checkLive(now);
    return undefined;
  }

  private async yieldThenCheck(now: number): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = Date.now();
    this.checkLive(now);
  }

  private checkLive(now: number): void {
    if (this.settings.signal?.aborted) throw new QueryCanceledError('query was canceled in expression evaluation');
    if (now > this.settings.deadline) {
      throw new QueryTimeoutError(`query timed out in expression evaluation (timeout ${this.settings.timeoutMs}ms)`);
    }
  }

  private async evalNode(e: Expr, g: Grid): Promise<Value> {
    switch (e.type) {
      case 'NumberLiteral':
        return { kind: 'scalar', vals: new Float64Array(g.n).fill(e.val) };
      case 'StringLiteral':
        return { kind: 'string', val: e.val };
      case 'ParenExpr':
      case 'StepInvariantExpr':
        return this.evalNode(e.expr, g);
      case 'UnaryExpr':
        return this.evalUnary(e.op, e.expr, g);
      case 'VectorSelector':
        return this.evalVectorSelector(e, g);
      case 'MatrixSelector':
        return this.evalMatrixSelector(e);
      case 'SubqueryExpr':
        return this.evalSubquery(e, g);
      case 'BinaryExpr':
        return evalBinary(this, e, g);
      case 'AggregateExpr':
        return evalAggregate(this, e, g);
      case 'Call':
        return evalCall(this, e, g);
    }
  }

  private async evalUnary(op: '+' | '-', inner: Expr, g: Grid): Promise<Value> {
    const v = await this.eval(inner, g);
    if (op === '+') return v;
    if (v.kind === 'scalar') return { kind: 'scalar', vals: v.vals.map((x) => -x) };
    if (v.kind !== 'vector') throw new PromQLExecutionError(`unary minus on ${v.kind}`);
    const out = v.series.map((s) => ({ labels: dropMetricName(s.labels), vals: s.vals.map((x) => -x), has: s.has }));
    return { kind: 'vector', series: checkUniqueLabels(out) };
  }

  private async evalVectorSelector(e: VectorSelector, g: Grid): Promise<VectorValue> {
    // Sampled at the query's steps while it was fetched.
    const pre = this.stepped.get(e);
    if (pre) return { kind: 'vector', series: pre };
    const at = atOf(e, this.settings);
    const out: StepSeries[] = [];
    for (const sd of this.data.get(e) ?? []) {
      const pause = this.tick();
      if (pause) await pause;
      const s = stepDecoded(sd, g, at, e.offsetMs, this.settings.lookbackMs);
      if (s) out.push(s);
    }
    return { kind: 'vector', series: out };
  }

  private evalMatrixSelector(e: MatrixSelector): MatrixValue {
    const vs = e.vectorSelector;
    const series: RangeSeries[] = [];
    for (const sd of this.data.get(vs) ?? []) {
      series.push(withoutStale(sd));
    }
    return { kind: 'matrix', series, rangeMs: e.rangeMs, offsetMs: vs.offsetMs, atMs: atOf(vs, this.settings) };
  }

  private async evalSubquery(e: SubqueryExpr, g: Grid): Promise<MatrixValue> {
    const at = atOf(e, this.settings);
    const step = e.stepMs > 0 ? e.stepMs : this.settings.noStepSubqueryIntervalMs;
    const firstRef = (at ?? g.start) - e.offsetMs;
    const lastRef = (at ?? gridTime(g, g.n - 1)) - e.offsetMs;
    // The first step strictly after the window's (excluded) start.
    const from = Math.floor((firstRef - e.rangeMs) / step) * step + step;
    const n = lastRef < from ? 0 : Math.floor((lastRef - from) / step) + 1;
    const inner: Grid = { start: from, interval: step, n };
    const series: RangeSeries[] = [];
    if (n > 0) {
      const v = await this.eval(e.expr, inner);
      if (v.kind === 'vector') {
        for (const s of v.series) series.push(compact(s, inner));
      } else if (v.kind === 'scalar') {
        const ts = new Float64Array(n);
        for (let k = 0; k < n; k++) ts[k] = gridTime(inner, k);
        series.push({ labels: [], ts, vs: v.vals });
      }
    }
    return { kind: 'matrix', series, rangeMs: e.rangeMs, offsetMs: e.offsetMs, atMs: at };
  }
}

const invariance = new WeakMap<Expr, boolean>();

/**
 * Whether an expression has the same value at every step, by Prometheus's rules (preprocessExpr):
 * selectors and subqueries pinned with `@`, and operators and functions (other than the time-based
 * ones) over only such inputs and literals.
 */
export function isStepInvariant(e: Expr): boolean {
  let r = invariance.get(e);
  if (r !== undefined) return r;
  switch (e.type) {
    case 'NumberLiteral':
    case 'StringLiteral':
      r = true;
      break;
    case 'VectorSelector':
    case 'SubqueryExpr':
      r = e.timestampMs !== undefined || e.startOrEnd !== undefined;
      break;
    case 'MatrixSelector':
      r = isStepInvariant(e.vectorSelector);
      break;
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      r = isStepInvariant(e.expr);
      break;
    case 'AggregateExpr':
      r = isStepInvariant(e.expr);
      break;
    case 'BinaryExpr':
      r = isStepInvariant(e.lhs) && isStepInvariant(e.rhs);
      break;
    case 'Call':
      r = !AT_MODIFIER_UNSAFE_FUNCTIONS.has(e.func.name) && e.args.every(isStepInvariant);
      break;
  }
  invariance.set(e, r);
  return r;
}

/** Literals are as cheap per step as once; matrices are consumed per window, never copied. */
function worthOneStep(e: Expr): boolean {
  return e.type === 'VectorSelector' || e.type === 'Call' || e.type === 'AggregateExpr' || e.type === 'BinaryExpr';
}

/** A one-step value repeated over `n` steps. */
function broadcast(v: Value, n: number): Value {
  if (v.kind === 'scalar') return { kind: 'scalar', vals: new Float64Array(n).fill(v.vals[0]) };
  if (v.kind !== 'vector') return v;
  return {
    kind: 'vector',
    series: v.series.map((s) => ({
      labels: s.labels,
      vals: new Float64Array(n).fill(s.vals[0]),
      has: new Uint8Array(n).fill(s.has[0]),
      sampleTs: s.sampleTs ? new Float64Array(n).fill(s.sampleTs[0]) : undefined,
    })),
  };
}

export function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr' || e.type === 'StepInvariantExpr') e = e.expr;
  return e;
}

/** A range series of a step series' present points. */
export function compact(s: StepSeries, g: Grid): RangeSeries {
  const n = countPresent(s);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  let j = 0;
  for (let k = 0; k < g.n; k++) {
    if (!s.has[k]) continue;
    ts[j] = gridTime(g, k);
    vs[j] = s.vals[k];
    j++;
  }
  return { labels: s.labels, ts, vs };
}

function withoutStale(sd: SeriesData): RangeSeries {
  if (!sd.stale) return { labels: sd.labels, ts: sd.ts, vs: sd.vs };
  let n = 0;
  for (let i = 0; i < sd.stale.length; i++) n += sd.stale[i] ? 0 : 1;
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < sd.ts.length; i++) {
    if (sd.stale[i]) continue;
    ts[j] = sd.ts[i];
    vs[j] = sd.vs[i];
    j++;
  }
  return { labels: sd.labels, ts, vs };
}

/**
 * Visits each step's window of a range series: `fn(k, lo, hi, ref)` with the window's samples at
 * indices [lo, hi), the window being (ref - range, ref].
 */
export function forEachWindow(
  m: MatrixValue,
  s: RangeSeries,
  g: Grid,
  fn: (k: number, lo: number, hi: number, ref: number) => void,
): void {
  let lo = 0;
  let hi = 0;
  const ts = s.ts;
  for (let k = 0; k < g.n; k++) {
    const ref = (m.atMs ?? gridTime(g, k)) - m.offsetMs;
    const start = ref - m.rangeMs;
    if (m.atMs !== undefined && k > 0) {
      fn(k, lo, hi, ref);
      continue;
    }
    while (lo < ts.length && ts[lo] <= start) lo++;
    if (hi < lo) hi = lo;
    while (hi < ts.length && ts[hi] <= ref) hi++;
    fn(k, lo, hi, ref);
  }
}

/** Prometheus's check that an instant vector never holds two series with equal labels at a step. */
export function checkUniqueLabels(series: StepSeries[]): StepSeries[] {
  // Merging equal label sets throws on a shared step, exactly the check wanted.
  return mergeSameLabels(series);
}


function sizeOf(v: Value): number {
  if (v.kind === 'vector') {
    let n = 0;
    for (const s of v.series) n += countPresent(s);
    return n;
  }
  if (v.kind === 'matrix') {
    let n = 0;
    for (const s of v.series) n += s.ts.length;
    return n;
  }
  return 0;
}
