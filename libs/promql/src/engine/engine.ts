import { compareLabels as compareLabelSets } from '@panoptes/block-formats';
import { ValidationError } from '@panoptes/common';
import { type Expr, type VectorSelector, children, documentedType, exprType } from '../ast';
import { QueryCanceledError, QueryTimeoutError, QueryTooManySamplesError } from '../errors';
import { type ParseOptions, parseExpr } from '../parser';
import { Annotations } from './annotations';
import { Evaluator, atOf } from './evaluator';
import { type SeriesData, decodeSeries, sampleSteps, stepDecoded } from './series-data';
import type { MatrixSeries, QueryEngine, QueryOptions, QueryResult, QueryValue, Queryable, SeriesQuerier, VectorSample } from './types';
import { type Grid, type MatrixValue, type StepSeries, type Value, gridTime } from './values';

export interface EngineConfig {
  /** How far back an instant selector looks for a sample, ms (Prometheus's lookback delta). */
  lookbackDeltaMs: number;
  /** Most samples a query may hold at once (`-querier.max-samples`). */
  maxSamples: number;
  /** A query running longer fails with a timeout, ms (`-querier.timeout`). */
  timeoutMs: number;
  /** The step of subqueries written without one (`[1h:]`), ms. */
  noStepSubqueryIntervalMs: number;
  /** Parser features beyond Prometheus's defaults. */
  parseOptions: Partial<ParseOptions>;
}

export function defaultEngineConfig(): EngineConfig {
  return { lookbackDeltaMs: 5 * 60_000, maxSamples: 50_000_000, timeoutMs: 2 * 60_000, noStepSubqueryIntervalMs: 60_000, parseOptions: {} };
}

/**
 * The PromQL engine: parses a query, fetches every selector's series once from storage (decoded
 * into typed arrays), evaluates the tree over the step grid and shapes the result as Prometheus
 * returns it.
 */
export class Engine implements QueryEngine {
  constructor(private readonly config: EngineConfig = defaultEngineConfig()) {}

  instantQuery(queryable: Queryable, tenant: string, query: string, timeMs: number, options: QueryOptions = {}): Promise<QueryResult> {
    return this.exec(queryable, tenant, query, timeMs, timeMs, 0, options);
  }

