import type { Logger } from '@panoptes/log';
import type { ApiResponse } from '@panoptes/prom-api';
import type { RuleStore } from '../rule-store';
import type { RuleGroupStatus } from '../status';

/** Per-tenant limits of the rules API (Mimir's `ruler_max_rules_per_rule_group` / `ruler_max_rule_groups_per_tenant`). */
export interface RulerApiLimits {
  /** Most rules in one group; 0 is no limit. */
  maxRulesPerRuleGroup: number;
  /** Most rule groups of a tenant over all namespaces; 0 is no limit. */
  maxRuleGroupsPerTenant: number;
}

/** Mimir's defaults. */
export function defaultRulerApiLimits(): RulerApiLimits {
  return { maxRulesPerRuleGroup: 20, maxRuleGroupsPerTenant: 70 };
}

/** Everything a ruler API handler needs besides the request; built per request. */
export interface RulerApiContext {
  /** The tenant of the request (X-Scope-OrgID or the configured default). */
  tenant: string;
  store: RuleStore;
  /**
   * The state of the tenant's groups: the local RulerManager's in one process; in a sharded
   * deployment the lead gathers it from every ruler.
   */
  ruleGroups(tenant: string): Promise<readonly RuleGroupStatus[]> | readonly RuleGroupStatus[];
  /** Told after every successful write, so evaluation picks it up (RulerManager.requestSync). */
  rulesChanged?(tenant: string): void;
  /** Defaults to `defaultRulerApiLimits()`. */
  limits?: RulerApiLimits;
  logger?: Logger;
}

/** One request as the HTTP layer hands it over. */
export interface RulerApiRequest {
  method: string;
  /** The path from the root, still percent-encoded, without the query string. */
  path: string;
  /** The URL query parameters (Mimir reads these handlers' parameters from the URL only). */
  query: URLSearchParams;
  body?: string | Uint8Array;
}

export type RulerApiHandler = (req: RulerApiRequest, ctx: RulerApiContext, params: Readonly<Record<string, string>>) => Promise<ApiResponse>;
