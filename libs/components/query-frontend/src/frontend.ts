import { createHash } from 'node:crypto';
import type { Cache } from '@panoptes/bucket';
import { PanoptesError, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { PromApiError, errorResponse, quoteHtml, toPromApiError } from '@panoptes/prom-api';
import { QueryCanceledError, formatDuration, parseDuration, parseExpr, walk } from '@panoptes/promql';
import { type ApiHandler, type ApiRequest, type ApiResponse, bytesResponse } from '@panoptes/server';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type FrontendTenantLimits, clampStartToGrid, maxQueryLengthError } from './limits';
import { type Extent, type GridRange, coveringExtentSlices, decodeExtents, encodeExtents, gapsOf, gridFloor, mergeExtents } from './extents';
import { type MatrixSlices, type RenderedMatrix, type SeriesPieces, concatMatrices, extractRange, joinMatrixBodies, matrixJson, matrixJsonChunks, readMatrixBody, slicePointsText, sortMetricsByLabels } from './matrix';
import { QUERIER_STATS_HEADER, QUERY_STATS_HEADER, QueryStats, headerValue, withoutHeader } from './query-stats';
import type { DownstreamRequest, DownstreamResponse, QueryScheduler } from './scheduler';
import { type RangeRequest, alignToStep, splitByInterval } from './split';

/** A query API request as the frontend gets it. */
export interface FrontendRequest extends ApiRequest {
  /** The client asked for the `X-Panoptes-Query-Stats` response header (default: the request header of that name says `true` or `1`). */
  wantStats?: boolean;
}

/** Whether the request asks for the query stats header. */
function wantsStats(req: FrontendRequest): boolean {
  return req.wantStats ?? /^(true|1)$/i.test(headerValue(req.headers, QUERY_STATS_HEADER) ?? '');
}

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
  /**
   * After a tenant's series deletion generation changes (a request made or cancelled), nothing is
   * written to its results cache for this long, ms: a querier may still answer from the list of
   * requests it read before (other processes re-read theirs every few seconds).
   */
  deletionCacheHoldMs: number;
}

/**
 * Where the frontend learns a tenant's series deletion generation (`SeriesDeletionStore.generation`
 * of `@panoptes/bucket-index`: ms of the last request made or cancelled, 0 when never). Results are
 * cached under it, so a deletion or a cancel retires every answer cached before.
 */
export interface DeletionGenerations {
  generation(tenant: string): Promise<number>;
}

export function defaultQueryFrontendConfig(): QueryFrontendConfig {
  return {
    splitQueriesByIntervalMs: 24 * 3_600_000,
    alignQueriesWithStep: false,
    cacheResults: true,
    resultsCacheTtlMs: 7 * 24 * 3_600_000,
    maxCacheFreshnessMs: 10 * 60_000,
    deletionCacheHoldMs: 30_000,
  };
}

const JSON_TYPE = 'application/json';
const EMPTY_MATRIX = '{"status":"success","data":{"resultType":"matrix","result":[]}}';
const EMPTY_VECTOR = '{"status":"success","data":{"resultType":"vector","result":[]}}';
const EMPTY_LIST = '{"status":"success","data":[]}';
const LABEL_VALUES_PATH = /^\/api\/v1\/label\/[^/]+\/values$/;

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

function json(body: string): DownstreamResponse {
  return { status: 200, contentType: JSON_TYPE, body };
}

/** A 200 JSON answer already in byte pieces (`bytesResponse`). */
function bytesAnswer(chunks: readonly Buffer[]): DownstreamResponse {
  return bytesResponse(200, JSON_TYPE, chunks);
}

/** What the frontend derives from a query's text on every request, kept per distinct text (`QUERY_FACTS_SIZE` of them). */
interface QueryFacts {
  usesQueryEnds: boolean;
  /** The query's part of its results-cache keys. */
  hash: string;
}

/** Distinct query texts whose facts are kept: dashboards repeat a few hundred queries; the oldest is dropped past this. */
const QUERY_FACTS_SIZE = 1000;

/** Prometheus's error envelope with any errorType (Mimir adds `too_many_requests`, which prom-api has no type for). */
function errorEnvelope(status: number, errorType: string, message: string): DownstreamResponse {
  return { status, contentType: JSON_TYPE, body: `{"status":"error","errorType":"${errorType}","error":${quoteHtml(message)}}` };
}

function withParam(params: URLSearchParams, name: string, value: string): URLSearchParams {
  const out = new URLSearchParams(params);
  out.set(name, value);
  return out;
}

