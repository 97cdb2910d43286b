import { createHash } from 'node:crypto';
import type { Cache } from '@panoptes/bucket';
import type { ApiHandler, ApiRequest, ApiResponse } from '@panoptes/server';
import { parseDuration, parseExpr, walk } from '@panoptes/promql';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type FairQueueConfig, TenantFairQueue, defaultFairQueueConfig } from './fair-queue';
import { type MatrixResponse, mergeMatrixResponses } from './merge';
import { type RangeRequest, alignToStep, splitByInterval } from './split';

/** A request the frontend forwards to a querier: the query API's own request shape. */
export type DownstreamRequest = ApiRequest;
export type DownstreamResponse = ApiResponse;

/** Runs a request on a querier: in-process in the all-in-one target, over HTTP otherwise. */
export type Downstream = (req: DownstreamRequest) => Promise<DownstreamResponse>;

export interface QueryFrontendConfig {
  /** Range queries are split at multiples of this, ms (`-query-frontend.split-queries-by-interval`); 0 = never. */
  splitQueriesByIntervalMs: number;
  /** Moves start and end onto the step grid (`-query-frontend.align-queries-with-step`). */
  alignQueriesWithStep: boolean;
  /** Caches the results of range-query splits (`-query-frontend.cache-results`). */
  cacheResults: boolean;
  /** How long a cached split lives, ms. */
  resultsCacheTtlMs: number;
  /** Splits ending later than now minus this are never cached: recent data still changes, ms (`-query-frontend.max-cache-freshness`). */
  maxCacheFreshnessMs: number;
  /** Fair per-tenant queueing in front of the queriers. */
  queue: FairQueueConfig;
}

export function defaultQueryFrontendConfig(): QueryFrontendConfig {
  return {
    splitQueriesByIntervalMs: 24 * 3_600_000,
    alignQueriesWithStep: false,
    cacheResults: true,
    resultsCacheTtlMs: 7 * 24 * 3_600_000,
    maxCacheFreshnessMs: 10 * 60_000,
    queue: defaultFairQueueConfig(),
  };
}

const JSON_TYPE = 'application/json';

/** Prometheus API times: unix seconds (float) or RFC 3339; undefined when neither. */
function parseTime(s: string | null): number | undefined {
  if (s === null || s === '') return undefined;
  const n = Number(s);
  if (Number.isFinite(n)) return Math.round(n * 1000);
  const d = Date.parse(s);
  return Number.isNaN(d) ? undefined : d;
}

function parseStep(s: string | null): number | undefined {
  if (s === null || s === '') return undefined;
  const n = Number(s);
  if (Number.isFinite(n)) return Math.round(n * 1000);
  try {
    return parseDuration(s);
  } catch {
    return undefined;
  }
}

/** `@ start()` / `@ end()` mean the whole query's ends: such queries are neither split nor cached. */
function usesQueryEnds(query: string): boolean {
  let found = false;
  try {
    walk(parseExpr(query), (n) => {
      if ((n.type === 'VectorSelector' || n.type === 'SubqueryExpr') && n.startOrEnd !== undefined) found = true;
    });
  } catch {
    return true; // the querier answers the parse error
  }
  return found;
}

/**
 * The query-frontend's pipeline: every request waits its turn in the tenant's queue; range queries
 * are first aligned (optionally), split by interval, answered from the results cache where
 * possible, and the splits' results merged.
 */
export class QueryFrontendHandler implements ApiHandler {
  private readonly queue: TenantFairQueue;
  private readonly splits: Counter<'tenant'>;
  private readonly cacheLookups: Counter<'result'>;
  private readonly duration: Histogram<'endpoint'>;

