import type { Cache } from '@panoptes/bucket';
import { TENANT_HEADER } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import type { ApiRequest, ApiResponse } from '@panoptes/server';
import { Service } from '@panoptes/services';
import type { Registry } from 'prom-client';
import { type QueryFrontendConfig, QueryFrontendHandler } from './frontend';
import type { FrontendTenantLimits } from './limits';
import { QUERIER_STATS_HEADER } from './query-stats';
import type { Downstream, QueryScheduler } from './scheduler';

/**
 * The query-frontend: serves the public Prometheus query API, queues requests fairly per tenant,
 * splits and caches range queries, and hands the work to queriers through its `QueryScheduler`
 * (pushed to a `Downstream`, or pulled by querier workers). Stopping fails what still waits in
 * the queue and lets running queries finish.
 */
export class QueryFrontend extends Service {
  readonly handler: QueryFrontendHandler;

  constructor(
    config: QueryFrontendConfig,
    private readonly scheduler: QueryScheduler,
    resultsCache: Cache | undefined,
    limits: (tenant: string) => FrontendTenantLimits,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super('query-frontend');
    this.handler = new QueryFrontendHandler(config, scheduler, resultsCache, limits, () => Date.now(), logger, registry);
  }

  protected override async starting(): Promise<void> {
    this.logger.info('component starting', { component: 'query-frontend' });
  }

  protected override async stopping(): Promise<void> {
    this.scheduler.close();
  }
}

/**
 * Sends requests to queriers over HTTP (`-query-frontend.downstream-url`, e.g. a Kubernetes
 * Service in front of the queriers) with the request's method and parameters, the tenant in
 * `X-Scope-OrgID`. A querier that cannot be reached is a 503 in Prometheus's error envelope.
 */
export function httpDownstream(baseUrl: string): Downstream {
  const base = baseUrl.replace(/\/+$/, '');
  return async (req: ApiRequest): Promise<ApiResponse> => {
    try {
      // GET-only endpoints (label values, metadata, buildinfo) stay GETs, with the parameters in the URL.
      const get = req.method === 'GET';
      const res = await fetch(`${base}/prometheus${req.path}${get ? `?${req.params}` : ''}`, {
        method: req.method,
        headers: get ? { [TENANT_HEADER]: req.tenant } : { [TENANT_HEADER]: req.tenant, 'content-type': 'application/x-www-form-urlencoded' },
        body: get ? undefined : req.params.toString(),
        signal: req.signal,
      });
      const stats = res.headers.get(QUERIER_STATS_HEADER);
      return {
        status: res.status,
        contentType: res.headers.get('content-type') ?? 'application/json',
        body: await res.text(),
        ...(stats ? { headers: { [QUERIER_STATS_HEADER]: stats } } : {}),
      };
    } catch (err) {
      if (req.signal?.aborted) throw err;
      const error = `querier at ${base} unreachable: ${(err as Error).message}`;
      return { status: 503, contentType: 'application/json', body: JSON.stringify({ status: 'error', errorType: 'unavailable', error }) };
    }
  };
}
