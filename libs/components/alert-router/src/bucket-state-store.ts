import { type Bucket, isObjectNotFound } from '@panoptes/bucket';
import { ValidationError, validateTenantId } from '@panoptes/common';
import { parse, stringify } from 'yaml';
import type { AlertRouterStateStore, StateKind, TenantConfigRecord } from './state-store';

/**
 * The alert-router's state in object storage, one directory per tenant:
 *   <tenant>/config.yaml   the tenant's own config, the YAML document of Mimir's config API
 *                          (`template_files`, `alertmanager_config`), readable and editable by hand
 *   <tenant>/silences      Silences.snapshot()
 *   <tenant>/nflog         NotificationLog.snapshot()
 * The modules library gives it a view of the shared bucket under `__alertmanager__/`, a name no
 * tenant can have, so the compactor never mistakes it for a tenant's blocks. (Mimir keeps configs
 * under `alerts/<tenant>` and state under `alertmanager/<tenant>/fullstate`, as protobuf, in a
 * bucket of its own.) Each object is written whole, so a reader sees the old or the new state.
 */
export class BucketAlertRouterStateStore implements AlertRouterStateStore {
  constructor(private readonly bucket: Bucket) {}

  private key(tenant: string, name: string): string {
    return `${validateTenantId(tenant)}/${name}`;
  }

  private async read(key: string): Promise<Buffer | undefined> {
    try {
      return await this.bucket.get(key);
    } catch (err) {
      if (isObjectNotFound(err)) return undefined;
      throw err;
    }
  }

  async loadConfig(tenant: string): Promise<TenantConfigRecord | undefined> {
    const key = this.key(tenant, 'config.yaml');
    const body = await this.read(key);
    if (!body) return undefined;
    const doc = parse(body.toString('utf8')) as { template_files?: Record<string, string> | null; alertmanager_config?: string } | null;
    if (!doc || typeof doc.alertmanager_config !== 'string') {
      throw new ValidationError('invalid_stored_config', `stored alert-router config ${key} has no alertmanager_config; upload the config again through /api/v1/alerts`, { tenant });
    }
    return { alertmanagerConfig: doc.alertmanager_config, templateFiles: { ...(doc.template_files ?? {}) } };
  }

  async saveConfig(tenant: string, record: TenantConfigRecord): Promise<void> {
    const doc = stringify({ template_files: record.templateFiles, alertmanager_config: record.alertmanagerConfig }, { lineWidth: 0 });
    await this.bucket.put(this.key(tenant, 'config.yaml'), Buffer.from(doc, 'utf8'));
  }

  async deleteConfig(tenant: string): Promise<void> {
    await this.bucket.delete(this.key(tenant, 'config.yaml'));
  }

  loadState(tenant: string, kind: StateKind): Promise<Buffer | undefined> {
    return this.read(this.key(tenant, kind));
  }

  async saveState(tenant: string, kind: StateKind, bytes: Buffer): Promise<void> {
    await this.bucket.put(this.key(tenant, kind), bytes);
  }
}
