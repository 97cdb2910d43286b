/** A tenant's own Alertmanager config, as the Mimir config API stores it. */
export interface TenantConfigRecord {
  /** The Alertmanager configuration file, YAML. */
  alertmanagerConfig: string;
  /** Template files by name (no directories), Go-template text. */
  templateFiles: Record<string, string>;
}

/** Which persisted state of a tenant. */
export type StateKind = 'silences' | 'nflog';

/**
 * Where the alert-router keeps what must survive a restart: tenant configs, silences and the
 * notification log (as opaque snapshots). The lead backs it with object storage
 * (`<tenant>/alertmanager/…`); the in-memory one serves tests and single-process runs.
 */
export interface AlertRouterStateStore {
  loadConfig(tenant: string): Promise<TenantConfigRecord | undefined>;
  saveConfig(tenant: string, record: TenantConfigRecord): Promise<void>;
  deleteConfig(tenant: string): Promise<void>;
  loadState(tenant: string, kind: StateKind): Promise<Buffer | undefined>;
  saveState(tenant: string, kind: StateKind, bytes: Buffer): Promise<void>;
}

export class InMemoryAlertRouterStateStore implements AlertRouterStateStore {
  private readonly configs = new Map<string, TenantConfigRecord>();
  private readonly states = new Map<string, Buffer>();

  async loadConfig(tenant: string): Promise<TenantConfigRecord | undefined> {
    const r = this.configs.get(tenant);
    return r && { alertmanagerConfig: r.alertmanagerConfig, templateFiles: { ...r.templateFiles } };
  }

  async saveConfig(tenant: string, record: TenantConfigRecord): Promise<void> {
    this.configs.set(tenant, { alertmanagerConfig: record.alertmanagerConfig, templateFiles: { ...record.templateFiles } });
  }

  async deleteConfig(tenant: string): Promise<void> {
    this.configs.delete(tenant);
  }

  async loadState(tenant: string, kind: StateKind): Promise<Buffer | undefined> {
    return this.states.get(`${tenant}/${kind}`);
  }

  async saveState(tenant: string, kind: StateKind, bytes: Buffer): Promise<void> {
    this.states.set(`${tenant}/${kind}`, Buffer.from(bytes));
  }
}