const seconds = (ms: number): string => String(ms / 1000);

/**
 * The query-frontend's pipeline. Per request: the tenant's limits (`max_query_lookback` cuts the
 * range, `max_query_length` refuses it), then range queries are aligned (optionally), split by
 * interval, answered from the results cache where possible and the rest queued for queriers
 * (`QueryScheduler`), their results merged. Every request ends in one `query stats` log line;
 * errors, the frontend's own and the queue's, answer in Prometheus's error envelope.
 */
export class QueryFrontendHandler implements ApiHandler {
  private readonly splits: Counter<'tenant'>;
  private readonly cacheLookups: Counter<'result'>;
  private readonly discarded: Counter<'reason'>;
  private readonly duration: Histogram<'endpoint'>;
  /** Per query text, in insertion order (the oldest first out). */
  private readonly queryFacts = new Map<string, QueryFacts>();
  private deletions: DeletionGenerations | undefined;

  constructor(
    private readonly config: QueryFrontendConfig,
    private readonly scheduler: QueryScheduler,
    private readonly cache: Cache | undefined,
    private readonly limits: (tenant: string) => FrontendTenantLimits,
    private readonly now: () => number,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.splits = new Counter({ name: 'panoptes_query_frontend_split_queries_total', help: 'Range-query splits sent to queriers or answered from the cache.', labelNames: ['tenant'], registers: [registry] });
    this.cacheLookups = new Counter({ name: 'panoptes_query_frontend_results_cache_lookups_total', help: 'Results-cache lookups of range-query splits, by result (hit: all cached; partial: some cached, the gaps asked of queriers; miss; uncacheable: no cache).', labelNames: ['result'], registers: [registry] });
    this.discarded = new Counter({
      name: 'panoptes_query_frontend_discarded_requests_total',
      help: 'Requests the queue refused or gave up on, by reason (too_many_outstanding_requests, queue_timeout, querier_disconnected, frontend_stopping).',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.duration = new Histogram({ name: 'panoptes_query_frontend_request_duration_seconds', help: 'Time to answer a query API request.', labelNames: ['endpoint'], buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60], registers: [registry] });
    new Gauge({
      name: 'panoptes_query_frontend_queue_length',
      help: 'Requests waiting in the per-tenant queues.',
      registers: [registry],
      collect() {
        this.set(scheduler.queued());
      },
    });
  }

  /** Keys the results cache on each tenant's series deletion generation from `source` (none by default). */
  setSeriesDeletions(source: DeletionGenerations): void {
    this.deletions = source;
  }

  async handle(req: FrontendRequest): Promise<ApiResponse> {
    const started = performance.now();
    // One series per route, not per label name.
    const endTimer = this.duration.startTimer({ endpoint: LABEL_VALUES_PATH.test(req.path) ? '/api/v1/label/:name/values' : req.path });
    const stats = new QueryStats();
    let res: DownstreamResponse;
    let failure: unknown;
    try {
      res = await this.route(req, stats);
    } catch (err) {
      failure = err;
      res = this.failed(req, err);
    }
    endTimer();
    const durationMs = performance.now() - started;
    const headers = withoutHeader(res.headers, QUERIER_STATS_HEADER) ?? {};
    if (wantsStats(req)) headers[QUERY_STATS_HEADER] = stats.headerValue(durationMs);
    this.logStats(req, res.status, durationMs, stats, failure);
    const out = res.chunks ? bytesAnswer(res.chunks) : { status: res.status, contentType: res.contentType, body: res.body };
    if (Object.keys(headers).length > 0) out.headers = headers;
    return out;
  }

  private async route(req: FrontendRequest, stats: QueryStats): Promise<DownstreamResponse> {
    const limits = this.limits(req.tenant);
    const minT = limits.maxQueryLookbackMs > 0 ? this.now() - limits.maxQueryLookbackMs : undefined;
    if (req.path === '/api/v1/query_range') return this.rangeRoute(req, stats, limits, minT);
    if (minT !== undefined) {
      // max_query_lookback, as Mimir applies it: what lies wholly before it is answered empty
      // without a querier, a range reaching back past it starts at it.
      if (req.path === '/api/v1/query') {
        const time = parseTime(req.params.get('time')) ?? this.now();
        if (time < minT) return json(EMPTY_VECTOR);
      } else if (req.path === '/api/v1/series' || req.path === '/api/v1/labels' || LABEL_VALUES_PATH.test(req.path)) {
        const end = parseTime(req.params.get('end'));
        if (end !== undefined && end < minT) return json(EMPTY_LIST);
        const start = parseTime(req.params.get('start'));
        if (start === undefined || start < minT) return this.forward({ ...req, params: withParam(req.params, 'start', seconds(minT)) }, stats);
      }
    }
    return this.forward(req, stats);
  }

  private async rangeRoute(req: FrontendRequest, stats: QueryStats, limits: FrontendTenantLimits, minT: number | undefined): Promise<DownstreamResponse> {
    let r = this.rangeRequest(req.params);
    // Parameters the frontend cannot read go to the querier as they are: it words the error.
    if (!r) return this.forward(req, stats);
    let params = req.params;
    if (minT !== undefined && r.start < minT) {
      const start = clampStartToGrid(r.start, r.step, minT);
      if (start > r.end) return json(EMPTY_MATRIX);
      r = { ...r, start };
      params = withParam(params, 'start', seconds(start));
    }
    if (limits.maxQueryLengthMs > 0 && r.end - r.start > limits.maxQueryLengthMs) throw maxQueryLengthError(req.tenant, r.end - r.start, limits.maxQueryLengthMs);
    if ((r.end - r.start) / r.step > 11_000 || this.facts(r.query).usesQueryEnds) return this.forward({ ...req, params }, stats);
    return this.rangeQuery({ ...req, params }, this.config.alignQueriesWithStep ? alignToStep(r) : r, stats);
  }

  private rangeRequest(params: URLSearchParams): RangeRequest | undefined {
    const query = params.get('query');
    const start = parseTime(params.get('start'));
    const end = parseTime(params.get('end'));
    const step = parseStep(params.get('step'));
    if (!query || start === undefined || end === undefined || step === undefined || step <= 0 || end < start) return undefined;
    return { query, start, end, step };
  }

  /** One request to a querier, unchanged. */
  private async forward(req: DownstreamRequest, stats: QueryStats): Promise<DownstreamResponse> {
    stats.splits = 1;
    const res = await this.scheduler.schedule(req);
    stats.addQuerierResponse(res);
    return res;
  }

  private async rangeQuery(req: DownstreamRequest, r: RangeRequest, stats: QueryStats): Promise<DownstreamResponse> {
    const parts = splitByInterval(r, this.config.splitQueriesByIntervalMs);
    stats.splits = parts.length;
    this.splits.inc({ tenant: req.tenant }, parts.length);
    const generation = this.config.cacheResults && this.cache ? await this.deletionGeneration(req.tenant) : undefined;
    const cache = generation === undefined ? undefined : this.cache;
    if (!cache && parts.length === 1) {
      // Nothing to cache or join: the querier's answer is the answer, passed on unparsed.
      this.countLookup(false, [], parts[0], stats);
      return this.fetchRange(req, parts[0], parts[0], stats);
    }
    if (!cache) return this.joinedSplits(req, parts, stats);
    const keys = parts.map((p) => this.cacheKey(req.tenant, generation!, p));
    const cached = await cache.getMulti(keys);
    const answer = this.cachedAnswer(parts, keys, cached);
    if (answer) {
      for (const p of parts) this.countLookup(true, [], p, stats);
      return bytesAnswer(answer);
    }
    // Points after this are never cached: recent data may still change.
    const cutoff = this.now() - this.config.maxCacheFreshnessMs;
    // Nor anything while queriers may not know of the latest deletion change yet.
    const store = generation === 0 || this.now() >= generation! + this.config.deletionCacheHoldMs;
    const results = await Promise.all(
      parts.map(async (p, i): Promise<RenderedMatrix | DownstreamResponse> => {
        const extents = cached.has(keys[i]) ? decodeExtents(cached.get(keys[i])!) : [];
        const gaps = gapsOf(extents, p.start, p.end, p.step);
        this.countLookup(cache !== undefined, gaps, p, stats);
        const fetched = await Promise.all(
          gaps.map(async (g): Promise<Extent | DownstreamResponse> => {
            const res = await this.fetchRange(req, g, p, stats);
            if (res.status !== 200) return res;
            return { start: g.start, end: g.end, matrix: readMatrixBody(res.body) };
          }),
        );
        const failed = fetched.find((x): x is DownstreamResponse => 'body' in x);
        if (failed) return failed;
        const fresh = fetched as Extent[];
        if (cache && store && fresh.length > 0) {
          const keep = fresh.flatMap((e) => this.cacheablePart(e, p.step, cutoff));
          if (keep.length > 0) await cache.setMulti(new Map([[keys[i], encodeExtents(mergeExtents([...extents, ...keep], p.step))]]), this.config.resultsCacheTtlMs);
        }
        // Cached and fresh extents now cover the split without a gap: one extent holds it.
        const covering = mergeExtents([...extents, ...fresh], p.step).find((e) => e.start <= p.start && e.end >= p.end)!;
        return covering.start === p.start && covering.end === p.end ? covering.matrix : extractRange(covering.matrix, p.start, p.end);
      }),
    );
    const failed = results.find((x): x is DownstreamResponse => 'body' in x);
    if (failed) return failed;
    return json(matrixJson(concatMatrices(results as RenderedMatrix[])));
  }

  /**
   * The answer when each split lies wholly in one cached extent without annotations (a warm
   * dashboard): every series' points cut from the entries' bytes and joined into the body, as
   * `matrixJson(concatMatrices(…))` writes it, with no point decoded and one copy of the text.
   * Undefined when any split needs the general path (a gap, a damaged entry, annotations).
   */
  private cachedAnswer(parts: readonly RangeRequest[], keys: readonly string[], cached: ReadonlyMap<string, Buffer>): Buffer[] | undefined {
    const matrices: MatrixSlices[] = [];
    for (let i = 0; i < parts.length; i++) {
      const entry = cached.get(keys[i]);
      const m = entry === undefined ? undefined : coveringExtentSlices(entry, parts[i].start, parts[i].end);
      if (m === undefined || m.annotated) return undefined;
      matrices.push(m);
    }
    if (matrices.length === 1) {
      const p = parts[0];
      const series: SeriesPieces[] = [];
      for (const s of matrices[0].series) {
        const text = slicePointsText(s, p.start, p.end);
        if (text !== undefined) series.push({ metric: s.metric, texts: [text] });
      }
      return matrixJsonChunks(series);
    }
    // Series matched by their metric's bytes (the same text as concatMatrices matches), then sorted by labels.
    const byMetric = new Map<string, SeriesPieces>();
    for (let i = 0; i < parts.length; i++) {
      for (const s of matrices[i].series) {
        const text = slicePointsText(s, parts[i].start, parts[i].end);
        if (text === undefined) continue;
        const key = s.metric.toString('latin1');
        const prev = byMetric.get(key);
        if (prev) prev.texts.push(text);
        else byMetric.set(key, { metric: s.metric, texts: [text] });
      }
    }
    return matrixJsonChunks(sortMetricsByLabels([...byMetric.values()], (s) => s.metric.toString('utf8')));
  }

  /** The facts of a query text, derived once while it stays among the last `QUERY_FACTS_SIZE` distinct ones. */
  private facts(query: string): QueryFacts {
    let f = this.queryFacts.get(query);
    if (f === undefined) {
      f = { usesQueryEnds: usesQueryEnds(query), hash: createHash('sha256').update(query).digest('hex').slice(0, 32) };
      if (this.queryFacts.size >= QUERY_FACTS_SIZE) this.queryFacts.delete(this.queryFacts.keys().next().value!);
      this.queryFacts.set(query, f);
    }
    return f;
  }

  /**
   * Splits nobody caches: their answers are joined as text (`joinMatrixBodies`), no point parsed
   * or indexed, so splitting costs the frontend little more than passing one answer on. Answers
   * that are not plain matrices take the general path.
   */
  private async joinedSplits(req: DownstreamRequest, parts: RangeRequest[], stats: QueryStats): Promise<DownstreamResponse> {
    for (const p of parts) this.countLookup(false, [], p, stats);
    const answers = await Promise.all(parts.map((p) => this.fetchRange(req, p, p, stats)));
    const failed = answers.find((res) => res.status !== 200);
    if (failed) return failed;
    const bodies = answers.map((res) => res.body);
    return json(joinMatrixBodies(bodies) ?? matrixJson(concatMatrices(bodies.map(readMatrixBody))));
  }

  /** One querier call for the points of `range` on the grid of split `p`. */
  private async fetchRange(req: DownstreamRequest, range: GridRange, p: RangeRequest, stats: QueryStats): Promise<DownstreamResponse> {
    const params = new URLSearchParams(req.params);
    params.set('start', seconds(range.start));
    params.set('end', seconds(range.end));
    params.set('step', seconds(p.step));
    const res = await this.scheduler.schedule({ ...req, params });
    stats.addQuerierResponse(res);
    return res;
  }

  /** What the results cache may keep of a fetched extent: its points older than `cutoff`, unless the answer carried warnings or infos. */
  private cacheablePart(e: Extent, step: number, cutoff: number): Extent[] {
    if (e.matrix.warnings.length > 0 || e.matrix.infos.length > 0) return [];
    const end = Math.min(e.end, gridFloor(e.start, step, cutoff - 1));
    return end < e.start ? [] : [{ start: e.start, end, matrix: end === e.end ? e.matrix : extractRange(e.matrix, e.start, end) }];
  }

  /** Counts a split's cache lookup: `hit` (no querier needed), `partial` (some of it cached), `miss`, or `uncacheable` (no cache). */
  private countLookup(cacheEnabled: boolean, gaps: readonly GridRange[], p: RangeRequest, stats: QueryStats): void {
    if (!cacheEnabled) {
      this.cacheLookups.inc({ result: 'uncacheable' });
      return;
    }
    if (gaps.length === 0) {
      this.cacheLookups.inc({ result: 'hit' });
      stats.cacheHits++;
      return;
    }
    stats.cacheMisses++;
    const whole = gaps.length === 1 && gaps[0].start === p.start && gaps[0].end === p.end;
    this.cacheLookups.inc({ result: whole ? 'miss' : 'partial' });
  }

  /**
   * The cache entry of a split: the tenant and its series deletion generation, the query, its step
   * and the phase of its grid (results on other grids are other points), and the split interval it
   * lies in, so the extents of every window over that interval share one entry.
   */
  private cacheKey(tenant: string, generation: number, p: RangeRequest): string {
    const h = this.facts(p.query).hash;
    const interval = this.config.splitQueriesByIntervalMs;
    const bucket = interval > 0 ? Math.floor(p.start / interval) : 0;
    const phase = ((p.start % p.step) + p.step) % p.step;
    return `qfr:v4:${tenant}:${generation}:${p.step}:${phase}:${bucket}:${h}`;
  }

  /**
   * The tenant's series deletion generation (0 without a source), or undefined when it cannot be
   * read: then the request neither reads nor writes the cache (the source logs the failure).
   */
  private async deletionGeneration(tenant: string): Promise<number | undefined> {
    if (this.deletions === undefined) return 0;
    try {
      return await this.deletions.generation(tenant);
    } catch {
      return undefined;
    }
  }

  /**
   * The answer to a request that failed in the frontend: limits (the error's own type), a full
   * tenant queue (429 too_many_requests, as Mimir), no querier in time or shutting down (503
   * unavailable), the client leaving (499 canceled), anything else by its kind.
   */
  private failed(req: FrontendRequest, err: unknown): DownstreamResponse {
    if (err instanceof PanoptesError && (err.kind === 'limit' || err.kind === 'unavailable')) this.discarded.inc({ reason: err.reason });
    if (err instanceof PanoptesError && err.kind === 'limit') return errorEnvelope(429, 'too_many_requests', err.message);
    const e = err instanceof QueryCanceledError ? new PromApiError('canceled', err.message) : toPromApiError(err);
    if (e.errorType === 'internal') this.logger.error('query-frontend request failed', { tenant: req.tenant, path: req.path, err: errorMessage(err) });
    const res = errorResponse(e);
    return { status: res.status, contentType: JSON_TYPE, body: res.body };
  }

  /** One logfmt line per request: what was asked, how it went, what it cost. */
  private logStats(req: FrontendRequest, status: number, durationMs: number, stats: QueryStats, failure: unknown): void {
    if (!this.logger.enabled('info')) return;
    const p = req.params;
    const time = (name: string): string | undefined => {
      const t = parseTime(p.get(name));
      return t === undefined ? (p.get(name) ?? undefined) : new Date(t).toISOString();
    };
    const step = parseStep(p.get('step'));
    this.logger.info('query stats', {
      tenant: req.tenant,
      method: req.method,
      path: req.path,
      query: p.get('query') ?? undefined,
      start: time('start'),
      end: time('end'),
      step: step === undefined ? undefined : formatDuration(step),
      time: time('time'),
      status,
      duration_ms: Math.round(durationMs * 10) / 10,
      splits: stats.splits,
      cache_hits: stats.cacheHits,
      cache_misses: stats.cacheMisses,
      samples: stats.samples,
      peak_samples: stats.peakSamples,
      err: failure === undefined ? undefined : errorMessage(failure),
    });
  }
}
