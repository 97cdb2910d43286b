import { setMaxListeners } from 'node:events';
import { type Clock, SystemClock, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import type { QueryEngine, Queryable } from '@panoptes/promql';
import { Service } from '@panoptes/services';
import type { Registry } from 'prom-client';
import { type Notifier, type SampleSink, engineQueryFunc } from './contracts';
import { type RuleGroupEvaluatorConfig, defaultRuleGroupEvaluatorConfig } from './group';
import { RulerMetrics } from './metrics';
import type { RuleStore } from './rule-store';
import type { RuleGroupStatus } from './status';
import { type NamespacedGroup, TenantRuler } from './tenant-ruler';

export interface RulerManagerConfig {
  /** How often every tenant's rule groups are re-read from the rule store, ms (`-ruler.poll-interval`). */
  pollIntervalMs: number;
  /** How rule groups are evaluated. */
  evaluation: RuleGroupEvaluatorConfig;
}

export function defaultRulerManagerConfig(): RulerManagerConfig {
  return { pollIntervalMs: 60_000, evaluation: defaultRuleGroupEvaluatorConfig() };
}

/** Whether this ruler evaluates a group: the lead plugs the ruler ring in here. */
export type GroupOwnership = (tenant: string, namespace: string, group: string) => boolean;

export interface RulerManagerDeps {
  store: RuleStore;
  engine: QueryEngine;
  /** The tenant data rules query, and where `for` state is restored from. */
  queryable: Queryable;
  sink: SampleSink;
  notifier: Notifier;
  clock?: Clock;
}

/**
 * The ruler's evaluation side: loads every tenant's rule groups from the rule store, keeps the
 * ones this ruler owns running (one TenantRuler per tenant), and reloads on its poll interval or
 * when asked (after an API write, or when ring ownership changed through `setOwnedGroups`).
 *
 * Invariant: syncs never overlap, so a group is never started twice.
 */
export class RulerManager extends Service {
  readonly metrics: RulerMetrics;
  private readonly clock: Clock;
  private readonly tenants = new Map<string, TenantRuler>();
  private owns: GroupOwnership = () => true;
  private syncing: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private syncRequested = false;
  private readonly tasks = new Set<Promise<void>>();
  private readonly tasksAbort = new AbortController();

  constructor(
    private readonly config: RulerManagerConfig,
    private readonly deps: RulerManagerDeps,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super('ruler');
    this.metrics = new RulerMetrics(registry);
    this.clock = deps.clock ?? new SystemClock();
    // Every group that stops waits on this signal before its staleness markers: no listener limit.
    setMaxListeners(0, this.tasksAbort.signal);
  }

  /** Sets which groups this ruler evaluates (all when undefined) and reloads. */
  setOwnedGroups(filter: GroupOwnership | undefined): void {
    this.owns = filter ?? (() => true);
    this.requestSync();
  }

  /** Asks for a reload as soon as possible (Mimir's `NotifySyncRulesAsync`). */
  requestSync(): void {
    this.syncRequested = true;
    this.wake?.();
  }

  /** Reloads every tenant's groups from the store; one sync at a time. */
  syncRules(reason = 'manual'): Promise<void> {
    const run = this.syncing.then(() => this.doSync(reason));
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private async doSync(reason: string): Promise<void> {
    this.metrics.syncs.inc({ reason });
    const tenants = new Set(await this.deps.store.listTenants());
    for (const tenant of tenants) {
      let wanted: NamespacedGroup[];
      try {
        const loaded = await this.deps.store.loadRuleGroups(tenant);
        wanted = [...loaded].flatMap(([namespace, groups]) => groups.filter((g) => this.owns(tenant, namespace, g.name)).map((group) => ({ namespace, group })));
      } catch (err) {
        this.logger.warn('loading rule groups failed; keeping the running ones', { tenant, err: errorMessage(err) });
        continue;
      }
      await this.tenantRuler(tenant).update(wanted);
    }
    for (const [tenant, ruler] of this.tenants) {
      if (!tenants.has(tenant)) await ruler.update([]);
      if (ruler.size === 0) this.tenants.delete(tenant);
    }
  }

  private tenantRuler(tenant: string): TenantRuler {
    let r = this.tenants.get(tenant);
    if (!r) {
      const deps = {
        query: engineQueryFunc(this.deps.engine, this.deps.queryable, tenant),
        queryable: this.deps.queryable,
        sink: this.deps.sink,
        notifier: this.deps.notifier,
        clock: this.clock,
        metrics: this.metrics,
        owns: (namespace: string, group: string) => this.owns(tenant, namespace, group),
      };
      r = new TenantRuler(tenant, this.config.evaluation, deps, this.logger.with({ tenant }), (task) => this.runInBackground(task));
      this.tenants.set(tenant, r);
    }
    return r;
  }

  private runInBackground(task: (signal: AbortSignal) => Promise<void>): void {
    const p = task(this.tasksAbort.signal)
      .catch((err: unknown) => this.logger.warn('ruler background task failed', { err: errorMessage(err) }))
      .finally(() => this.tasks.delete(p));
    this.tasks.add(p);
  }

  /** Tenants with at least one group running here. */
  tenantIds(): string[] {
    return [...this.tenants.keys()].sort();
  }

  /** The state of a tenant's groups evaluated by this ruler. */
  ruleGroups(tenant: string): RuleGroupStatus[] {
    return this.tenants.get(tenant)?.statuses() ?? [];
  }

  protected override async starting(): Promise<void> {
    await this.syncRules('initial');
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.syncRequested) {
        const wait = new AbortController();
        const onAbort = (): void => wait.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => wait.abort();
        try {
          await this.clock.sleep(this.config.pollIntervalMs, wait.signal);
        } catch {
          // Woken early: a sync was requested, or we are stopping.
        } finally {
          signal.removeEventListener('abort', onAbort);
          this.wake = undefined;
        }
      }
      if (signal.aborted) return;
      const reason = this.syncRequested ? 'requested' : 'periodic';
      this.syncRequested = false;
      try {
        await this.syncRules(reason);
      } catch (err) {
        this.logger.warn('syncing rule groups failed', { err: errorMessage(err) });
      }
    }
  }

  protected override async stopping(): Promise<void> {
    await this.syncing;
    this.tasksAbort.abort();
    await Promise.all([...this.tasks]);
    await Promise.all([...this.tenants.values()].map((t) => t.stop()));
    this.tenants.clear();
  }
}
