import { type Clock, SystemClock, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import type { Registry } from 'prom-client';
import { type AmApiRequest, type AmApiResponse, type VersionInfo, defaultVersionInfo } from './api/http';
import { dispatchAlertmanagerApi } from './api/routes';
import { type TenantConfigLimits, defaultTenantConfigLimits, handleTenantConfigApi, validateTenantConfig } from './api/tenant-config-api';
import { loadConfig } from './config/config';
import { AlertRouterMetrics } from './metrics';
import type { IntegrationFactory } from './notify/integrations';
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
}

const STATE_KINDS: readonly StateKind[] = ['silences', 'nflog'];

/**
 * The alert-router: one Alertmanager per tenant (AlertRouterTenant), created on first use from
 * the tenant's stored config or the fallback, with its silences and notification log restored from
 * the state store and written back periodically and on stop.
 *
 * The constructor keeps the shell's `(logger, registry)` order the modules library calls today;
 * config and options follow.
 */
export class AlertRouter extends Service {
  private readonly tenants = new Map<string, Promise<AlertRouterTenant>>();
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
      sincePersist += tick;
      if (sincePersist >= this.config.persistIntervalMs) {
        sincePersist = 0;
        await this.persistAll();
      }
    }
  }

  protected override async stopping(): Promise<void> {
    await Promise.all(this.writes.values());
    await this.persistAll();
    const all = await Promise.allSettled([...this.tenants.values()]);
    this.tenants.clear();
    await Promise.all(all.map((t) => (t.status === 'fulfilled' ? t.value.stop() : undefined)));
  }

  /** The tenant's Alertmanager, created (config and state loaded) on first use. */
  tenant(id: string): Promise<AlertRouterTenant> {
    let t = this.tenants.get(id);
    if (!t) {
      t = this.createTenant(id);
      this.tenants.set(id, t);
      t.catch(() => this.tenants.delete(id));
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
    const t = new AlertRouterTenant(id, this.config.tenant, await this.loadedConfig(id), {
      clock: this.clock,
      metrics: this.metrics,
      logger: this.logger,
      integrationFactory: this.options.integrationFactory,
      onStateChange: this.config.persistOnChange ? () => this.scheduleWrite(id) : undefined,
    });
    const [silences, nflog] = await Promise.all(STATE_KINDS.map((k) => this.stateStore.loadState(id, k)));
    if (silences) t.silences.restore(silences);
    if (nflog) t.nflog.restore(nflog);
    t.start();
    return t;
  }

  /** Tenants whose Alertmanager runs here (created on first use, until released). */
  tenantIds(): string[] {
    return [...this.tenants.keys()].sort();
  }

  /**
   * Stops a tenant's Alertmanager here after writing its silences and notification log, so the
   * instance that owns the tenant now (alert-router ring) loads them and resends nothing. Alerts
   * are not handed over: the rulers resend firing alerts every resend delay.
   */
  async releaseTenant(id: string): Promise<void> {
    const t = this.tenants.get(id);
    if (!t) return;
    const live = await t.catch(() => undefined);
    await this.writes.get(id);
    if (live) await this.persist(id);
    if (this.tenants.get(id) === t) this.tenants.delete(id);
    await live?.stop();
    this.logger.info('tenant released to its new owner', { tenant: id });
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

  /** Serves Alertmanager API v2 (mount under `/alertmanager`) for one tenant. */
  async handleApi(tenant: string, req: AmApiRequest): Promise<AmApiResponse> {
    const t = await this.tenant(tenant);
    return dispatchAlertmanagerApi(req, { tenant: t, now: this.clock.now(), metrics: this.metrics, versionInfo: this.versionInfo });
  }

  /** Serves Mimir's `GET|POST|DELETE /api/v1/alerts` for one tenant. */
  handleConfigApi(tenant: string, req: AmApiRequest): Promise<AmApiResponse> {
    return handleTenantConfigApi(req, tenant, this);
  }

  /** Collects every live tenant's resolved alerts, expired silences and old log entries. */
  async maintenance(): Promise<void> {
    for (const t of this.tenants.values()) (await t).maintenance();
  }

  /** Writes one tenant's (or every live tenant's) silences and notification log to the state store. */
  async persist(tenant: string): Promise<void> {
    const t = this.tenants.get(tenant);
    if (!t) return;
    const live = await t;
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
