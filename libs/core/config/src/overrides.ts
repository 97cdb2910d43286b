import { readFile } from 'node:fs/promises';
import { SystemClock } from '@panoptes/common';
import { parseDocument } from 'yaml';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import { ConfigError } from './loader';
import { ConfigOf, defaults, Fields, flatten, SectionSpec } from './spec';
import { parseDuration } from './duration';

/**
 * Per-tenant limits. The defaults come from the `limits` section of the main config; the runtime
 * config file (`-runtime-config.file`) overrides them per tenant and is reloaded every
 * `-runtime-config.reload-period` without a restart:
 *
 *   overrides:
 *     tenant-a:
 *       ingestion_rate: 50000
 *
 * A file that fails to parse or validate is rejected whole: the previous overrides stay in force,
 * the error is logged and counted.
 */
export class TenantLimits<S extends SectionSpec<Fields>> {
  private overrides = new Map<string, ConfigOf<S>>();

  constructor(
    readonly spec: S,
    readonly defaults: ConfigOf<S>,
  ) {}

  /** The limits in force for a tenant. */
  forTenant(tenant: string): ConfigOf<S> {
    return this.overrides.get(tenant) ?? this.defaults;
  }

  tenantsWithOverrides(): string[] {
    return [...this.overrides.keys()].sort();
  }

  /** Parses and validates a runtime config text; replaces the overrides only when it is valid. */
  applyRuntimeConfig(text: string): void {
    this.overrides = parseOverrides(this.spec, this.defaults, text);
  }
}

export function parseOverrides<S extends SectionSpec<Fields>>(spec: S, base: ConfigOf<S>, text: string): Map<string, ConfigOf<S>> {
  const problems: string[] = [];
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(doc.errors.map((e) => `runtime config: ${e.message.split('\n')[0]}`));
  const root = (doc.toJSON() ?? {}) as Record<string, unknown>;
  const result = new Map<string, ConfigOf<S>>();
  for (const key of Object.keys(root)) {
    if (key !== 'overrides') problems.push(`runtime config: unknown field "${key}" (known: overrides)`);
  }
  const overrides = (root.overrides ?? {}) as Record<string, unknown>;
  if (typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new ConfigError(['runtime config: overrides must map tenant IDs to limits']);
  }
  const fields = flatten(spec);
  const byKey = new Map(fields.map((f) => [f.yamlPath.join('.'), f]));
  for (const [tenant, limits] of Object.entries(overrides)) {
    const merged = structuredClone(base) as Record<string, unknown>;
    if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) {
      problems.push(`runtime config: overrides.${tenant} must be a mapping of limits`);
      continue;
    }
    for (const [key, raw] of Object.entries(limits as Record<string, unknown>)) {
      const f = byKey.get(key);
      const where = `overrides.${tenant}.${key}`;
      if (!f || !f.spec.perTenant) {
        problems.push(`runtime config: ${where}: unknown per-tenant limit "${key}"`);
        continue;
      }
      let value: unknown = raw;
      if (f.spec.type === 'duration') value = typeof raw === 'string' ? parseDuration(raw) : raw === 0 ? 0 : undefined;
      const okType =
        f.spec.type === 'bool'
          ? typeof value === 'boolean'
          : f.spec.type === 'list'
            ? Array.isArray(value)
            : f.spec.type === 'string' || f.spec.type === 'enum'
              ? typeof value === 'string' && (!f.spec.values || f.spec.values.includes(value))
              : typeof value === 'number' && Number.isFinite(value) && (f.spec.type !== 'int' || Number.isInteger(value));
      if (!okType) {
        problems.push(`runtime config: ${where}: wrong type, got ${JSON.stringify(raw)}`);
        continue;
      }
      if (typeof value === 'number' && f.spec.min !== undefined && value < f.spec.min) {
        problems.push(`runtime config: ${where}: must be >= ${f.spec.min}, got ${value}`);
        continue;
      }
      const msg = f.spec.validate?.(value);
      if (msg) {
        problems.push(`runtime config: ${where}: ${msg}`);
        continue;
      }
      let cur = merged;
      for (const p of f.path.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
      cur[f.path[f.path.length - 1]] = value;
    }
    result.set(tenant, merged as ConfigOf<S>);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

export interface RuntimeConfigOptions {
  file: string;
  reloadPeriodMs: number;
}

/** Reloads the runtime config file periodically into a TenantLimits. */
export class RuntimeConfigService<S extends SectionSpec<Fields>> extends Service {
  private lastText: string | undefined;
  private readonly reloads: Counter;
  private readonly lastSuccess: Gauge;

  constructor(
    private readonly options: RuntimeConfigOptions,
    private readonly limits: TenantLimits<S>,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super('runtime-config');
    this.reloads = new Counter({
      name: 'panoptes_runtime_config_reloads_total',
      help: 'Runtime config reloads, by result.',
      labelNames: ['result'],
      registers: [registry],
    });
    this.lastSuccess = new Gauge({
      name: 'panoptes_runtime_config_last_reload_successful',
      help: 'Whether the last runtime config reload succeeded (1) or failed (0).',
      registers: [registry],
    });
  }

  /** Loads the file now; the first load must succeed for the process to start. */
  async reload(): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (err) {
      return this.failed(`cannot read ${this.options.file}: ${(err as Error).message}`);
    }
    if (text === this.lastText) return true;
    try {
      this.limits.applyRuntimeConfig(text);
    } catch (err) {
      return this.failed((err as Error).message);
    }
    this.lastText = text;
    this.reloads.inc({ result: 'success' });
    this.lastSuccess.set(1);
    this.logger.info('runtime config loaded', { file: this.options.file, tenants: this.limits.tenantsWithOverrides().length });
    return true;
  }

  private failed(message: string): boolean {
    this.reloads.inc({ result: 'failure' });
    this.lastSuccess.set(0);
    this.logger.error('runtime config reload failed; keeping the previous overrides', { file: this.options.file, err: message });
    return false;
  }

  protected override async starting(): Promise<void> {
    if (!(await this.reload())) throw new Error(`runtime config ${this.options.file} is invalid; see the log above`);
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    const clock = new SystemClock();
    for (;;) {
      try {
        await clock.sleep(this.options.reloadPeriodMs, signal); // removes its abort listener when it wakes
      } catch {
        return; // stop requested
      }
      await this.reload();
    }
  }
}

/** Default limits from a spec (for tests and tools). */
export function defaultLimits<S extends SectionSpec<Fields>>(spec: S): TenantLimits<S> {
  return new TenantLimits(spec, defaults(spec));
}

