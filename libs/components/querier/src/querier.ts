import type { Logger } from '@panoptes/log';
import { type MetadataSource, type PromApiConfig, type PromApiLimits, dispatchPromApi } from '@panoptes/prom-api';
import { Engine, type EngineConfig, type QueryEngine, type QueryResult, type Queryable } from '@panoptes/promql';
import type { ApiHandler, ApiRequest, ApiResponse } from '@panoptes/server';
import { Service } from '@panoptes/services';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { QueryLimiter, type QueryLimits } from './storage/limiter';
import type { StorageQueryable } from './storage/types';

export interface QuerierConfig {
  engine: EngineConfig;
  api: PromApiConfig;
  limits: PromApiLimits;
}

/**
 * Response header carrying what the engine did for one request: `samples=<total samples read>,
 * peak=<peak samples held>` (summed / maxed over the queries the request ran). A wire contract
 * with the query-frontend, which reads it for its query stats and never passes it on.
 */
export const QUERIER_STATS_HEADER = 'X-Panoptes-Querier-Stats';

const REJECTED_METRIC = 'panoptes_querier_queries_rejected_total';

/**
 * The querier: answers the Prometheus query API (`ApiHandler`) by evaluating PromQL over its
 * storage, ingesters for recent data and blocks in object storage for older data. Called by the
 * query-frontend: in-process in the all-in-one target, over HTTP (`-query-frontend.downstream-url`),
 * or pulled by this querier's workers (`QuerierWorkers`). Every query gets a `QueryLimiter` with the
 * tenant's fetch limits (`tenantLimits`), and every answer the engine's sample counts in
 * `X-Panoptes-Querier-Stats`.
 */
export class Querier extends Service implements ApiHandler {
  readonly engine: Engine;
  private readonly requests: Counter<'status'>;
  private readonly rejected: Counter<'reason'>;

  constructor(
    private readonly config: QuerierConfig,
    readonly queryable: StorageQueryable,
    private readonly metadata: MetadataSource | undefined,
    /** Per-tenant fetch limits of one query; the storage's own config applies when absent. */
    private readonly tenantLimits: ((tenant: string) => QueryLimits) | undefined,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super('querier');
    this.engine = new Engine(config.engine);
    this.requests = new Counter({ name: 'panoptes_querier_requests_total', help: 'Query API requests the querier answered, by HTTP status.', labelNames: ['status'], registers: [registry] });
    // Shared with the storage's queryables, which count the rejections of their own limiters.
    this.rejected =
      (registry.getSingleMetric(REJECTED_METRIC) as Counter<'reason'> | undefined) ??
      new Counter({
        name: REJECTED_METRIC,
        help: 'Queries stopped because they fetched more than a per-query limit allows, by reason.',
        labelNames: ['reason'],
        registers: [registry],
      });
  }

  protected override async starting(): Promise<void> {
    this.logger.info('component starting', { component: 'querier' });
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const stats = { samples: 0, peak: 0 };
    const record = (r: QueryResult): QueryResult => {
      stats.samples += r.stats.totalSamples;
      stats.peak = Math.max(stats.peak, r.stats.peakSamples);
      return r;
    };
    // A per-request view of the engine that keeps the sample counts it reports.
    const engine: QueryEngine = {
      instantQuery: async (q, tenant, query, time, options) => record(await this.engine.instantQuery(q, tenant, query, time, options)),
      rangeQuery: async (q, tenant, query, start, end, step, options) => record(await this.engine.rangeQuery(q, tenant, query, start, end, step, options)),
    };
    const res = await dispatchPromApi(req.method, req.path, req.params, {
      tenant: req.tenant,
      engine,
      queryable: this.queryableFor(req.tenant),
      now: () => Date.now(),
      limits: this.config.limits,
      signal: req.signal,
      metadata: this.metadata,
      config: this.config.api,
      logger: this.logger,
    });
    // Failures (5xx) were logged once inside dispatchPromApi, with the tenant and the error.
    this.requests.inc({ status: String(res.status) });
    const { 'Content-Type': contentType = 'application/json', ...headers } = res.headers;
    headers[QUERIER_STATS_HEADER] = `samples=${stats.samples},peak=${stats.peak}`;
    return { status: res.status, contentType, body: res.body, headers };
  }

  /** The storage with the tenant's limits applied to each query (one limiter per engine query). */
  private queryableFor(tenant: string): Queryable {
    const limits = this.tenantLimits?.(tenant);
    if (!limits) return this.queryable;
    const onReject = (reason: string): void => this.rejected.inc({ reason });
    return { querier: (t, minT, maxT) => this.queryable.querier(t, minT, maxT, new QueryLimiter(t, limits, onReject)) };
  }
}
