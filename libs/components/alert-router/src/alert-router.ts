import { type Clock, SystemClock, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import type { Registry } from 'prom-client';
import { type AmApiRequest, type AmApiResponse, type VersionInfo, defaultVersionInfo, emptyResponse } from './api/http';
import { dispatchAlertmanagerApi } from './api/routes';
import { type TenantConfigLimits, defaultTenantConfigLimits, handleTenantConfigApi, validateTenantConfig } from './api/tenant-config-api';
import { loadConfig } from './config/config';
import { AlertRouterMetrics } from './metrics';
import type { IntegrationFactory } from './notify/integrations';
import { type TenantReplication, type TenantStateDelta, decodeTenantState, encodeTenantState } from './replication/tenant-state';
import { type AlertRouterStateStore, InMemoryAlertRouterStateStore, type StateKind, type TenantConfigRecord } from './state-store';
import { AlertRouterTenant, type LoadedConfig, type TenantConfig, defaultTenantConfig } from './tenant';

/** The alert-router's settings. */
export interface AlertRouterConfig {
  /** Alertmanager YAML that tenants without a config of their own run. */
  fallbackConfig: string;
  /** Per-tenant runtime settings (external URL, limits, retries, retention). */
  tenant: TenantConfig;
  /** What tenants may upload through the config API. */
  limits: TenantConfigLimits;
  /** How often resolved alerts, expired silences and old notification log entries are collected, ms. */
  maintenanceIntervalMs: number;
  /** How often each tenant's silences and notification log are written to the state store, ms. */
  persistIntervalMs: number;
  /** Also write them after every change (new silence, sent notification), so a crash loses nothing. */
  persistOnChange: boolean;
  /**
   * How long an instance that became a tenant's sender waits for the previous sender, still
   * alive and still dispatching (a hand-over on a ring change), to stop before it starts anyway, ms.
   */
  handoverTimeoutMs: number;
}

/** A fallback that accepts alerts and sends nothing (as Mimir's empty receiver). */
export const DEFAULT_FALLBACK_CONFIG = `route:
  receiver: empty-receiver
receivers:
  - name: empty-receiver
`;

export function defaultAlertRouterConfig(): AlertRouterConfig {
  return {
    fallbackConfig: DEFAULT_FALLBACK_CONFIG,
    tenant: defaultTenantConfig(),
    limits: defaultTenantConfigLimits(),
    maintenanceIntervalMs: 15 * 60_000,
    persistIntervalMs: 15 * 60_000,
    persistOnChange: true,
    handoverTimeoutMs: 10_000,
  };
}

export interface AlertRouterOptions {
  clock?: Clock;
  /** Where configs, silences and notification logs persist; in memory by default. */
  stateStore?: AlertRouterStateStore;
  integrationFactory?: IntegrationFactory;
  versionInfo?: VersionInfo;
  /** Per-tenant upload limits (runtime overrides); `config.limits` for every tenant when absent. */
  limitsFor?: (tenant: string) => TenantConfigLimits;
  /**
   * The tenant's replication set (AlertRouterPeers over the alert-router ring). Absent: every
   * tenant is sent from here and nothing is replicated (a single alert-router).
   */
  replication?: TenantReplication;
}

const STATE_KINDS: readonly StateKind[] = ['silences', 'nflog'];

/** How often a new sender asks whether the previous one stopped dispatching, ms. */
const HANDOVER_POLL_MS = 500;

/**
 * The alert-router: one Alertmanager per tenant (AlertRouterTenant), created on first use from
 * the tenant's stored config or the fallback, with its silences and notification log restored from
 * the state store and written back periodically and on stop.
 *
 * With a TenantReplication, a tenant is held by every member of its replication set and sent
 * from the first (the sender) only:
 * - a tenant starting here loads the stored state, then merges the live state of the other
 *   members (alerts included), and dispatches only if this instance is its sender;
 * - changes made here (API calls, and log entries after each notification) are pushed to the
 *   other members before the API call answers or the flush ends; pushed changes are merged;
 * - `syncRole` promotes (config and stored state reloaded, members' state merged, previous sender
 *   awaited when it is alive) or demotes a tenant when the ring named another sender;
 * - only the sender writes the state store (on change, periodically, on stop, on demotion), so a
 *   replica with an older copy never overwrites a newer one.
 *
 * The constructor keeps the shell's `(logger, registry)` order the modules library calls today;
 * config and options follow.
 */
export class AlertRouter extends Service {
  private readonly tenants = new Map<string, Promise<AlertRouterTenant>>();
  /** Tenants done starting (state loaded and merged): pushes merge into them, pulls answer from them. */
  private readonly ready = new Map<string, AlertRouterTenant>();
  /** Deltas pushed for a tenant still starting here; merged once it has started. */
  private readonly early = new Map<string, TenantStateDelta[]>();
  /** Promotions, demotions and releases of one tenant run one at a time. */
  private readonly locks = new Map<string, Promise<void>>();
  private readonly closing = new AbortController();
  /** Set once this instance is about to leave the ring: no tenant starts dispatching here any more. */
  private leaving = false;
  private readonly replication: TenantReplication | undefined;
  private readonly metrics: AlertRouterMetrics;
  private readonly clock: Clock;
  private readonly stateStore: AlertRouterStateStore;
  private readonly versionInfo: VersionInfo;
  /** Tenants whose state is being written, and those changed again meanwhile. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();

  constructor(
    private readonly logger: Logger,
    registry: Registry,
    private readonly config: AlertRouterConfig = defaultAlertRouterConfig(),
    private readonly options: AlertRouterOptions = {},
  ) {
    super('alert-router');
    this.metrics = new AlertRouterMetrics(registry);
    this.clock = options.clock ?? new SystemClock();
    this.stateStore = options.stateStore ?? new InMemoryAlertRouterStateStore();
    this.versionInfo = options.versionInfo ?? defaultVersionInfo();
    this.replication = options.replication;
  }

  protected override async starting(): Promise<void> {
    loadConfig(this.config.fallbackConfig);
    this.logger.info('component starting', { component: 'alert-router' });
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    let sincePersist = 0;
    const tick = Math.min(this.config.maintenanceIntervalMs, this.config.persistIntervalMs);
    while (!signal.aborted) {
      try {
        await this.clock.sleep(tick, signal);
      } catch {
        return;
      }
      await this.maintenance();
      this.updateRoleGauge();
      sincePersist += tick;
      if (sincePersist >= this.config.persistIntervalMs) {
        sincePersist = 0;
        await this.persistAll();
      }
    }
  }

  protected override async stopping(): Promise<void> {
    this.closing.abort();
    await Promise.all(this.locks.values());
    await Promise.all(this.writes.values());
    await this.persistAll();
    const all = await Promise.allSettled([...this.tenants.values()]);
    this.tenants.clear();
    this.ready.clear();
    await Promise.all(all.map((t) => (t.status === 'fulfilled' ? t.value.stop() : undefined)));
  }

  /** The tenant's Alertmanager, created (config and state loaded) on first use. */
  tenant(id: string): Promise<AlertRouterTenant> {
    let t = this.tenants.get(id);
    if (!t) {
      t = this.createTenant(id);
      this.tenants.set(id, t);
      t.catch((err: unknown) => {
        this.tenants.delete(id);
        this.early.delete(id);
        this.logger.error('starting tenant failed', { tenant: id, err: errorMessage(err) });
      });
    }
    return t;
  }

  private async loadedConfig(id: string): Promise<LoadedConfig> {
    const record = await this.stateStore.loadConfig(id);
    if (record) {
      try {
        return { config: loadConfig(record.alertmanagerConfig), templateFiles: record.templateFiles, fallback: false };
      } catch (err) {
        this.logger.error('stored tenant config is invalid, using the fallback config', { tenant: id, err: errorMessage(err) });
      }
    }
    return { config: loadConfig(this.config.fallbackConfig), templateFiles: {}, fallback: true };
  }

  private async createTenant(id: string): Promise<AlertRouterTenant> {
    const replication = this.replication;
    const t = new AlertRouterTenant(id, this.config.tenant, await this.loadedConfig(id), {
      clock: this.clock,
      metrics: this.metrics,
      logger: this.logger,
      integrationFactory: this.options.integrationFactory,
      onStateChange: this.config.persistOnChange ? () => this.scheduleWrite(id) : undefined,
      replicate: replication && ((delta) => replication.replicate(id, delta)),
    });
    await this.mergeStored(t);
    let previousSenderAlive = false;
    if (replication) {
      const states = await replication.pull(id);
      for (const s of states) t.merge(s);
      previousSenderAlive = states.some((s) => s.dispatching);
    }
    for (const d of this.early.get(id) ?? []) t.merge(d);
    this.early.delete(id);
    this.ready.set(id, t);
    if (!replication) t.start();
    else if (!this.leaving && replication.isSender(id)) {
      // Another member still sends: wait for it to stop (syncRole), so the two never overlap.
      if (previousSenderAlive) this.syncRoleSoon(id);
      else t.start();
    }
    this.updateRoleGauge();
    return t;
  }

  /** Merges the stored silences and notification log into the tenant. */
  private async mergeStored(t: AlertRouterTenant): Promise<void> {
    const [silences, nflog] = await Promise.all(STATE_KINDS.map((k) => this.stateStore.loadState(t.tenant, k)));
    if (silences) t.silences.restore(silences);
    if (nflog) t.nflog.restore(nflog);
  }

  /** Tenants whose Alertmanager runs here (created on first use, until released). */
  tenantIds(): string[] {
    return [...this.tenants.keys()].sort();
  }

  /**
   * Makes this instance the tenant's sender or a replica, as the replication set says now.
   * Promotion: the config and the stored state are reloaded, the other members' state merged
   * (waiting up to `handoverTimeoutMs` while one of them still dispatches), then dispatching
   * starts; groups already notified are deduplicated by the notification log, so nothing is sent
   * twice and nothing waits for the rulers' resends. Demotion: dispatching stops (a flush in
   * progress ends, its log entries pushed) and the state is written once more.
   */
  syncRole(id: string): Promise<void> {
    const replication = this.replication;
    if (!replication) return Promise.resolve();
    return this.withLock(id, async () => {
      const t = this.ready.get(id);
      if (!t) return;
      const sender = !this.leaving && replication.isSender(id);
      if (sender && !t.dispatching) await this.promote(t, replication);
      else if (!sender && t.dispatching) {
        await t.stop();
        await this.persist(id, true);
        this.logger.info('tenant sent by another alert-router now, stopped dispatching', { tenant: id });
      }
      this.updateRoleGauge();
    });
  }

  private async promote(t: AlertRouterTenant, replication: TenantReplication): Promise<void> {
    const id = t.tenant;
    await t.applyConfig(await this.loadedConfig(id));
    await this.mergeStored(t);
    const deadline = this.clock.now() + this.config.handoverTimeoutMs;
    for (;;) {
      const states = await replication.pull(id);
      for (const s of states) t.merge(s);
      if (!states.some((s) => s.dispatching)) break;
      if (this.clock.now() >= deadline) {
        this.logger.warn('previous sender still dispatching after the hand-over timeout, dispatching anyway', { tenant: id, timeoutMs: this.config.handoverTimeoutMs });
        break;
      }
      try {
        await this.clock.sleep(Math.min(HANDOVER_POLL_MS, this.config.handoverTimeoutMs), this.closing.signal);
      } catch {
        return;
      }
    }
    if (this.leaving || !replication.isSender(id) || this.ready.get(id) !== t) return;
    t.start();
    this.scheduleWrite(id);
    this.logger.info('tenant sent from this alert-router now, dispatching', { tenant: id });
  }

  /**
   * Stops a tenant's Alertmanager here: its dispatcher stops, its state is written when this
   * instance was sending it, and the whole state (alerts included) is pushed to `handTo`, the
   * members of its replication set that did not hold it yet, so nothing waits for the rulers'
   * resends.
   */
  releaseTenant(id: string, handTo: readonly string[] = []): Promise<void> {
    return this.withLock(id, async () => {
      const t = this.tenants.get(id);
      if (!t) return;
      const live = await t.catch(() => undefined);
      if (live) {
        const wasSending = live.dispatching || !this.replication;
        await live.stop();
        await live.flushReplication();
        await this.writes.get(id);
        if (wasSending) await this.persist(id, true);
        if (handTo.length > 0 && this.replication) await this.replication.pushTo(id, live.fullState(), handTo);
      }
      if (this.tenants.get(id) === t) {
        this.tenants.delete(id);
        this.ready.delete(id);
      }
      this.updateRoleGauge();
      this.logger.info('tenant released to its new replication set', { tenant: id, handedTo: handTo.join(',') });
    });
  }

  /**
   * Stops dispatching every tenant, writing the state of each, before this instance leaves the
   * ring (a graceful stop): its replicas promote once they see it leave, so the two never send at
   * the same time; notifications due in between wait at most one ring check period.
   */
  async stopDispatching(): Promise<void> {
    this.leaving = true;
    await Promise.all(
      [...this.ready.keys()].map((id) =>
        this.withLock(id, async () => {
          const t = this.ready.get(id);
          if (!t?.dispatching) return;
          await t.stop();
          await this.persist(id, true);
        }).catch(() => undefined),
      ),
    );
    this.updateRoleGauge();
  }

  /** Pushes the tenant's whole state to some members of its set; resolves to those that failed. */
  async pushState(id: string, to: readonly string[]): Promise<string[]> {
    const t = this.ready.get(id);
    if (!t || !this.replication) return [];
    return this.replication.pushTo(id, t.fullState(), to);
  }

  /** Merges state another member pushed; a tenant not started here starts and merges it once it has. */
  applyReplicated(id: string, delta: TenantStateDelta): void {
    const t = this.ready.get(id);
    if (t) t.merge(delta);
    else {
      this.early.set(id, [...(this.early.get(id) ?? []), delta]);
      this.tenant(id).catch(() => undefined);
    }
  }

  /**
   * Serves ALERT_ROUTER_STATE_PATH for one tenant: POST merges a pushed delta, GET answers the
   * whole state held here (404 when none). Either makes this instance check its role for the
   * tenant, so a sender that lost the tenant stops at once when the new sender first calls.
   */
  async handleInternalApi(tenant: string, req: AmApiRequest): Promise<AmApiResponse> {
    const method = req.method.toUpperCase();
    const text = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (method === 'GET') {
      const t = this.ready.get(tenant);
      if (!t) return { status: 404, headers: text, body: `tenant ${tenant} is not held by this alert-router\n` };
      this.syncRoleSoon(tenant);
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: encodeTenantState({ ...t.fullState(), dispatching: t.dispatching }) };
    }
    if (method === 'POST') {
      const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body : req.body.toString('utf8');
      let delta: TenantStateDelta;
      try {
        delta = decodeTenantState(body);
      } catch (err) {
        return { status: 400, headers: text, body: `${errorMessage(err)}\n` };
      }
      this.applyReplicated(tenant, delta);
      this.syncRoleSoon(tenant);
      return emptyResponse(204);
    }
    return { status: 405, headers: { ...text, Allow: 'GET,POST' }, body: `method ${method} is not allowed, but [GET,POST] are\n` };
  }

  private syncRoleSoon(id: string): void {
    if (this.ready.has(id)) this.syncRole(id).catch(() => undefined);
  }

  /** Runs `fn` after every earlier locked task of the tenant; a failure is logged and rethrown to the caller only. */
  private withLock(id: string, fn: () => Promise<void>): Promise<void> {
    const run = (this.locks.get(id) ?? Promise.resolve()).then(fn);
    const settled = run.catch((err: unknown) => this.logger.warn('changing the tenant role failed', { tenant: id, err: errorMessage(err) }));
    this.locks.set(id, settled);
    void settled.then(() => {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    });
    return run;
  }

  private updateRoleGauge(): void {
    let senders = 0;
    for (const t of this.ready.values()) if (t.dispatching) senders++;
    this.metrics.tenants.set({ role: 'sender' }, senders);
    this.metrics.tenants.set({ role: 'replica' }, this.ready.size - senders);
  }

  /** The tenant's own config, or undefined when it runs the fallback. */
  getConfig(tenant: string): Promise<TenantConfigRecord | undefined> {
    return this.stateStore.loadConfig(tenant);
  }

  /** Validates (ValidationError), stores and applies a tenant's config. */
  async setConfig(tenant: string, record: TenantConfigRecord): Promise<void> {
    const config = validateTenantConfig(record, this.options.limitsFor?.(tenant) ?? this.config.limits);
    await this.stateStore.saveConfig(tenant, record);
    const live = this.tenants.get(tenant);
    if (live) await (await live).applyConfig({ config, templateFiles: record.templateFiles, fallback: false });
  }

  /** Forgets a tenant's config: it runs the fallback from now on. */
  async deleteConfig(tenant: string): Promise<void> {
    await this.stateStore.deleteConfig(tenant);
    const live = this.tenants.get(tenant);
    if (live) await (await live).applyConfig(await this.loadedConfig(tenant));
  }

  /** Serves Alertmanager API v2 (mount under `/alertmanager`) for one tenant; answers once its changes reached the other replicas. */
  async handleApi(tenant: string, req: AmApiRequest): Promise<AmApiResponse> {
    const t = await this.tenant(tenant);
    const res = await dispatchAlertmanagerApi(req, { tenant: t, now: this.clock.now(), metrics: this.metrics, versionInfo: this.versionInfo });
    await t.flushReplication();
    return res;
  }

  /** Serves Mimir's `GET|POST|DELETE /api/v1/alerts` for one tenant. */
  handleConfigApi(tenant: string, req: AmApiRequest): Promise<AmApiResponse> {
    return handleTenantConfigApi(req, tenant, this);
  }

  /** Collects every live tenant's resolved alerts, expired silences and old log entries. */
  async maintenance(): Promise<void> {
    for (const t of this.ready.values()) t.maintenance();
  }

  /**
   * Writes one tenant's silences and notification log to the state store: when this instance
   * sends the tenant (a replica's copy may lag and must not overwrite the sender's), or `force`.
   */
  async persist(tenant: string, force = false): Promise<void> {
    const t = this.tenants.get(tenant);
    if (!t) return;
    const live = await t;
    if (!force && this.replication && !live.dispatching) return;
    await this.stateStore.saveState(tenant, 'silences', live.silences.snapshot());
    await this.stateStore.saveState(tenant, 'nflog', live.nflog.snapshot());
  }

  /** Writes a tenant's state soon; changes made during a write cause one more write after it. */
  private scheduleWrite(id: string): void {
    if (this.writes.has(id)) {
      this.dirty.add(id);
      return;
    }
    const run = async (): Promise<void> => {
      await Promise.resolve();
      do {
        this.dirty.delete(id);
        await this.persist(id);
      } while (this.dirty.has(id));
    };
    const p = run()
      .catch((err: unknown) => this.logger.error('persisting alert-router state failed', { tenant: id, err: errorMessage(err) }))
      .finally(() => this.writes.delete(id));
    this.writes.set(id, p);
  }

  /** Resolves when every pending state write has finished. */
  async flushWrites(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes.values());
  }

  private async persistAll(): Promise<void> {
    for (const id of this.tenants.keys()) {
      try {
        await this.persist(id);
      } catch (err) {
        this.logger.error('persisting alert-router state failed', { tenant: id, err: errorMessage(err) });
      }
    }
  }
}
