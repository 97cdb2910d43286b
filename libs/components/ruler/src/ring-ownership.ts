import type { Clock } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Operation, type ReplicationSet, type RingSnapshot } from '@panoptes/ring';
import { tenantHashSeed } from '@panoptes/proto';
import { Service } from '@panoptes/services';

/** Rule groups are evaluated by ACTIVE rulers only (Mimir's `RuleEvalRingOp`). */
export const RULER_EVAL_OP = new Operation('ruler-eval', ['ACTIVE']);

/** Rulers that can answer API fan-out calls: ACTIVE and LEAVING ones still hold state. */
export const RULER_READ_OP = new Operation('ruler-read', ['ACTIVE', 'LEAVING']);

/** What ownership needs of the ruler ring client (`Ring` from @panoptes/ring). */
export interface RulerRingView {
  get(key: number, op: Operation, replicationFactor: number): ReplicationSet;
  snapshot(): RingSnapshot;
}

/**
 * The group's token on the ruler ring: murmur3 (x86, 128-bit, first word; the hash the compactor
 * shards tenants with) of `tenant \0 namespace \0 group`. Mimir uses FNV-1a 32, which spreads
 * names that differ only at the end (`g1`, `g2`…) over a small arc of the ring.
 */
export function ruleGroupToken(tenant: string, namespace: string, group: string): number {
  return tenantHashSeed(`${tenant}\0${namespace}\0${group}`) >>> 0;
}

export interface RulerRingOwnershipConfig {
  /** This ruler's instance ID in the ring. */
  instanceId: string;
  /** How often the ring is compared with the last one seen, ms (`-ruler.ring-check-period`). */
  checkPeriodMs: number;
}

/**
 * Decides which ruler evaluates a rule group: the one ACTIVE, healthy ruler owning the group's
 * token (replication factor 1). `owns` reads the ring client's latest view on every call, so an
 * evaluator that lost its group stops at its next slot even before the manager re-syncs; the
 * running loop re-syncs the manager (`onChange`) whenever the set of rulers that may own groups
 * changed, so a ruler that joined or left hands groups over within one check period plus one
 * evaluation interval.
 *
 * With no ACTIVE ruler in the ring (this one still joining) nothing is owned.
 */
export class RulerRingOwnership extends Service {
  private lastState = '';

  constructor(
    private readonly config: RulerRingOwnershipConfig,
    private readonly ring: RulerRingView,
    private readonly onChange: () => void,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    super('ruler-ring-ownership');
  }

  owns(tenant: string, namespace: string, group: string): boolean {
    try {
      return this.ring.get(ruleGroupToken(tenant, namespace, group), RULER_EVAL_OP, 1).instances[0]?.id === this.config.instanceId;
    } catch {
      return false;
    }
  }

  /** Which rulers may own groups now, as one comparable string. */
  private ringState(): string {
    const snap = this.ring.snapshot();
    const now = this.clock.now();
    return Object.entries(snap.desc.instances)
      .filter(([id]) => snap.isHealthy(id, RULER_EVAL_OP, now))
      .map(([id, inst]) => `${id}/${inst.tokens.length}/${inst.tokens[0] ?? ''}`)
      .sort()
      .join(',');
  }

  /** Compares the ring with the last check; true (and `onChange` called) when ownership may have moved. */
  check(): boolean {
    const state = this.ringState();
    if (state === this.lastState) return false;
    this.logger.info('ruler ring changed, re-syncing rule groups', { instance: this.config.instanceId, rulers: state });
    this.lastState = state;
    this.onChange();
    return true;
  }

  protected override async starting(): Promise<void> {
    this.lastState = this.ringState();
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.clock.sleep(this.config.checkPeriodMs, signal);
      } catch {
        return;
      }
      this.check();
    }
  }
}
