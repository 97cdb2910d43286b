import { ValidationError } from '@panoptes/common';
import { parse, stringify } from 'yaml';
import { type AlertmanagerConfig, loadConfig } from '../config/config';
import { validateTemplateFiles } from '../template/templates';
import type { TenantConfigRecord } from '../state-store';
import { type AmApiRequest, type AmApiResponse, bodyText } from './http';

/** Limits on what a tenant may upload through the config API. */
export interface TenantConfigLimits {
  /** Largest alertmanager_config plus templates, bytes; 0 = unlimited. */
  maxConfigSizeBytes: number;
  /** Most template files; 0 = unlimited. */
  maxTemplatesCount: number;
}

export function defaultTenantConfigLimits(): TenantConfigLimits {
  return { maxConfigSizeBytes: 0, maxTemplatesCount: 0 };
}

function checkTemplateName(name: string): void {
  if (name === '' || name.includes('/') || name.includes('\\')) {
    throw new ValidationError('invalid_template_name', `invalid template name ${JSON.stringify(name)}: the template name cannot contain any path`);
  }
  if (name === '.' || name === '..') throw new ValidationError('invalid_template_name', `invalid template name ${JSON.stringify(name)}`);
}

/** Every `*_file` setting with a value, by path: tenants must not make the server read its files. */
function fileSettings(value: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(value)) value.forEach((v, i) => fileSettings(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (k.endsWith('_file') && typeof v === 'string' && v !== '') out.push(p);
      else fileSettings(v, p, out);
    }
  }
  return out;
}

/**
 * Validates a tenant's config as Mimir does before storing it: a non-empty Alertmanager config
 * that loads, template names without paths, no `*_file` settings, within the size limits.
 * Returns the loaded config. Throws ValidationError.
 */
export function validateTenantConfig(record: TenantConfigRecord, limits: TenantConfigLimits): AlertmanagerConfig {
  if (record.alertmanagerConfig.trim() === '') {
    throw new ValidationError('empty_config', "configuration provided is empty, if you'd like to remove your configuration please use the delete configuration endpoint");
  }
  const size = Buffer.byteLength(record.alertmanagerConfig) + Object.entries(record.templateFiles).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (limits.maxConfigSizeBytes > 0 && size > limits.maxConfigSizeBytes) {
    throw new ValidationError('config_too_big', `Alertmanager configuration is too big, limit: ${limits.maxConfigSizeBytes} bytes, got: ${size} bytes; shrink the config or raise the tenant's config size limit`);
  }
  const templates = Object.keys(record.templateFiles);
  if (limits.maxTemplatesCount > 0 && templates.length > limits.maxTemplatesCount) {
    throw new ValidationError('too_many_templates', `too many templates in the configuration: ${templates.length} (limit: ${limits.maxTemplatesCount})`);
  }
  const cfg = loadConfig(record.alertmanagerConfig);
  const files = fileSettings({ global: cfg.global, receivers: cfg.receivers }, '', []);
  if (files.length > 0) {
    throw new ValidationError('file_setting_not_allowed', `setting ${files.join(', ')} is not allowed: tenant configs cannot read files on the server; give the value inline instead`);
  }
  for (const t of cfg.templates) checkTemplateName(t);
  for (const t of templates) checkTemplateName(t);
  // A template that does not parse would fail every notification of the tenant: refuse it now.
  validateTemplateFiles(record.templateFiles);
  return cfg;
}

/** The operations the config API needs from the alert-router. */
export interface TenantConfigBackend {
  getConfig(tenant: string): Promise<TenantConfigRecord | undefined>;
  setConfig(tenant: string, record: TenantConfigRecord): Promise<void>;
  deleteConfig(tenant: string): Promise<void>;
}

const text = (status: number, body: string): AmApiResponse => ({ status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: body ? `${body}\n` : '' });

/**
 * Mimir's tenant config API, `GET|POST|DELETE /api/v1/alerts`: the YAML document
 * `{template_files: {name: text}, alertmanager_config: <YAML text>}`. GET answers 404 when the
 * tenant has no config of its own; POST validates, stores and answers 201; DELETE answers 200.
 */
export async function handleTenantConfigApi(req: AmApiRequest, tenant: string, backend: TenantConfigBackend): Promise<AmApiResponse> {
  switch (req.method.toUpperCase()) {
    case 'GET': {
      const record = await backend.getConfig(tenant);
      if (!record) return text(404, 'alertmanager storage object not found');
      const body = stringify({ template_files: record.templateFiles, alertmanager_config: record.alertmanagerConfig }, { lineWidth: 0 });
      return { status: 200, headers: { 'Content-Type': 'application/yaml' }, body };
    }
    case 'POST': {
      let doc: unknown;
      try {
        doc = parse(bodyText(req));
      } catch (err) {
        return text(400, `error marshalling YAML Alertmanager config: ${(err as Error).message}`);
      }
      const o = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
      const templateFiles = (o.template_files ?? {}) as Record<string, unknown>;
      if (typeof templateFiles !== 'object' || Array.isArray(templateFiles) || Object.values(templateFiles).some((v) => typeof v !== 'string')) {
        return text(400, 'error marshalling YAML Alertmanager config: template_files must map file names to template text');
      }
      if (o.alertmanager_config !== undefined && typeof o.alertmanager_config !== 'string') {
        return text(400, 'error marshalling YAML Alertmanager config: alertmanager_config must be a string holding the Alertmanager YAML');
      }
      const record: TenantConfigRecord = { alertmanagerConfig: (o.alertmanager_config as string | undefined) ?? '', templateFiles: templateFiles as Record<string, string> };
      try {
        await backend.setConfig(tenant, record);
      } catch (err) {
        if (err instanceof ValidationError) return text(400, `error validating Alertmanager config: ${err.message}`);
        throw err;
      }
      return text(201, '');
    }
    case 'DELETE':
      await backend.deleteConfig(tenant);
      return text(200, '');
    default:
      return { ...text(405, 'Method Not Allowed'), headers: { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, POST, DELETE' } };
  }
}
