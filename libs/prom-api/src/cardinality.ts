import { type Labels, compareUtf8 } from '@panoptes/block-formats';
import { PanoptesError, errorMessage, httpStatusOf } from '@panoptes/common';
import { isValidLabelName } from '@panoptes/promql';
import { Matcher } from '@panoptes/tsdb';
import { quoteGo } from './json';
import { atoi, parseSeriesSelector } from './params';
import { textResponse } from './respond';
import type { ApiParams, ApiResponse, PromApiContext } from './types';
import { defaultPromApiConfig } from './types';

/**
 * Mimir's cardinality endpoints, computed from the series of the last `cardinalityLookbackMs`
 * (`SeriesQuerier.series`). Like Mimir they answer without the Prometheus envelope and report
 * errors as plain text. `count_method=active` is accepted and counts the same series as
 * `inmemory`: Panoptes does not track series activity separately.
 */

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 500;

/** A request error Mimir answers with `http.Error(…, 400)`. */
class CardinalityRequestError extends Error {}

function selectorParam(params: ApiParams): Matcher[] | undefined {
  const values = params.getAll('selector');
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new CardinalityRequestError("multiple 'selector' params are not allowed");
  try {
    return parseSeriesSelector(values[0]);
  } catch (err) {
    throw new CardinalityRequestError(`failed to parse selector: ${errorMessage(err)}`);
  }
}

function limitParam(params: ApiParams): number {
  const values = params.getAll('limit');
  if (values.length === 0) return DEFAULT_LIMIT;
  if (values.length > 1) throw new CardinalityRequestError("multiple 'limit' params are not allowed");
  let limit: number;
  try {
    limit = atoi(values[0]);
  } catch (err) {
    throw new CardinalityRequestError(errorMessage(err));
  }
  if (limit < 0) throw new CardinalityRequestError("'limit' param cannot be less than '0'");
  if (limit > MAX_LIMIT) throw new CardinalityRequestError(`'limit' param cannot be greater than '${MAX_LIMIT}'`);
  return limit;
}

function countMethodParam(params: ApiParams): void {
  const values = params.getAll('count_method');
  if (values.length === 0) return;
  if (values[0] !== 'active' && values[0] !== 'inmemory') {
    throw new CardinalityRequestError(`invalid 'count_method' param '${values[0]}'. valid options are: [active,inmemory]`);
  }
}

/** Every series of the tenant has a metric name, so this selects them all. */
const ALL_SERIES = (): Matcher[] => [new Matcher('!=', '__name__', '')];

async function seriesOf(ctx: PromApiContext, matchers: Matcher[] | undefined): Promise<Labels[]> {
  const now = ctx.now();
  const lookback = (ctx.config ?? defaultPromApiConfig()).cardinalityLookbackMs;
  const querier = ctx.queryable.querier(ctx.tenant, now - lookback, now);
  return querier.series([matchers && matchers.length > 0 ? matchers : ALL_SERIES()], ctx.signal);
}

async function handle(ctx: PromApiContext, fn: () => Promise<string>): Promise<ApiResponse> {
  if (!ctx.limits.cardinalityAnalysisEnabled) return textResponse(400, `cardinality analysis is disabled for the tenant: ${ctx.tenant}`);
  try {
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: await fn() };
  } catch (err) {
    if (err instanceof CardinalityRequestError) return textResponse(400, err.message);
    if (!(err instanceof PanoptesError)) ctx.logger?.error('cardinality request failed', { tenant: ctx.tenant, err });
    return textResponse(httpStatusOf(err), errorMessage(err));
  }
}

/** Descending by count, then ascending by name (byte order). */
function byCountThenName<T>(count: (t: T) => number, name: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => count(b) - count(a) || compareUtf8(name(a), name(b));
}

/**
 * `GET|POST /api/v1/cardinality/label_names`: selector, limit (default 20, at most 500),
 * count_method. Label names by their number of distinct values, descending.
 */
export function cardinalityLabelNames(params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return handle(ctx, async () => {
    const matchers = selectorParam(params);
    const limit = limitParam(params);
    countMethodParam(params);
    const values = new Map<string, Set<string>>();
    for (const labels of await seriesOf(ctx, matchers)) {
      for (const [name, value] of labels) {
        let set = values.get(name);
        if (!set) values.set(name, (set = new Set()));
        set.add(value);
      }
    }
    const items = [...values].map(([name, set]) => ({ name, count: set.size }));
    items.sort(byCountThenName((i) => i.count, (i) => i.name));
    const total = items.reduce((sum, i) => sum + i.count, 0);
    const cardinality = items.slice(0, limit).map((i) => `{"label_name":${quoteGo(i.name)},"label_values_count":${i.count}}`);
    return `{"label_values_count_total":${total},"label_names_count":${items.length},"cardinality":[${cardinality.join(',')}]}`;
  });
}

/**
 * `GET|POST /api/v1/cardinality/label_values`: label_names[] (required), selector, limit
 * (default 20, at most 500, applied to each label's values), count_method. For each label,
 * series per value; `series_count_total` counts all the tenant's series, whatever the selector,
 * as Mimir does.
 */
export function cardinalityLabelValues(params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return handle(ctx, async () => {
    const names = params.getAll('label_names[]');
    if (names.length === 0) throw new CardinalityRequestError("'label_names[]' param is required");
    for (const n of names) if (!isValidLabelName(n)) throw new CardinalityRequestError(`invalid 'label_names' param '${n}'`);
    const matchers = selectorParam(params);
    const limit = limitParam(params);
    countMethodParam(params);
    const wanted = new Map<string, Map<string, number>>([...new Set(names)].sort(compareUtf8).map((n) => [n, new Map()]));
    const selected = await seriesOf(ctx, matchers);
    const total = matchers && matchers.length > 0 ? (await seriesOf(ctx, undefined)).length : selected.length;
    for (const labels of selected) {
      for (const [name, value] of labels) {
        const counts = wanted.get(name);
        if (counts) counts.set(value, (counts.get(value) ?? 0) + 1);
      }
    }
    const labels = [...wanted].map(([name, counts]) => {
      const values = [...counts].map(([value, count]) => ({ value, count }));
      values.sort(byCountThenName((v) => v.count, (v) => v.value));
      const seriesCount = values.reduce((sum, v) => sum + v.count, 0);
      return { name, seriesCount, valuesCount: values.length, values: values.slice(0, limit) };
    });
    labels.sort(byCountThenName((l) => l.seriesCount, (l) => l.name));
    const labelsJson = labels.map((l) => {
      const card = l.values.map((v) => `{"label_value":${quoteGo(v.value)},"series_count":${v.count}}`);
      return `{"label_name":${quoteGo(l.name)},"label_values_count":${l.valuesCount},"series_count":${l.seriesCount},"cardinality":[${card.join(',')}]}`;
    });
    return `{"series_count_total":${total},"labels":[${labelsJson.join(',')}]}`;
  });
}