  async rangeQuery(
    queryable: Queryable,
    tenant: string,
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    options: QueryOptions = {},
  ): Promise<QueryResult> {
    if (!(stepMs > 0)) throw new ValidationError('promql_bad_step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (endMs < startMs) throw new ValidationError('promql_bad_range', 'end timestamp must not be before start time');
    return this.exec(queryable, tenant, query, startMs, endMs, stepMs, options);
  }

  private async exec(
    queryable: Queryable,
    tenant: string,
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    options: QueryOptions,
  ): Promise<QueryResult> {
    const expr = parseExpr(query, this.config.parseOptions);
    const isRange = stepMs > 0;
    const type = exprType(expr);
    if (isRange && type !== 'scalar' && type !== 'vector') {
      throw new ValidationError('promql_bad_query', `invalid expression type "${documentedType(type)}" for range query, must be Scalar or instant Vector`);
    }
    const timeoutMs = this.config.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const lookbackMs = options.lookbackDeltaMs ?? this.config.lookbackDeltaMs;
    const settings = {
      query,
      startMs,
      endMs,
      stepMs,
      lookbackMs,
      noStepSubqueryIntervalMs: this.config.noStepSubqueryIntervalMs,
      maxSamples: this.config.maxSamples,
      deadline,
      timeoutMs,
      signal: options.signal,
    };
    const ranges = selectorRanges(expr, startMs, endMs, settings);
    const annotations = new Annotations(query);
    const grid: Grid = isRange ? { start: startMs, interval: stepMs, n: Math.floor((endMs - startMs) / stepMs) + 1 } : { start: startMs, interval: 1, n: 1 };
    const { data, stepped, totalSamples } = await fetchSelectors(queryable, tenant, ranges, stepMs, grid, lookbackMs, options.signal, deadline, timeoutMs, this.config.maxSamples, annotations);
    const ev = new Evaluator(settings, data, annotations, stepped);
    const value = await ev.eval(expr, grid);
    return {
      value: isRange ? rangeResult(value, grid) : instantResult(value, grid),
      warnings: annotations.warnings,
      infos: annotations.infos,
      stats: { peakSamples: ev.peak, totalSamples },
    };
  }
}

interface SelectorRange {
  start: number;
  end: number;
  range: number;
  func?: string;
  /**
   * An instant-vector selector evaluated at the query's own steps (not under a subquery, no `@`):
   * sampled at those steps as it is fetched (`sampleSteps`), never decoded whole.
   */
  stepped?: boolean;
}

/** The time range each selector needs, following offsets, `@`, ranges and subqueries down the tree. */
function selectorRanges(expr: Expr, startMs: number, endMs: number, s: { startMs: number; endMs: number; lookbackMs: number; noStepSubqueryIntervalMs: number }): Map<VectorSelector, SelectorRange> {
  const out = new Map<VectorSelector, SelectorRange>();
  const visit = (e: Expr, from: number, to: number, func: string | undefined, topGrid = true): void => {
    switch (e.type) {
      case 'VectorSelector': {
        const at = atOf(e, s);
        const refFrom = (at ?? from) - e.offsetMs;
        const refTo = (at ?? to) - e.offsetMs;
        out.set(e, { start: refFrom - s.lookbackMs + 1, end: refTo, range: 0, func, stepped: topGrid && at === undefined });
        return;
      }
      case 'MatrixSelector': {
        const vs = e.vectorSelector;
        const at = atOf(vs, s);
        const refFrom = (at ?? from) - vs.offsetMs;
        const refTo = (at ?? to) - vs.offsetMs;
        out.set(vs, { start: refFrom - e.rangeMs + 1, end: refTo, range: e.rangeMs, func });
        return;
      }
      case 'SubqueryExpr': {
        const at = atOf(e, s);
        const refFrom = (at ?? from) - e.offsetMs;
        const refTo = (at ?? to) - e.offsetMs;
        visit(e.expr, refFrom - e.rangeMs, refTo, undefined, false);
        return;
      }
      case 'Call':
        for (const c of e.args) visit(c, from, to, e.func.name, topGrid);
        return;
      default:
        for (const c of children(e)) visit(c, from, to, func, topGrid);
    }
  };
  visit(expr, startMs, endMs, undefined);
  return out;
}

async function fetchSelectors(
  queryable: Queryable,
  tenant: string,
  ranges: Map<VectorSelector, SelectorRange>,
  stepMs: number,
  grid: Grid,
  lookbackMs: number,
  signal: AbortSignal | undefined,
  deadline: number,
  timeoutMs: number,
  maxSamples: number,
  annotations: Annotations,
): Promise<{ data: Map<VectorSelector, SeriesData[]>; stepped: Map<VectorSelector, StepSeries[]>; totalSamples: number }> {
  const data = new Map<VectorSelector, SeriesData[]>();
  const stepped = new Map<VectorSelector, StepSeries[]>();
  let totalSamples = 0;
  if (ranges.size === 0) return { data, stepped, totalSamples };
  const count = (samples: number): void => {
    totalSamples += samples;
    // Decoded samples stay in memory for the whole evaluation: they count against the same limit.
    if (totalSamples > maxSamples) {
      throw new QueryTooManySamplesError('query processing would load too many samples into memory in query execution', { tenant });
    }
  };
  let minT = Infinity;
  let maxT = -Infinity;
  for (const r of ranges.values()) {
    minT = Math.min(minT, r.start);
    maxT = Math.max(maxT, r.end);
  }
  const timeout = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
  const fetchSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const querier: SeriesQuerier = queryable.querier(tenant, minT, maxT);
  try {
    await Promise.all(
      [...ranges].map(async ([vs, r]) => {
        const list: SeriesData[] = [];
        const steps: StepSeries[] = [];
        const hints = { start: r.start, end: r.end, step: stepMs, range: r.range, func: r.func };
        for await (const stored of querier.select(vs.matchers, hints, fetchSignal)) {
          const sampled = r.stepped ? sampleSteps(stored, r.start, r.end, grid, vs.offsetMs, lookbackMs) : undefined;
          if (sampled) {
            count(sampled.samples);
            if (sampled.series) steps.push(sampled.series);
            continue;
          }
          const sd = decodeSeries(stored, r.start, r.end);
          if (sd.ts.length === 0) continue;
          count(sd.ts.length);
          if (!r.stepped) {
            list.push(sd);
            continue;
          }
          // Overlapping chunks: merged by the decode, then sampled (in selection order with the rest).
          const s = stepDecoded(sd, grid, undefined, vs.offsetMs, lookbackMs);
          if (s) steps.push(s);
        }
        if (r.stepped) stepped.set(vs, steps);
        else data.set(vs, list);
      }),
    );
  } catch (err) {
    if (err instanceof QueryTooManySamplesError) throw err;
    if (signal?.aborted) throw new QueryCanceledError('query was canceled while fetching series', { tenant, cause: err });
    if (timeout.aborted) throw new QueryTimeoutError(`query timed out while fetching series (timeout ${timeoutMs}ms)`, { tenant, cause: err });
    throw err;
  }
  for (const w of querier.warnings?.() ?? []) annotations.addRawWarning(w);
  return { data, stepped, totalSamples };
}

function instantResult(v: Value, g: Grid): QueryValue {
  const t = g.start;
  switch (v.kind) {
    case 'scalar':
      return { resultType: 'scalar', t, v: v.vals[0] };
    case 'string':
      return { resultType: 'string', t, v: v.val };
    case 'vector': {
      const result: VectorSample[] = [];
      for (const s of v.series) if (s.has[0]) result.push({ labels: s.labels, t, v: s.vals[0] });
      return { resultType: 'vector', result };
    }
    case 'matrix':
      return { resultType: 'matrix', result: matrixAt(v, g) };
  }
}

/** A range vector at an instant query's time: each series' samples inside the window. */
function matrixAt(m: MatrixValue, g: Grid): MatrixSeries[] {
  const ref = (m.atMs ?? gridTime(g, 0)) - m.offsetMs;
  const out: MatrixSeries[] = [];
  for (const s of m.series) {
    let lo = 0;
    while (lo < s.ts.length && s.ts[lo] <= ref - m.rangeMs) lo++;
    let hi = lo;
    while (hi < s.ts.length && s.ts[hi] <= ref) hi++;
    if (hi > lo) out.push({ labels: s.labels, ts: s.ts.slice(lo, hi), vs: s.vs.slice(lo, hi) });
  }
  return out;
}

function rangeResult(v: Value, g: Grid): QueryValue {
  const result: MatrixSeries[] = [];
  const add = (labels: MatrixSeries['labels'], vals: Float64Array, has: Uint8Array | undefined) => {
    let n = 0;
    for (let k = 0; k < g.n; k++) if (!has || has[k]) n++;
    if (n === 0) return;
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let j = 0;
    for (let k = 0; k < g.n; k++) {
      if (has && !has[k]) continue;
      ts[j] = gridTime(g, k);
      vs[j] = vals[k];
      j++;
    }
    result.push({ labels, ts, vs });
  };
  if (v.kind === 'scalar') add([], v.vals, undefined);
  else if (v.kind === 'vector') for (const s of v.series) add(s.labels, s.vals, s.has);
  result.sort((a, b) => compareLabelSets(a.labels, b.labels));
  return { resultType: 'matrix', result };
}

