import { type Clock, LimitError, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { type Alert, resolvedAt } from './alerts/alert';
import { AlertStore } from './alerts/alert-store';
import type { AlertmanagerConfig } from './config/config';
import type { TimeInterval } from './config/time-intervals';
import { Dispatcher, type DispatcherConfig, defaultDispatcherConfig } from './dispatch/dispatcher';
import { Inhibitor } from './inhibit/inhibitor';
import type { AlertRouterMetrics } from './metrics';
import { type NflogConfig, NotificationLog, defaultNflogConfig } from './nflog/nflog';
import { type IntegrationFactory, defaultIntegrationFactory } from './notify/integrations';
import { NotificationPipeline, type RetryConfig, defaultRetryConfig } from './notify/pipeline';
import type { Integration, NotifyContext } from './notify/types';
import { type TenantStateDelta, emptyTenantStateDelta } from './replication/tenant-state';
import { Route } from './routing/route';
import { Silences, type SilencesConfig, defaultSilencesConfig, silenceState } from './silences/silences';

/** Per-tenant settings of the alert-router (the same for every tenant unless overridden). */
export interface TenantConfig {
  /** `externalURL` of notifications: where users reach the alert-router's UI/API, no trailing slash. */
  externalUrl: string;
  /** User-Agent of notification requests. */
  userAgent: string;
  /** Most alerts (firing or resolved, not yet collected) a tenant may hold; 0 = unlimited. */
  maxAlerts: number;
  retry: RetryConfig;
  dispatcher: DispatcherConfig;
  silences: SilencesConfig;
  nflog: NflogConfig;
}

export function defaultTenantConfig(): TenantConfig {
  return {
    externalUrl: 'http://localhost:8080/alertmanager',
    userAgent: 'Alertmanager/0.25.0 (Panoptes)',
    maxAlerts: 0,
    retry: defaultRetryConfig(),
    dispatcher: defaultDispatcherConfig(),
    silences: defaultSilencesConfig(),
    nflog: defaultNflogConfig(),
  };
}

export interface TenantDeps {
  clock: Clock;
  metrics: AlertRouterMetrics;
  logger: Logger;
  /** How receivers send; the default sends webhooks over HTTP and fails other types. */
  integrationFactory?: IntegrationFactory;
  /** Called whenever silences or the notification log change (the alert-router persists them). */
  onStateChange?: () => void;
  /**
   * Pushes changes made here (alerts put through the API, silences set or expired, notification
   * log entries written after a send) to the tenant's other replicas; never rejects. Changes
   * merged from a replica are not pushed again.
   */
  replicate?: (delta: TenantStateDelta) => Promise<void>;
}

/** The loaded Alertmanager config of a tenant and where it came from. */
export interface LoadedConfig {
  config: AlertmanagerConfig;
  templateFiles: Record<string, string>;
  /** True when the tenant has no config of its own and runs the fallback. */
  fallback: boolean;
}

/**
 * Everything one tenant's Alertmanager is: its config, alerts, routing tree, inhibitor, silences,
 * notification log, dispatcher and pipeline. A new config rebuilds routing, inhibition and the
 * dispatcher (alerts are dispatched again; the notification log keeps that from resending) while
 * alerts, silences and the notification log carry over.
 *
 * Replication: every member of the tenant's replication set holds one, with the same alerts,
 * silences and notification log; only the sender's is started (dispatching). Local changes are
 * queued and pushed in order, batched per turn of the event loop; a flush of an aggregation group
 * ends only after the log entries it wrote reached the other members, and an API call answers
 * only after its changes did (`flushReplication`).
 *
 *   held (not dispatching) ──start()──▶ dispatching ──stop()──▶ held
 */
export class AlertRouterTenant {
  readonly store: AlertStore;
  readonly silences: Silences;
  readonly nflog: NotificationLog;
  private current!: LoadedConfig;
  private routeTree!: Route;
  private inhibitorImpl!: Inhibitor;
  private dispatcherImpl!: Dispatcher;
  private started = false;
  readonly startedAt: number;
  /** Local changes not yet handed to `deps.replicate`, and the push in progress. */
  private outgoing: TenantStateDelta | undefined;
  private replicating: Promise<void> | undefined;

  constructor(
    readonly tenant: string,
    private readonly config: TenantConfig,
    loaded: LoadedConfig,
    private readonly deps: TenantDeps,
  ) {
    const now = (): number => deps.clock.now();
    this.store = new AlertStore(now);
    this.silences = new Silences(config.silences, now, undefined, (silence, local) => {
      deps.onStateChange?.();
      if (local) this.queueReplication({ silences: [silence] });
    });
    this.nflog = new NotificationLog(config.nflog, now, (entry, local) => {
      deps.onStateChange?.();
      if (local) this.queueReplication({ nflog: [entry] });
    });
    this.startedAt = now();
    this.build(loaded);
  }

  get loaded(): LoadedConfig {
    return this.current;
  }

  get route(): Route {
    return this.routeTree;
  }

  get inhibitor(): Inhibitor {
    return this.inhibitorImpl;
  }

  get dispatcher(): Dispatcher {
    return this.dispatcherImpl;
  }

  private build(loaded: LoadedConfig): void {
    const { clock, metrics, logger } = this.deps;
    const cfg = loaded.config;
    this.current = loaded;
    this.routeTree = new Route(cfg.route);
    this.inhibitorImpl = new Inhibitor(cfg.inhibit_rules, this.store, () => clock.now());
    const timeIntervals = new Map<string, readonly TimeInterval[]>();
    for (const ti of [...cfg.mute_time_intervals, ...cfg.time_intervals]) timeIntervals.set(ti.name, ti.time_intervals);
    const factory =
      this.deps.integrationFactory ??
      defaultIntegrationFactory({ externalUrl: this.config.externalUrl, userAgent: this.config.userAgent, now: () => clock.now(), templateFiles: loaded.templateFiles });
    const integrations = new Map<string, Integration[]>(cfg.receivers.map((r) => [r.name, factory(r)]));
    const pipeline = new NotificationPipeline({
      tenant: this.tenant,
      store: this.store,
      inhibitor: this.inhibitorImpl,
      silences: this.silences,
      nflog: this.nflog,
      timeIntervals,
      integrations,
      clock,
      retry: this.config.retry,
      metrics,
      logger,
    });
    // A flush is over once the log entries it wrote are on the other replicas: a sender dying after
    // that leaves the next sender knowing what was sent.
    const notify = async (ctx: NotifyContext, alerts: readonly Alert[]): Promise<boolean> => {
      const delivered = await pipeline.run(ctx, alerts);
      await this.flushReplication();
      return delivered;
    };
    this.dispatcherImpl = new Dispatcher(this.config.dispatcher, this.routeTree, this.store, notify, this.tenant, clock, metrics, logger);
  }

  /** Whether this replica sends the tenant's notifications (its dispatcher runs). */
  get dispatching(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.dispatcherImpl.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.dispatcherImpl.stop();
    this.inhibitorImpl.stop();
  }

  /** Switches to a new config: stops the old dispatcher, builds the new pipeline, dispatches again. */
  async applyConfig(loaded: LoadedConfig): Promise<void> {
    const wasStarted = this.started;
    await this.stop();
    this.build(loaded);
    if (wasStarted) this.start();
  }

  /** Stores alerts received through the API (already validated and completed). Throws LimitError past max_alerts. */
  putAlerts(alerts: Alert[]): void {
    const limit = this.config.maxAlerts;
    if (limit > 0 && this.store.size + alerts.length > limit) {
      const room = Math.max(0, limit - this.store.size);
      this.deps.metrics.alertsDropped.inc({ tenant: this.tenant, reason: 'alerts_limit' }, alerts.length - room);
      this.store.put(alerts.slice(0, room));
      this.queueReplication({ alerts: alerts.slice(0, room) });
      throw new LimitError('alerts_limit', `per-tenant alerts limit of ${limit} exceeded for tenant ${JSON.stringify(this.tenant)}; ${alerts.length - room} alerts dropped; raise the tenant's max_alerts limit or resolve alerts`, {
        tenant: this.tenant,
      });
    }
    this.store.put(alerts);
    this.queueReplication({ alerts });
    this.updateGauges();
  }

  /**
   * Merges state another replica pushed or answered: alerts are put as a POST puts them (no
   * limit: the replica that took them checked it), silences and log entries keep the newer copy.
   * Nothing merged is pushed again.
   */
  merge(delta: Partial<TenantStateDelta>): void {
    if (delta.alerts?.length) this.store.put(delta.alerts);
    if (delta.silences?.length) this.silences.merge(delta.silences);
    if (delta.nflog?.length) this.nflog.merge(delta.nflog);
    this.updateGauges();
  }

  /** Everything a new replica needs: alerts (resolved ones not yet collected included), silences, log entries. */
  fullState(): TenantStateDelta {
    return { alerts: this.store.list().map(([, a]) => a), silences: this.silences.list(), nflog: this.nflog.list() };
  }

  private queueReplication(part: Partial<TenantStateDelta>): void {
    if (!this.deps.replicate) return;
    const d = (this.outgoing ??= emptyTenantStateDelta());
    if (part.alerts) d.alerts.push(...part.alerts);
    if (part.silences) d.silences.push(...part.silences);
    if (part.nflog) d.nflog.push(...part.nflog);
    this.replicating ??= this.drainReplication();
  }

  private async drainReplication(): Promise<void> {
    try {
      // Changes made in the same turn (one POST's alerts, a group's integrations) go in one push.
      await Promise.resolve();
      while (this.outgoing) {
        const d = this.outgoing;
        this.outgoing = undefined;
        await this.deps.replicate!(d).catch((err: unknown) => this.deps.logger.warn('replicating tenant state failed', { tenant: this.tenant, err: errorMessage(err) }));
      }
    } finally {
      this.replicating = undefined;
    }
  }

  /** Resolves once every change made here so far was pushed to the other replicas (or the push failed). */
  async flushReplication(): Promise<void> {
    while (this.replicating) await this.replicating;
  }

  /** Collects resolved alerts, expired silences and old notification log entries. */
  maintenance(): void {
    this.store.gc();
    this.inhibitorImpl.gc();
    this.silences.gc();
    this.nflog.gc();
    this.updateGauges();
  }

  private updateGauges(): void {
    const { metrics } = this.deps;
    metrics.alerts.set({ tenant: this.tenant }, this.store.size);
    const now = this.deps.clock.now();
    const counts = { active: 0, pending: 0, expired: 0 };
    for (const s of this.silences.list()) counts[silenceState(s, now)]++;
    for (const [state, n] of Object.entries(counts)) metrics.silences.set({ tenant: this.tenant, state }, n);
  }

  /** Count of firing (not yet resolved) alerts, for status pages. */
  firingCount(): number {
    const now = this.deps.clock.now();
    return this.store.list().filter(([, a]) => !resolvedAt(a, now)).length;
  }
}
