import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import type { RingInstance } from '@panoptes/ring';
import type { AlertRouter } from '../alert-router';
import type { AlertRouterPlacement } from '../sharding';
import type { AmApiRequest, AmApiResponse } from './http';

/** Marks a request one alert-router sent another (forwarded API call, state push or pull); it is served where it lands, never forwarded again. */
export const FORWARDED_BY_HEADER = 'X-Panoptes-Forwarded-By';

/**
 * The Alertmanager API v2 (mounted under `/alertmanager`), Mimir's config API (`/api/v1/alerts`),
 * or the internal state endpoint between the members of a replication set (`ALERT_ROUTER_STATE_PATH`).
 */
export type AlertRouterApiKind = 'alertmanager' | 'config' | 'internal';

export interface AlertRouterHttpApiConfig {
  /** This instance's ID, sent in FORWARDED_BY_HEADER. */
  instanceId: string;
  /** Timeout of a request forwarded to another member of the tenant's replication set, ms. */
  forwardTimeoutMs: number;
}

// Errors meaning the request never reached the peer, so another member may take it without the
// risk of applying it twice.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function neverSent(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' && NOT_SENT.has(cause.code);
}

/**
 * The alert-router's HTTP API without the framework. A tenant's API request is served by the first
 * member of its replication set that can be reached, in ring order: normally its sender, so reads
 * see the dispatcher's groups and writes are applied where notifications go out; the member that
 * serves a write pushes the change to the other members before it answers. When the sender cannot
 * be reached (it died and the ring does not know yet), the next member serves: reads, alert posts
 * (merging twice is harmless) always, other writes only when the connection was refused, so a
 * silence is never created twice. A request another instance forwarded is served where it lands.
 */
export class AlertRouterHttpApi {
  constructor(
    private readonly config: AlertRouterHttpApiConfig,
    private readonly router: AlertRouter,
    private readonly placement: AlertRouterPlacement | undefined,
    private readonly logger: Logger,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async handle(kind: AlertRouterApiKind, tenant: string, req: AmApiRequest, forwarded = false): Promise<AmApiResponse> {
    if (kind === 'internal') return this.router.handleInternalApi(tenant, req);
    const members = forwarded || !this.placement ? [] : this.placement.members(tenant);
    if (members.length === 0) return this.local(kind, tenant, req);
    const method = req.method.toUpperCase();
    const idempotent = method === 'GET' || method === 'HEAD' || (kind === 'alertmanager' && method === 'POST' && req.path.replace(/\/$/, '') === '/api/v2/alerts');
    const failures: string[] = [];
    for (const member of members) {
      if (member.id === this.config.instanceId) return this.local(kind, tenant, req);
      try {
        return await this.forward(member, kind, tenant, req);
      } catch (err) {
        failures.push(`${member.addr}: ${errorMessage(err)}`);
        this.logger.warn('forwarding to an alert-router of the tenant failed', { tenant, to: member.id, addr: member.addr, err: errorMessage(err) });
        if (!idempotent && !neverSent(err)) break;
      }
    }
    return {
      status: 503,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: `no alert-router holding tenant ${tenant} can be reached (${failures.join('; ')}); retry later, the ring drops unhealthy instances after the heartbeat timeout\n`,
    };
  }

  private local(kind: AlertRouterApiKind, tenant: string, req: AmApiRequest): Promise<AmApiResponse> {
    return kind === 'config' ? this.router.handleConfigApi(tenant, req) : this.router.handleApi(tenant, req);
  }

  private async forward(member: RingInstance, kind: AlertRouterApiKind, tenant: string, req: AmApiRequest): Promise<AmApiResponse> {
    const path = kind === 'config' ? req.path : `/alertmanager${req.path}`;
    const qs = req.query.toString();
    const url = `http://${member.addr}${path}${qs ? `?${qs}` : ''}`;
    const method = req.method.toUpperCase();
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
  }
}
