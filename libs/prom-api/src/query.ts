import { PanoptesError } from '@panoptes/common';
import { type Expr, type QueryResult, QueryTimeoutError, formatExpr, parseExpr, walk } from '@panoptes/promql';
import type { Matcher } from '@panoptes/tsdb';
import { quoteHtml } from './json';
import { MAX_TIME_MS, MIN_TIME_MS, durationParamMs, formValue, parseDurationNs, requiredDurationParamNs, requiredTimeParam, timeParam } from './params';
import { PromApiError, capAnnotations, invalidParam, respond, successResponse } from './respond';
import { exemplarsJson, queryDataJson, statsJson } from './result-json';
import type { ApiParams, ApiResponse, PromApiContext } from './types';

/** Prometheus caps a range query at this many steps per series. */
export const MAX_POINTS_PER_SERIES = 11_000;

/** `GET|POST /api/v1/query`: query, time, timeout, lookback_delta, stats. */
export function query(params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return respond(ctx, 'query', async () => {
    const time = timeParam(params, 'time', ctx.now());
    const timeoutMs = durationParamMs(params, 'timeout');
    const lookbackDeltaMs = lookbackParam(params);
    const q = formValue(params, 'query');
    return runQuery(params, ctx, timeoutMs, (signal) => ctx.engine.instantQuery(ctx.queryable, ctx.tenant, q, time, { lookbackDeltaMs, signal }));
  });
}

/** `GET|POST /api/v1/query_range`: query, start, end, step, timeout, lookback_delta, stats. */
export function queryRange(params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return respond(ctx, 'query_range', async () => {
    const start = requiredTimeParam(params, 'start');
    const end = requiredTimeParam(params, 'end');
    if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
    const stepNs = requiredDurationParamNs(params, 'step');
    if (stepNs <= 0) throw invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    // Integer division of Go durations (ns), as Prometheus compares.
    if (Math.trunc(((end - start) * 1e6) / stepNs) > MAX_POINTS_PER_SERIES) {
      throw new PromApiError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    // The engine works in ms; a sub-ms step only matters when start == end, where any step gives one point.
    const stepMs = Math.max(1, Math.trunc(stepNs / 1e6));
    const timeoutMs = durationParamMs(params, 'timeout');
    const lookbackDeltaMs = lookbackParam(params);
    const q = formValue(params, 'query');
    return runQuery(params, ctx, timeoutMs, (signal) =>
      ctx.engine.rangeQuery(ctx.queryable, ctx.tenant, q, start, end, stepMs, { lookbackDeltaMs, signal }),
    );
  });
}

/** `lookback_delta`, ms; absent, zero or negative means the engine's default, as in Prometheus. */
function lookbackParam(params: ApiParams): number | undefined {
  const v = formValue(params, 'lookback_delta');
  if (v === '') return undefined;
  let ns: number;
  try {
    ns = parseDurationNs(v);
  } catch (err) {
    throw new PromApiError('bad_data', `error parsing lookback delta duration: ${(err as Error).message}`);
  }
  const ms = Math.trunc(ns / 1e6);
  return ms > 0 ? ms : undefined;
}

/**
 * Runs an engine call under the request's signal and the `timeout` parameter, and writes the
 * result. Errors the engine raises while creating the query (parse errors, a range query of the
 * wrong type) are bad parameters, worded `invalid parameter "query": …` as Prometheus does.
 */
async function runQuery(
  params: ApiParams,
  ctx: PromApiContext,
  timeoutMs: number | undefined,
  exec: (signal: AbortSignal | undefined) => Promise<QueryResult>,
): Promise<ApiResponse> {
  const started = ctx.now();
  let result: QueryResult;
  try {
    result = await withTimeout(ctx, timeoutMs, exec);
  } catch (err) {
    if (err instanceof PanoptesError && err.kind === 'bad_request' && err.reason.startsWith('promql_')) {
      throw invalidParam('query', err.message);
    }
    throw err;
  }
  const elapsed = ctx.now() - started;
  const stats = formValue(params, 'stats') === '' ? undefined : statsJson(result.stats, { queueMs: 0, evalMs: elapsed, totalMs: elapsed });
  return successResponse(queryDataJson(result.value, stats), capAnnotations(result.warnings, 'warning'), capAnnotations(result.infos, 'info'));
}

async function withTimeout<T>(ctx: PromApiContext, timeoutMs: number | undefined, exec: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (timeoutMs === undefined) return exec(ctx.signal);
  const deadline = new AbortController();
  const timer = timeoutMs > 0 ? setTimeout(() => deadline.abort(), timeoutMs) : undefined;
  if (timer === undefined) deadline.abort();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, deadline.signal]) : deadline.signal;
  try {
    return await exec(signal);
  } catch (err) {
    // The engine sees only an aborted signal; when our deadline did it, the query timed out.
    if (deadline.signal.aborted && !ctx.signal?.aborted && !(err instanceof QueryTimeoutError)) {
      throw new QueryTimeoutError('query timed out in expression evaluation', { tenant: ctx.tenant, cause: err });
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET|POST /api/v1/query_exemplars`: query, start, end. Without an exemplar source (Panoptes
 * does not store exemplars yet) the answer is an empty list once the parameters are valid.
 */
export function queryExemplars(params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return respond(ctx, 'query_exemplars', async () => {
    const start = timeParam(params, 'start', MIN_TIME_MS);
    const end = timeParam(params, 'end', MAX_TIME_MS);
    if (end < start) throw new PromApiError('bad_data', 'end timestamp must not be before start timestamp');
    const expr = parseExpr(formValue(params, 'query'));
    const matcherSets = selectorsOf(expr);
    if (!ctx.exemplars || matcherSets.length === 0) return successResponse('[]');
    const series = await ctx.exemplars.queryExemplars(ctx.tenant, start, end, matcherSets, ctx.signal);
    return successResponse(exemplarsJson(series));
  });
}

/** The matchers of every selector of an expression (Prometheus's `parser.ExtractSelectors`). */
function selectorsOf(expr: Expr): Matcher[][] {
  const sets: Matcher[][] = [];
  walk(expr, (node) => {
    if (node.type === 'VectorSelector') sets.push(node.matchers);
  });
  return sets;
}

/**
 * `GET|POST /api/v1/format_query`: the query printed back in canonical form. Prometheus
 * pretty-prints (`Pretty(0)`), splitting expressions longer than 100 characters over lines;
 * this prints on one line, which is the same text for shorter ones.
 */
export function formatQuery(params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return respond(ctx, 'format_query', async () => {
    let expr: Expr;
    try {
      expr = parseExpr(formValue(params, 'query'));
    } catch (err) {
      throw invalidParam('query', (err as Error).message);
    }
    return successResponse(quoteHtml(formatExpr(expr)));
  });
}
