import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import type { RingInstance } from '@panoptes/ring';
import type { Registry } from 'prom-client';
import { FORWARDED_BY_HEADER } from '../api/router-http';
import { AlertRouterMetrics } from '../metrics';
import type { AlertRouterPlacement } from '../sharding';
import { type TenantReplication, type TenantStateDelta, type TenantStateSnapshot, decodeTenantState, encodeTenantState } from './tenant-state';

/**
 * Internal endpoint between the alert-routers of a replication set (on the HTTP port, as the
 * forwarding of API requests): `POST` merges a pushed delta into the receiver's copy of the tenant
 * named by X-Scope-OrgID; `GET` answers the receiver's whole copy, 404 when it holds none.
 */
export const ALERT_ROUTER_STATE_PATH = '/alert-router/internal/state';

export interface AlertRouterPeersConfig {
  /** This instance's ID in the alert-router ring, sent in FORWARDED_BY_HEADER. */
  instanceId: string;
  /** Timeout of one push to or pull from another alert-router, ms. */
  timeoutMs: number;
}

/**
 * TenantReplication over HTTP: the other members of a tenant's replication set come from the
 * alert-router ring (AlertRouterPlacement), whose entries hold each instance's HTTP `host:port`.
 * Pushes go to every other member at once and wait for all of them; a member that fails is
 * logged and counted, never retried here (the state it missed reaches it when it next starts the
 * tenant, by a pull, or at the next ring change, by a hand-over push).
 */
export class AlertRouterPeers implements TenantReplication {
  private readonly metrics: AlertRouterMetrics;

  constructor(
    private readonly config: AlertRouterPeersConfig,
    private readonly placement: AlertRouterPlacement,
    private readonly logger: Logger,
    registry: Registry,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    this.metrics = new AlertRouterMetrics(registry);
  }

  isSender(tenant: string): boolean {
    return this.placement.isSender(tenant);
  }

  private others(tenant: string): RingInstance[] {
    return this.placement.members(tenant).filter((m) => m.id !== this.config.instanceId);
  }

  async replicate(tenant: string, delta: TenantStateDelta): Promise<void> {
    await this.push(tenant, delta, this.others(tenant));
  }

  pushTo(tenant: string, delta: TenantStateDelta, to: readonly string[]): Promise<string[]> {
    return this.push(
      tenant,
      delta,
      this.placement.members(tenant).filter((m) => to.includes(m.id)),
    );
  }

  private async push(tenant: string, delta: TenantStateDelta, to: readonly RingInstance[]): Promise<string[]> {
    if (to.length === 0) return [];
    const body = encodeTenantState(delta);
    const failed: string[] = [];
    await Promise.all(
      to.map(async (peer) => {
        this.metrics.replicationPushes.inc();
        try {
          const res = await this.call(peer, tenant, 'POST', body);
          if (!res.ok) throw new Error(`answered ${res.status}: ${(await res.text()).trim()}`);
        } catch (err) {
          failed.push(peer.id);
          this.metrics.replicationPushesFailed.inc({ reason: failureReason(err) });
          this.logger.warn('pushing tenant state to a replica failed', { tenant, replica: peer.id, addr: peer.addr, err: errorMessage(err) });
        }
      }),
    );
    return failed;
  }

  async pull(tenant: string): Promise<TenantStateSnapshot[]> {
    const answers = await Promise.all(
      this.others(tenant).map(async (peer): Promise<TenantStateSnapshot | undefined> => {
        this.metrics.replicationPulls.inc();
        try {
          const res = await this.call(peer, tenant, 'GET');
          if (res.status === 404) return undefined;
          if (!res.ok) throw new Error(`answered ${res.status}: ${(await res.text()).trim()}`);
          return decodeTenantState(await res.text());
        } catch (err) {
          this.metrics.replicationPullsFailed.inc({ reason: failureReason(err) });
          this.logger.warn('pulling tenant state from a replica failed', { tenant, replica: peer.id, addr: peer.addr, err: errorMessage(err) });
          return undefined;
        }
      }),
    );
    return answers.filter((a): a is TenantStateSnapshot => a !== undefined);
  }

  private call(peer: RingInstance, tenant: string, method: 'GET' | 'POST', body?: string): Promise<Response> {
    return this.fetchFn(`http://${peer.addr}${ALERT_ROUTER_STATE_PATH}`, {
      method,
      headers: { 'X-Scope-OrgID': tenant, [FORWARDED_BY_HEADER]: this.config.instanceId, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body,
      signal: AbortSignal.timeout(this.config.timeoutMs),
    });
  }
}

function failureReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout';
  if (err instanceof Error && err.message.startsWith('answered ')) return 'status';
  return 'network';
}
