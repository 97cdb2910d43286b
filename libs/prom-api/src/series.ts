import { type Labels, compareLabels, compareUtf8 } from '@panoptes/block-formats';
import { goQuote, isValidLabelName } from '@panoptes/promql';
import type { Matcher } from '@panoptes/tsdb';
import { labelsJson, quoteGo, stringArrayJson } from './json';
import { MAX_TIME_MS, MIN_TIME_MS, atoi, formValue, limitParam, parseMatcherSets, timeParam, unescapeLabelName } from './params';
import { PromApiError, invalidParam, respond, successResponse } from './respond';
import type { ApiParams, ApiResponse, MetricMetadataEntry, PromApiContext } from './types';

/** Label names, label values, series and metric metadata: Prometheus's handlers, parameter for parameter. */

const TRUNCATED = 'results truncated due to limit';

/** `match[]` of labels and label values: a bad selector is bad_data, without Prometheus's "invalid parameter" prefix there. */
function matcherSetsParam(params: ApiParams): Matcher[][] {
  try {
    return parseMatcherSets(params.getAll('match[]'));
  } catch (err) {
    throw new PromApiError('bad_data', (err as Error).message);
  }
}

function truncate(values: string[], limit: number, warnings: string[]): string[] {
  if (limit > 0 && values.length > limit) {
    warnings.push(TRUNCATED);
    return values.slice(0, limit);
  }
  return values;
}

/** Sorted union of the values of several lists, each once. */
function union(lists: readonly (readonly string[])[]): string[] {
  const set = new Set<string>();
  for (const list of lists) for (const v of list) set.add(v);
  return [...set].sort(compareUtf8);
}

/** `GET|POST /api/v1/labels`: match[], start, end, limit. */
export function labelNames(params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return respond(ctx, 'labels', async () => {
    const limit = limitParam(params);
    const start = timeParam(params, 'start', MIN_TIME_MS);
    const end = timeParam(params, 'end', MAX_TIME_MS);
    const sets = matcherSetsParam(params);
    const querier = ctx.queryable.querier(ctx.tenant, start, end);
    let names: string[];
    if (sets.length > 1) {
      names = union(await Promise.all(sets.map((set) => querier.labelNames(set, ctx.signal))));
    } else {
      names = [...(await querier.labelNames(sets[0] ?? [], ctx.signal))];
    }
    const warnings = [...(querier.warnings?.() ?? [])];
    names = truncate(names, limit, warnings);
    return successResponse(stringArrayJson(names), warnings);
  });
}

/** `GET /api/v1/label/:name/values`: match[], start, end, limit; `U__`-escaped names are unescaped. */
export function labelValues(params: ApiParams, ctx: PromApiContext, pathParams: Readonly<Record<string, string>> = {}): Promise<ApiResponse> {
  return respond(ctx, 'label_values', async () => {
    const name = unescapeLabelName(pathParams.name ?? '');
    if (!isValidLabelName(name)) throw new PromApiError('bad_data', `invalid label name: ${goQuote(name)}`);
    const limit = limitParam(params);
    const start = timeParam(params, 'start', MIN_TIME_MS);
    const end = timeParam(params, 'end', MAX_TIME_MS);
    const sets = matcherSetsParam(params);
    const querier = ctx.queryable.querier(ctx.tenant, start, end);
    let values: string[];
    if (sets.length > 1) {
      values = union(await Promise.all(sets.map((set) => querier.labelValues(name, set, ctx.signal))));
    } else {
      values = [...(await querier.labelValues(name, sets[0] ?? [], ctx.signal))].sort(compareUtf8);
    }
    const warnings = [...(querier.warnings?.() ?? [])];
    values = truncate(values, limit, warnings);
    return successResponse(stringArrayJson(values), warnings);
  });
}

/** `GET|POST /api/v1/series`: match[] (required), start, end, limit. */
export function series(params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return respond(ctx, 'series', async () => {
    const matches = params.getAll('match[]');
    if (matches.length === 0) throw new PromApiError('bad_data', 'no match[] parameter provided');
    const limit = limitParam(params);
    const start = timeParam(params, 'start', MIN_TIME_MS);
    const end = timeParam(params, 'end', MAX_TIME_MS);
    let sets: Matcher[][];
    try {
      sets = parseMatcherSets(matches);
    } catch (err) {
      throw invalidParam('match[]', (err as Error).message);
    }
    const querier = ctx.queryable.querier(ctx.tenant, start, end);
    let result: Labels[] = [...(await querier.series(sets, ctx.signal))].sort(compareLabels);
    const warnings = [...(querier.warnings?.() ?? [])];
    if (limit > 0 && result.length > limit) {
      result = result.slice(0, limit);
      warnings.push(TRUNCATED);
    }
    return successResponse(`[${result.map(labelsJson).join(',')}]`, warnings);
  });
}

/** Mimir's metadata limits: absent → -1 (none); not a number → bad_data "<name> must be a number". */
function metadataLimit(params: ApiParams, name: string): number {
  const v = formValue(params, name);
  if (v === '') return -1;
  try {
    return atoi(v);
  } catch {
    throw new PromApiError('bad_data', `${name} must be a number`);
  }
}

/**
 * `GET /api/v1/metadata`: limit, limit_per_metric, metric. `{}` without a metadata source.
 * Entries are deduplicated (replicas report the same), limits applied as Mimir applies them
 * (`limit` counts metrics, the first by name; `limit_per_metric` entries of one metric when > 0);
 * metrics come out sorted, as Go writes a map.
 */
export function metadata(params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return respond(ctx, 'metadata', async () => {
    const limit = metadataLimit(params, 'limit');
    const limitPerMetric = metadataLimit(params, 'limit_per_metric');
    const metric = formValue(params, 'metric');
    if (!ctx.metadata) return successResponse('{}');
    // Stable sort by metric: `limit` keeps the first metrics by name (Prometheus keeps arbitrary
    // ones, in Go map order), whatever order the source answered in.
    const entries = [...(await ctx.metadata.metricMetadata(ctx.tenant, { limit, limitPerMetric, metric }, ctx.signal))].sort((a, b) => compareUtf8(a.metric, b.metric));
    const byMetric = new Map<string, MetricMetadataEntry[]>();
    const seen = new Set<string>();
    for (const e of entries) {
      if (metric !== '' && e.metric !== metric) continue;
      const key = JSON.stringify([e.metric, e.type, e.help, e.unit]);
      if (seen.has(key)) continue;
      let list = byMetric.get(e.metric);
      if (!list) {
        if (limit >= 0 && byMetric.size >= limit) continue;
        list = [];
        byMetric.set(e.metric, list);
      }
      if (limitPerMetric > 0 && list.length >= limitPerMetric) continue;
      seen.add(key);
      list.push(e);
    }
    const names = [...byMetric.keys()].sort(compareUtf8);
    const body = names.map((n) => {
      const list = byMetric.get(n)!.map((e) => `{"type":${quoteGo(e.type)},"help":${quoteGo(e.help)},"unit":${quoteGo(e.unit)}}`);
      return `${quoteGo(n)}:[${list.join(',')}]`;
    });
    return successResponse(`{${body.join(',')}}`);
  });
}
