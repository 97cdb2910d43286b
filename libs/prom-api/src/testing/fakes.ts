import { type Labels, compareLabels, compareUtf8 } from '@panoptes/block-formats';
import type { QueryEngine, QueryOptions, QueryResult, Queryable, SelectHints, SeriesQuerier, StoredSeries } from '@panoptes/promql';
import type { Matcher } from '@panoptes/tsdb';
import { parseApiParams } from '../params';
import { type ApiParams, type PromApiContext, defaultPromApiLimits } from '../types';

/** Test doubles for the handlers: an engine that answers what it is told, and series held as label sets. */

export interface InstantCall {
  kind: 'instant';
  tenant: string;
  query: string;
  timeMs: number;
  options: QueryOptions;
}

export interface RangeCall {
  kind: 'range';
  tenant: string;
  query: string;
  startMs: number;
  endMs: number;
  stepMs: number;
  options: QueryOptions;
}

/** Records every call and answers with `result`, or throws `error`, or runs `impl` when set. */
export class FakeQueryEngine implements QueryEngine {
  readonly calls: (InstantCall | RangeCall)[] = [];
  result: QueryResult = { value: { resultType: 'vector', result: [] }, warnings: [], infos: [], stats: { peakSamples: 0, totalSamples: 0 } };
  error: unknown;
  impl?: (options: QueryOptions) => Promise<QueryResult>;

  async instantQuery(_q: Queryable, tenant: string, query: string, timeMs: number, options: QueryOptions = {}): Promise<QueryResult> {
    this.calls.push({ kind: 'instant', tenant, query, timeMs, options });
    return this.answer(options);
  }

  async rangeQuery(_q: Queryable, tenant: string, query: string, startMs: number, endMs: number, stepMs: number, options: QueryOptions = {}): Promise<QueryResult> {
    this.calls.push({ kind: 'range', tenant, query, startMs, endMs, stepMs, options });
    return this.answer(options);
  }

  private answer(options: QueryOptions): Promise<QueryResult> {
    if (this.impl) return this.impl(options);
    if (this.error !== undefined) return Promise.reject(this.error);
    return Promise.resolve(this.result);
  }
}

/** Builds sorted labels from an object: `labels({__name__: 'up', job: 'api'})`. */
export function labels(obj: Record<string, string>): Labels {
  return Object.entries(obj).sort((a, b) => compareUtf8(a[0], b[0]));
}

const matchesAll = (ls: Labels, matchers: readonly Matcher[]) => matchers.every((m) => m.matches(ls.find(([n]) => n === m.name)?.[1] ?? ''));

/** Series per tenant, as label sets only (no samples); records the time range of every querier asked for. */
export class MemorySeriesQueryable implements Queryable {
  readonly querierRanges: { tenant: string; minT: number; maxT: number }[] = [];
  warnings: string[] = [];
  private readonly tenants = new Map<string, Labels[]>();

  add(tenant: string, ...series: Labels[]): this {
    const list = this.tenants.get(tenant) ?? [];
    list.push(...series);
    this.tenants.set(tenant, list);
    return this;
  }

  querier(tenant: string, minT: number, maxT: number): SeriesQuerier {
    this.querierRanges.push({ tenant, minT, maxT });
    const all = this.tenants.get(tenant) ?? [];
    const warnings = this.warnings;
    return {
      *select(matchers: readonly Matcher[], _hints: SelectHints): Iterable<StoredSeries> {
        for (const ls of all) if (matchesAll(ls, matchers)) yield { labels: ls, chunks: [] };
      },
      async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
        const names = new Set<string>();
        for (const ls of all) if (matchesAll(ls, matchers)) for (const [n] of ls) names.add(n);
        return [...names].sort(compareUtf8);
      },
      async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
        const values = new Set<string>();
        for (const ls of all) {
          const v = ls.find(([n]) => n === name)?.[1];
          if (v !== undefined && matchesAll(ls, matchers)) values.add(v);
        }
        return [...values].sort(compareUtf8);
      },
      async series(sets: readonly (readonly Matcher[])[]): Promise<Labels[]> {
        return all.filter((ls) => sets.some((set) => matchesAll(ls, set))).sort(compareLabels);
      },
      warnings: () => warnings,
    };
  }
}

export interface TestContext extends PromApiContext {
  engine: FakeQueryEngine;
  queryable: MemorySeriesQueryable;
}

/** A context for tenant "t1" at a fixed time (1700000000 s), with empty storage. */
export function testContext(overrides: Partial<PromApiContext> = {}): TestContext {
  return {
    tenant: 't1',
    engine: new FakeQueryEngine(),
    queryable: new MemorySeriesQueryable(),
    now: () => 1_700_000_000_000,
    limits: defaultPromApiLimits(),
    ...overrides,
  } as TestContext;
}

/** Parameters the way Grafana sends them by default: a form-encoded POST body. */
export function form(values: Record<string, string | string[]>): ApiParams {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  return parseApiParams('', 'application/x-www-form-urlencoded', body.toString());
}

/** Parameters in a GET query string. */
export function query(qs: string): ApiParams {
  return parseApiParams(qs, undefined, undefined);
}