  constructor(
    private readonly config: QueryFrontendConfig,
    private readonly downstream: Downstream,
    private readonly cache: Cache | undefined,
    private readonly now: () => number,
    registry: Registry,
  ) {
    this.queue = new TenantFairQueue(config.queue);
    this.splits = new Counter({ name: 'panoptes_query_frontend_split_queries_total', help: 'Range-query splits sent to queriers or answered from the cache.', labelNames: ['tenant'], registers: [registry] });
    this.cacheLookups = new Counter({ name: 'panoptes_query_frontend_results_cache_lookups_total', help: 'Results-cache lookups of range-query splits, by result (hit, miss, uncacheable).', labelNames: ['result'], registers: [registry] });
    this.duration = new Histogram({ name: 'panoptes_query_frontend_request_duration_seconds', help: 'Time to answer a query API request.', labelNames: ['endpoint'], buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60], registers: [registry] });
    const queue = this.queue;
    new Gauge({
      name: 'panoptes_query_frontend_queue_length',
      help: 'Requests waiting in the per-tenant queues.',
      registers: [registry],
      collect() {
        this.set(queue.queued());
      },
    });
  }

  async handle(req: DownstreamRequest): Promise<DownstreamResponse> {
    const end = this.duration.startTimer({ endpoint: req.path });
    try {
      if (req.path === '/api/v1/query_range') {
        const r = this.rangeRequest(req.params);
        if (r) return await this.rangeQuery(req, r);
      }
      return await this.queued(req);
    } finally {
      end();
    }
  }

  private rangeRequest(params: URLSearchParams): RangeRequest | undefined {
    const query = params.get('query');
    const start = parseTime(params.get('start'));
    const end = parseTime(params.get('end'));
    const step = parseStep(params.get('step'));
    if (!query || start === undefined || end === undefined || step === undefined || step <= 0 || end < start) return undefined;
    if ((end - start) / step > 11_000 || usesQueryEnds(query)) return undefined;
    const r = { query, start, end, step };
    return this.config.alignQueriesWithStep ? alignToStep(r) : r;
  }

  private async queued(req: DownstreamRequest): Promise<DownstreamResponse> {
    const release = await this.queue.acquire(req.tenant, req.path, req.signal);
    try {
      return await this.downstream(req);
    } finally {
      release();
    }
  }

  private async rangeQuery(req: DownstreamRequest, r: RangeRequest): Promise<DownstreamResponse> {
    const parts = splitByInterval(r, this.config.splitQueriesByIntervalMs);
    this.splits.inc({ tenant: req.tenant }, parts.length);
    const cacheable = (p: RangeRequest) => this.cache !== undefined && this.config.cacheResults && p.end < this.now() - this.config.maxCacheFreshnessMs;
    const keys = parts.map((p) => this.cacheKey(req.tenant, p));
    const cached = this.cache && this.config.cacheResults ? await this.cache.getMulti(keys.filter((_, i) => cacheable(parts[i]))) : new Map<string, Buffer>();
    const results = await Promise.all(
      parts.map(async (p, i): Promise<MatrixResponse | DownstreamResponse> => {
        if (!cacheable(p)) this.cacheLookups.inc({ result: 'uncacheable' });
        const hit = cached.get(keys[i]);
        if (hit) {
          this.cacheLookups.inc({ result: 'hit' });
          return JSON.parse(hit.toString('utf8')) as MatrixResponse;
        }
        if (cacheable(p)) this.cacheLookups.inc({ result: 'miss' });
        const params = new URLSearchParams(req.params);
        params.set('start', String(p.start / 1000));
        params.set('end', String(p.end / 1000));
        params.set('step', String(p.step / 1000));
        const res = await this.queued({ ...req, params });
        if (res.status !== 200) return res;
        const body = JSON.parse(res.body) as MatrixResponse;
        if (cacheable(p) && !body.warnings?.length && !body.infos?.length) {
          await this.cache!.setMulti(new Map([[keys[i], Buffer.from(res.body)]]), this.config.resultsCacheTtlMs);
        }
        return body;
      }),
    );
    const failed = results.find((x): x is DownstreamResponse => 'body' in x);
    if (failed) return failed;
    const merged = mergeMatrixResponses(results as MatrixResponse[]);
    return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(merged) };
  }

  private cacheKey(tenant: string, p: RangeRequest): string {
    const h = createHash('sha256').update(p.query).digest('hex').slice(0, 32);
    return `qfr:v1:${tenant}:${p.step}:${p.start}:${p.end}:${h}`;
  }
}
