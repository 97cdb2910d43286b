import { NotFoundError, errorMessage, validateTenantId } from '@panoptes/common';
import { type Bucket, isObjectNotFound, listAll } from '@panoptes/bucket';
import type { Logger } from '@panoptes/log';
import { type RuleGroupSpec, parseRuleGroup } from './rulefmt';
import { ruleGroupYaml } from './rulefmt-yaml';

/**
 * Rule groups in object storage with Mimir's key layout:
 *   rules/<tenant>/<base64url(namespace)>/<base64url(group name)>
 * (Go's `base64.URLEncoding`, with padding), one object per group. Unlike Mimir, which stores a
 * protobuf `RuleGroupDesc`, the object is the group's rule-file YAML, so it can be read and
 * edited by hand. Every group read back is validated again; an invalid one is skipped and logged.
 */
export const RULES_PREFIX = 'rules';

/** Mimir's texts for missing groups and namespaces (rulestore.ErrGroupNotFound…). */
export const GROUP_NOT_FOUND = 'group does not exist';
export const NAMESPACE_NOT_FOUND = 'group namespace does not exist';

export interface RuleGroupKey {
  namespace: string;
  name: string;
}

const encode = (s: string): string => Buffer.from(s, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
const decode = (s: string): string => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');

const LOAD_CONCURRENCY = 16;

export class RuleStore {
  constructor(
    private readonly bucket: Bucket,
    private readonly logger: Logger,
  ) {}

  static groupKey(tenant: string, namespace: string, group: string): string {
    return `${RULES_PREFIX}/${validateTenantId(tenant)}/${encode(namespace)}/${encode(group)}`;
  }

  private tenantPrefix(tenant: string): string {
    return `${RULES_PREFIX}/${validateTenantId(tenant)}/`;
  }

  /** Tenants that have at least one rule group. */
  async listTenants(): Promise<string[]> {
    const dirs = await listAll(this.bucket, `${RULES_PREFIX}/`);
    return dirs.filter((k) => k.endsWith('/')).map((k) => k.slice(RULES_PREFIX.length + 1, -1));
  }

  /** The groups of a tenant (of one namespace when given), sorted by namespace then name. */
  async listRuleGroups(tenant: string, namespace?: string): Promise<RuleGroupKey[]> {
    const prefix = this.tenantPrefix(tenant) + (namespace !== undefined ? `${encode(namespace)}/` : '');
    const keys = await listAll(this.bucket, prefix, { recursive: true });
    const out: RuleGroupKey[] = [];
    for (const key of keys) {
      const parts = key.slice(this.tenantPrefix(tenant).length).split('/');
      if (parts.length !== 2) continue;
      out.push({ namespace: decode(parts[0]), name: decode(parts[1]) });
    }
    return out.sort((a, b) => (a.namespace === b.namespace ? cmp(a.name, b.name) : cmp(a.namespace, b.namespace)));
  }

  /** One group; throws NotFoundError (`group does not exist`) when there is none. */
  async getRuleGroup(tenant: string, namespace: string, name: string): Promise<RuleGroupSpec> {
    let body: Buffer;
    try {
      body = await this.bucket.get(RuleStore.groupKey(tenant, namespace, name));
    } catch (err) {
      if (isObjectNotFound(err)) throw new NotFoundError('rule_group_not_found', GROUP_NOT_FOUND, { tenant });
      throw err;
    }
    return parseRuleGroup(body.toString('utf8'));
  }

  /**
   * Every group of a tenant (of one namespace when given) by namespace, groups in name order.
   * Groups that vanished between listing and reading, or no longer validate, are left out.
   */
  async loadRuleGroups(tenant: string, namespace?: string): Promise<Map<string, RuleGroupSpec[]>> {
    const keys = await this.listRuleGroups(tenant, namespace);
    const loaded: (RuleGroupSpec | undefined)[] = new Array(keys.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const i = next++;
        const { namespace: ns, name } = keys[i];
        try {
          loaded[i] = await this.getRuleGroup(tenant, ns, name);
        } catch (err) {
          if (err instanceof NotFoundError) continue;
          this.logger.warn('skipping rule group that cannot be loaded', { tenant, namespace: ns, group: name, err: errorMessage(err) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, keys.length) }, worker));
    const out = new Map<string, RuleGroupSpec[]>();
    keys.forEach((k, i) => {
      const g = loaded[i];
      if (!g) return;
      if (!out.has(k.namespace)) out.set(k.namespace, []);
      out.get(k.namespace)!.push(g);
    });
    return out;
  }

  /** Creates or replaces a group (its name is `group.name`). */
  async setRuleGroup(tenant: string, namespace: string, group: RuleGroupSpec): Promise<void> {
    await this.bucket.put(RuleStore.groupKey(tenant, namespace, group.name), Buffer.from(ruleGroupYaml(group), 'utf8'));
  }

  /** Deletes a group; throws NotFoundError (`group does not exist`) when there is none. */
  async deleteRuleGroup(tenant: string, namespace: string, name: string): Promise<void> {
    const key = RuleStore.groupKey(tenant, namespace, name);
    if (!(await this.bucket.exists(key))) throw new NotFoundError('rule_group_not_found', GROUP_NOT_FOUND, { tenant });
    await this.bucket.delete(key);
  }

  /** Deletes every group of a namespace; NotFoundError (`group namespace does not exist`) when it has none. */
  async deleteNamespace(tenant: string, namespace: string): Promise<void> {
    const groups = await this.listRuleGroups(tenant, namespace);
    if (groups.length === 0) throw new NotFoundError('rule_namespace_not_found', NAMESPACE_NOT_FOUND, { tenant });
    for (const g of groups) await this.bucket.delete(RuleStore.groupKey(tenant, g.namespace, g.name));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
