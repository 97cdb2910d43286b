import type { Clock } from '@panoptes/common';
import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Operation, type ReplicationSet, type RingInstance } from '@panoptes/ring';
import { tenantHashSeed } from '@panoptes/proto';
import { Service } from '@panoptes/services';
import type { AlertRouter } from './alert-router';

/** A tenant belongs to one ACTIVE alert-router. */
export const ALERT_ROUTER_OP = new Operation('alert-router', ['ACTIVE']);

/** What sharding needs of the alert-router ring client (`Ring` from @panoptes/ring). */
export interface AlertRouterRingView {
  get(key: number, op: Operation, replicationFactor: number): ReplicationSet;
}

export interface AlertRouterShardingConfig {
  /** This instance's ID in the alert-router ring. */
  instanceId: string;
  /** How often live tenants are checked against the ring, ms (`-alert-router.ring-check-period`). */
  checkPeriodMs: number;
}

/**
 * The tenant's token on the alert-router ring: murmur3 of the tenant ID (`tenantHashSeed`, as the
 * compactor shards tenants). Mimir's `shardByUser` is FNV-1a 32, which puts IDs that differ only
 * at the end (`tenant-1`, `tenant-2`…) on a small arc of the ring, often one instance.
 */
export function tenantToken(tenant: string): number {
  return tenantHashSeed(tenant) >>> 0;
}

/**
 * Tenant sharding over the alert-router ring, replication factor 1: each tenant's Alertmanager
 * (alerts, dispatching, notifications) runs on the one ACTIVE, healthy instance owning the tenant's
 * token; the others forward that tenant's requests to it (`AlertRouterHttpApi`). Every check period
 * the tenants running here that another instance owns now are released (state written, stopped);
 * the new owner loads the state on the tenant's next request.
 *
 * With no ACTIVE instance in the ring (this one still joining, or a ring it cannot read) requests
 * are served here, so a lone alert-router always answers.
 */
export class AlertRouterSharding extends Service {
  constructor(
    private readonly config: AlertRouterShardingConfig,
    private readonly ring: AlertRouterRingView,
    private readonly router: AlertRouter,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    super('alert-router-sharding');
  }

  /** The instance owning the tenant, or undefined when the ring has none to offer. */
  owner(tenant: string): RingInstance | undefined {
    try {
      return this.ring.get(tenantToken(tenant), ALERT_ROUTER_OP, 1).instances[0];
    } catch {
      return undefined;
    }
  }

  /** Whether this instance serves the tenant itself. */
  isLocal(tenant: string): boolean {
    const o = this.owner(tenant);
    return o === undefined || o.id === this.config.instanceId;
  }

  /** Releases the live tenants another instance owns now; returns them. */
  async releaseForeignTenants(): Promise<string[]> {
    const released: string[] = [];
    for (const tenant of this.router.tenantIds()) {
      if (this.isLocal(tenant)) continue;
      try {
        await this.router.releaseTenant(tenant);
        released.push(tenant);
      } catch (err) {
        this.logger.warn('releasing tenant failed', { tenant, err: errorMessage(err) });
      }
    }
    return released;
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.clock.sleep(this.config.checkPeriodMs, signal);
      } catch {
        return;
      }
      await this.releaseForeignTenants();
    }
  }
}
