import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import type { AlertRouter } from '../alert-router';
import type { AlertRouterSharding } from '../sharding';
import type { AmApiRequest, AmApiResponse } from './http';

/** Marks a request one alert-router forwarded to the tenant's owner; it is served there, never forwarded again. */
export const FORWARDED_BY_HEADER = 'X-Panoptes-Forwarded-By';

/** The Alertmanager API v2 (mounted under `/alertmanager`), or Mimir's config API (`/api/v1/alerts`). */
export type AlertRouterApiKind = 'alertmanager' | 'config';

export interface AlertRouterHttpApiConfig {
  /** This instance's ID, sent in FORWARDED_BY_HEADER. */
  instanceId: string;
  /** Timeout of a request forwarded to the tenant's owner, ms. */
  forwardTimeoutMs: number;
}

/**
 * The alert-router's HTTP API without the framework: a tenant's request is served by this
 * instance when it owns the tenant (or runs unsharded), and otherwise forwarded over HTTP to the
 * owner's address in the alert-router ring, its answer passed back unchanged.
 */
export class AlertRouterHttpApi {
  constructor(
    private readonly config: AlertRouterHttpApiConfig,
    private readonly router: AlertRouter,
    private readonly sharding: AlertRouterSharding | undefined,
    private readonly logger: Logger,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async handle(kind: AlertRouterApiKind, tenant: string, req: AmApiRequest, forwarded = false): Promise<AmApiResponse> {
    const owner = forwarded ? undefined : this.sharding?.owner(tenant);
    if (owner && owner.id !== this.config.instanceId) return this.forward(owner.addr, kind, tenant, req);
    return kind === 'config' ? this.router.handleConfigApi(tenant, req) : this.router.handleApi(tenant, req);
  }

  private async forward(addr: string, kind: AlertRouterApiKind, tenant: string, req: AmApiRequest): Promise<AmApiResponse> {
    const path = kind === 'config' ? req.path : `/alertmanager${req.path}`;
    const qs = req.query.toString();
    const url = `http://${addr}${path}${qs ? `?${qs}` : ''}`;
    const method = req.method.toUpperCase();
    try {
      const res = await this.fetchFn(url, {
        method,
        headers: { 'X-Scope-OrgID': tenant, [FORWARDED_BY_HEADER]: this.config.instanceId, 'Content-Type': kind === 'config' ? 'application/yaml' : 'application/json' },
        body: method === 'GET' || method === 'HEAD' || req.body === undefined ? undefined : req.body,
        signal: AbortSignal.timeout(this.config.forwardTimeoutMs),
      });
      const headers: Record<string, string> = {};
      const type = res.headers.get('content-type');
      if (type) headers['Content-Type'] = type;
      return { status: res.status, headers, body: await res.text() };
    } catch (err) {
      this.logger.warn('forwarding to the owning alert-router failed', { tenant, owner: addr, err: errorMessage(err) });
      return { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `the alert-router owning tenant ${tenant} at ${addr} cannot be reached: ${errorMessage(err)}\n` };
    }
  }
}
