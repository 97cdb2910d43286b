import type { Clock } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { type Alert, labelSetBefore, fingerprint, compareAlerts } from '../alerts/alert';
import type { AlertStore } from '../alerts/alert-store';
import type { LabelSet } from '../matchers';
import type { AlertRouterMetrics } from '../metrics';
import type { Route } from '../routing/route';
import { AggregationGroup, type NotifyFn } from './aggregation-group';

export interface DispatcherConfig {
  /** How often empty aggregation groups are removed, ms (Alertmanager: 30 s). */
  maintenanceIntervalMs: number;
  /** Most aggregation groups one tenant may have; alerts that would open another are dropped. 0 = unlimited. */
  maxAggregationGroups: number;
}

export function defaultDispatcherConfig(): DispatcherConfig {
  return { maintenanceIntervalMs: 30_000, maxAggregationGroups: 0 };
}

/** One aggregation group as `/api/v2/alerts/groups` shows it. */
export interface AlertGroupView {
  labels: LabelSet;
  receiver: string;
  alerts: [string, Alert][];
}

/**
 * Sorts every alert of a tenant into aggregation groups (Alertmanager's Dispatcher): each alert
 * goes to every route it matches, and within a route to the group of its group_by label values.
 * Groups run their own timers; empty ones are removed by periodic maintenance.
 */
export class Dispatcher {
  private readonly groups = new Map<Route, Map<string, AggregationGroup>>();
  private readonly stopped = new AbortController();
  private unsubscribe: (() => void) | undefined;
  private maintenance: Promise<void> | undefined;

  constructor(
    private readonly config: DispatcherConfig,
    private readonly route: Route,
    private readonly store: AlertStore,
    private readonly notify: NotifyFn,
    private readonly tenant: string,
    private readonly clock: Clock,
    private readonly metrics: AlertRouterMetrics,
    private readonly logger: Logger,
  ) {}

  /** Starts following the alert store (alerts already in it are dispatched at once). */
  start(): void {
    this.unsubscribe = this.store.subscribe((alert, fp) => {
      for (const r of this.route.match(alert.labels)) this.process(alert, fp, r);
    });
    this.maintenance = this.maintain();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.unsubscribe?.();
    const all = [...this.groups.values()].flatMap((m) => [...m.values()]);
    this.groups.clear();
    await Promise.all(all.map((g) => g.stop()));
    await this.maintenance;
    this.metrics.aggregationGroups.set({ tenant: this.tenant }, 0);
  }

  private process(alert: Alert, fp: string, route: Route): void {
    const labels: Record<string, string> = {};
    for (const [n, v] of Object.entries(alert.labels)) if (route.opts.groupByAll || route.opts.groupBy.has(n)) labels[n] = v;
    const key = fingerprint(labels);
    let byKey = this.groups.get(route);
    if (!byKey) {
      byKey = new Map();
      this.groups.set(route, byKey);
    }
    let group = byKey.get(key);
    if (!group) {
      if (this.config.maxAggregationGroups > 0 && this.count() >= this.config.maxAggregationGroups) {
        this.metrics.alertsDropped.inc({ tenant: this.tenant, reason: 'aggregation_group_limit' });
        this.logger.warn('too many aggregation groups, alert dropped', { tenant: this.tenant, limit: this.config.maxAggregationGroups, alert: fp });
        return;
      }
      group = new AggregationGroup(labels, route, this.tenant, this.clock, this.notify, this.logger);
      byKey.set(key, group);
      this.metrics.aggregationGroups.inc({ tenant: this.tenant });
      group.insert(alert, fp);
      group.start();
      return;
    }
    group.insert(alert, fp);
  }

  private count(): number {
    let n = 0;
    for (const m of this.groups.values()) n += m.size;
    return n;
  }

  private async maintain(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      try {
        await this.clock.sleep(this.config.maintenanceIntervalMs, this.stopped.signal);
      } catch {
        return;
      }
      for (const byKey of this.groups.values()) {
        for (const [key, g] of byKey) {
          if (!g.isEmpty()) continue;
          byKey.delete(key);
          this.metrics.aggregationGroups.dec({ tenant: this.tenant });
          void g.stop();
        }
      }
    }
  }

  /**
   * The groups whose route passes `routeFilter`, with the alerts `alertFilter` keeps, in
   * Alertmanager's order; plus, per alert fingerprint, the receivers of the groups it is in.
   */
  view(routeFilter: (r: Route) => boolean, alertFilter: (a: Alert, fp: string) => boolean): { groups: AlertGroupView[]; receivers: Map<string, string[]> } {
    const groups: AlertGroupView[] = [];
    const receivers = new Map<string, string[]>();
    for (const [route, byKey] of this.groups) {
      if (!routeFilter(route)) continue;
      for (const g of byKey.values()) {
        const alerts = g.list().filter(([fp, a]) => alertFilter(a, fp));
        if (alerts.length === 0) continue;
        for (const [fp] of alerts) receivers.set(fp, [...(receivers.get(fp) ?? []), route.opts.receiver]);
        alerts.sort(([, a], [, b]) => compareAlerts(a, b));
        groups.push({ labels: g.labels, receiver: route.opts.receiver, alerts });
      }
    }
    groups.sort((a, b) => {
      if (labelSetBefore(a.labels, b.labels)) return -1;
      if (labelSetBefore(b.labels, a.labels)) return 1;
      return a.receiver < b.receiver ? -1 : a.receiver > b.receiver ? 1 : 0;
    });
    for (const r of receivers.values()) r.sort();
    return { groups, receivers };
  }
}
