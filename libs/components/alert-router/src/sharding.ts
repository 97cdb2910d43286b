import type { Clock } from '@panoptes/common';
import { errorMessage, isPanoptesError } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Operation, type ReplicationSet, type RingInstance } from '@panoptes/ring';
import { tenantHashSeed } from '@panoptes/proto';
import { Service } from '@panoptes/services';
import type { AlertRouter } from './alert-router';

/** A tenant is held by ACTIVE alert-routers only. */
export const ALERT_ROUTER_OP = new Operation('alert-router', ['ACTIVE']);

/** What sharding needs of the alert-router ring client (`Ring` from @panoptes/ring). */
export interface AlertRouterRingView {
  get(key: number, op: Operation, replicationFactor: number): ReplicationSet;
}

/**
 * The tenant's token on the alert-router ring: murmur3 of the tenant ID (`tenantHashSeed`, as the
 * compactor shards tenants). Mimir's `shardByUser` is FNV-1a 32, which puts IDs that differ only
 * at the end (`tenant-1`, `tenant-2`…) on a small arc of the ring, often one instance.
 */
export function tenantToken(tenant: string): number {
  return tenantHashSeed(tenant) >>> 0;
}

export interface AlertRouterPlacementConfig {
  /** This instance's ID in the alert-router ring. */
  instanceId: string;
  /** Instances holding each tenant's state; the first of them sends (`-alert-router.ring.replication-factor`). */
  replicationFactor: number;
}

/**
 * Where a tenant lives: its replication set is the first `replicationFactor` ACTIVE, healthy
 * instances clockwise from the tenant's token. The first of them is the tenant's **sender** (it
 * dispatches and notifies); the others are **replicas** holding the same alerts, silences and
 * notification log. A ring with fewer healthy instances than the replication factor gives a
 * smaller set rather than none (unlike a quorum write): one instance left still sends.
 *
 * An empty answer means the ring has no ACTIVE instance (this one still joining, or a ring it
 * cannot read): the caller then serves the tenant here, so a lone alert-router always answers.
 */
export class AlertRouterPlacement {
  constructor(
    private readonly config: AlertRouterPlacementConfig,
    private readonly ring: AlertRouterRingView,
  ) {}

  get instanceId(): string {
    return this.config.instanceId;
  }

  /** The tenant's replication set in ring order, sender first; [] when the ring has no ACTIVE instance. */
  members(tenant: string): RingInstance[] {
    const token = tenantToken(tenant);
    // The ring refuses a set below quorum (floor(RF/2)+1); a smaller set is what is left, so ask
    // again for fewer: the walk is the same, so the answer is a prefix of the full set.
    for (let rf = Math.max(1, this.config.replicationFactor); rf >= 1; rf--) {
      try {
        return this.ring.get(token, ALERT_ROUTER_OP, rf).instances;
      } catch (err) {
        if (!isPanoptesError(err) || err.kind !== 'unavailable') return [];
      }
    }
    return [];
  }

  /** The instance sending the tenant's notifications, or undefined when the ring has none to offer. */
  sender(tenant: string): RingInstance | undefined {
    return this.members(tenant)[0];
  }

  /** Whether this instance sends the tenant's notifications (also when the ring has no ACTIVE instance). */
  isSender(tenant: string): boolean {
    const s = this.sender(tenant);
    return s === undefined || s.id === this.config.instanceId;
  }

  /** Whether this instance holds the tenant (sender or replica; also with no ACTIVE instance in the ring). */
  isMember(tenant: string): boolean {
    const m = this.members(tenant);
    return m.length === 0 || m.some((i) => i.id === this.config.instanceId);
  }
}

export interface AlertRouterShardingConfig {
  /** This instance's ID in the alert-router ring. */
  instanceId: string;
  /** How often live tenants are checked against the ring, ms (`-alert-router.ring-check-period`). */
  checkPeriodMs: number;
}

/**
 * Keeps the tenants held here in line with the ring, every check period:
 * - a tenant whose replication set no longer includes this instance is released (dispatcher
 *   stopped, state written if this instance was sending, handed to the set's new members);
 * - a tenant whose sender is now this instance starts dispatching (promotion: config and stored
 *   state reloaded, the other members' state merged, after the previous sender stopped when it
 *   is still alive); one whose sender is another instance stops dispatching (demotion);
 * - members that joined the set since the last check get the whole state pushed, by one holder
 *   only: the first member of the previous set still in the set (or this one if none is); a
 *   tenant's first check here pushes to every other member.
 *
 * Stopping (a graceful shutdown, before the instance leaves the ring) stops every dispatcher
 * here first, so a replica taking over never overlaps with this instance. Nothing here sends;
 * the AlertRouter does, for the tenants it dispatches.
 */
export class AlertRouterSharding extends Service {
  /** Each held tenant's replication set (instance IDs) as of the last check. */
  private readonly lastSeen = new Map<string, string[]>();

  constructor(
    private readonly config: AlertRouterShardingConfig,
    private readonly placement: AlertRouterPlacement,
    private readonly router: AlertRouter,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    super('alert-router-sharding');
  }

  /** One pass over the held tenants; returns those released. */
  async check(): Promise<string[]> {
    const self = this.config.instanceId;
    const released: string[] = [];
    const live = this.router.tenantIds();
    for (const id of this.lastSeen.keys()) if (!live.includes(id)) this.lastSeen.delete(id);
    for (const tenant of live) {
      const members = this.placement.members(tenant);
      if (members.length === 0) continue;
      const ids = members.map((m) => m.id);
      // A tenant not checked here yet counts as held by this instance alone: its state is pushed
      // once to the other members (merging is idempotent), so one that started it from a single
      // delta, or joined meanwhile, gets all of it.
      const previous = this.lastSeen.get(tenant) ?? [self];
      const newcomers = ids.filter((id) => id !== self && !previous.includes(id));
      const before = previous.indexOf(self) < 0 ? previous : previous.slice(0, previous.indexOf(self));
      const hands = !before.some((id) => ids.includes(id));
      try {
        if (!ids.includes(self)) {
          await this.router.releaseTenant(tenant, hands ? newcomers : []);
          this.lastSeen.delete(tenant);
          released.push(tenant);
          continue;
        }
        await this.router.syncRole(tenant);
        const failed = hands && newcomers.length > 0 ? await this.router.pushState(tenant, newcomers) : [];
        // A member that missed the hand-over counts as new again at the next check.
        this.lastSeen.set(
          tenant,
          ids.filter((id) => !failed.includes(id)),
        );
      } catch (err) {
        this.logger.warn('aligning tenant with the alert-router ring failed', { tenant, err: errorMessage(err) });
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
      await this.check();
    }
  }

  /** Runs before the lifecycler leaves the ring (the modules library stops it first): this instance stops sending. */
  protected override async stopping(): Promise<void> {
    await this.router.stopDispatching();
  }
}
