import type { Logger } from '@panoptes/log';
import { type RuleGroupDeps, RuleGroupEvaluator, type RuleGroupEvaluatorConfig } from './group';
import type { RuleGroupSpec } from './rulefmt';
import type { RuleGroupStatus } from './status';

export interface NamespacedGroup {
  namespace: string;
  group: RuleGroupSpec;
}

/** Runs work after the call returns; the owner aborts it on shutdown. */
export type BackgroundRunner = (task: (signal: AbortSignal) => Promise<void>) => void;

/**
 * One tenant's running rule groups (Prometheus's `rules.Manager.Update`, per tenant as in Mimir):
 *   - a group whose definition is unchanged keeps running untouched;
 *   - a changed group is stopped and its new version takes over its state (alerts, series);
 *   - a new group starts and restores `for` state after its second evaluation — also when it
 *     arrives from another ruler through resharding, so a hand-over keeps pending alerts' age;
 *   - a removed group stops, and two intervals later its series are marked stale (unless
 *     another group wrote them meanwhile, which makes those markers out of order and dropped).
 */
export class TenantRuler {
  private readonly evaluators = new Map<string, RuleGroupEvaluator>();

  constructor(
    readonly tenant: string,
    private readonly config: RuleGroupEvaluatorConfig,
    private readonly deps: RuleGroupDeps,
    private readonly logger: Logger,
    private readonly background: BackgroundRunner,
  ) {}

  get size(): number {
    return this.evaluators.size;
  }

  groups(): RuleGroupEvaluator[] {
    return [...this.evaluators.values()];
  }

  statuses(): RuleGroupStatus[] {
    return this.groups().map((g) => g.status());
  }

  /** Makes `wanted` the tenant's running groups. */
  async update(wanted: readonly NamespacedGroup[]): Promise<void> {
    const keep = new Set<string>();
    for (const { namespace, group } of wanted) {
      const key = `${namespace};${group.name}`;
      keep.add(key);
      const old = this.evaluators.get(key);
      if (old?.sameSpec(group)) continue;
      const next = new RuleGroupEvaluator(this.config, this.tenant, namespace, group, this.deps, this.logger, { shouldRestore: !old });
      if (old) {
        await old.stop();
        next.copyState(old);
      }
      this.evaluators.set(key, next);
      next.start();
      this.logger.info(old ? 'rule group updated' : 'rule group started', { tenant: this.tenant, rule_group: key, interval_ms: next.intervalMs });
    }
    for (const [key, g] of this.evaluators) {
      if (keep.has(key)) continue;
      this.evaluators.delete(key);
      await g.stop();
      this.markStaleLater(g);
      this.logger.info('rule group stopped', { tenant: this.tenant, rule_group: key });
    }
  }

  private markStaleLater(g: RuleGroupEvaluator): void {
    const series = g.lastWrittenSeries();
    if (series.length === 0) return;
    const stoppedAt = this.deps.clock.now();
    this.background(async (signal) => {
      try {
        await this.deps.clock.sleep(2 * g.intervalMs, signal);
      } catch {
        return;
      }
      await g.writeStaleMarkers(series, stoppedAt, signal);
    });
  }

  /** Stops every group, writing no staleness markers (a shutdown, not a removal). */
  async stop(): Promise<void> {
    const all = [...this.evaluators.values()];
    this.evaluators.clear();
    await Promise.all(all.map((g) => g.stop()));
  }
}
