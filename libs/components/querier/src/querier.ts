import type { Logger } from '@panoptes/log';
import { type MetadataSource, type PromApiConfig, type PromApiLimits, dispatchPromApi } from '@panoptes/prom-api';
import { Engine, type EngineConfig, type Queryable } from '@panoptes/promql';
import type { ApiHandler, ApiRequest, ApiResponse } from '@panoptes/server';
import { Service } from '@panoptes/services';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';

export interface QuerierConfig {
  engine: EngineConfig;
  api: PromApiConfig;
  limits: PromApiLimits;
}

/**
 * The querier: answers the Prometheus query API (`ApiHandler`) by evaluating PromQL over its
 * storage, ingesters for recent data and blocks in object storage for older data. Called by the
 * query-frontend, in-process in the all-in-one target and over HTTP otherwise.
 */
export class Querier extends Service implements ApiHandler {
  readonly engine: Engine;
  private readonly requests: Counter<'status'>;

  constructor(
    private readonly config: QuerierConfig,
    readonly queryable: Queryable,
    private readonly metadata: MetadataSource | undefined,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super('querier');
    this.engine = new Engine(config.engine);
    this.requests = new Counter({ name: 'panoptes_querier_requests_total', help: 'Query API requests the querier answered, by HTTP status.', labelNames: ['status'], registers: [registry] });
  }

  protected override async starting(): Promise<void> {
    this.logger.info('component starting', { component: 'querier' });
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const res = await dispatchPromApi(req.method, req.path, req.params, {
      tenant: req.tenant,
      engine: this.engine,
      queryable: this.queryable,
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
    return { status: res.status, contentType, body: res.body, headers };
  }
}
