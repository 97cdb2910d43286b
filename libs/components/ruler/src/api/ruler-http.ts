import { UnavailableError, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import type { ApiResponse } from '@panoptes/prom-api';
import type { RuleStore } from '../rule-store';
import type { RuleGroupStatus } from '../status';
import type { RulerApiContext, RulerApiLimits, RulerApiRequest } from './context';
import { dispatchRulerApi } from './routes';

/**
 * Internal: this ruler's own groups of the request's tenant, as JSON. The rule and alert state
 * endpoints of any ruler gather it from every ruler in the ring (Mimir does the same over gRPC).
 */
export const RULER_RULE_GROUPS_PATH = '/ruler/internal/rule-groups';

/** Group states as JSON; a non-finite alert value (NaN, ±Inf) travels as a string. */
export function encodeRuleGroupStatuses(groups: readonly RuleGroupStatus[]): string {
  return JSON.stringify(groups, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

export function decodeRuleGroupStatuses(text: string): RuleGroupStatus[] {
  const out = JSON.parse(text, (k, v: unknown) => (k === 'value' && typeof v === 'string' ? Number(v) : v === null ? undefined : v)) as unknown;
  if (!Array.isArray(out)) throw new Error('rule group states are not a JSON array');
  return out as RuleGroupStatus[];
}

export interface RulerHttpApiDeps {
  store: RuleStore;
  /** The RulerManager of this process. */
  local: { ruleGroups(tenant: string): RuleGroupStatus[]; requestSync(): void };
  /** HTTP addresses (host:port) of the other rulers, whose groups the state endpoints include. */
  peers: () => string[];
  /** The tenant's rules API limits (runtime overrides). */
  limits: (tenant: string) => RulerApiLimits;
  /** Timeout of one call to another ruler, ms. */
  peerTimeoutMs: number;
  fetchFn?: typeof fetch;
}

/**
 * The ruler's HTTP API without the framework: Mimir's configuration and state endpoints
 * (`dispatchRulerApi`) plus the internal endpoint other rulers call. A write asks the local
 * manager to re-sync at once; rulers elsewhere pick it up on their poll interval.
 */
export class RulerHttpApi {
  constructor(
    private readonly deps: RulerHttpApiDeps,
    private readonly logger: Logger,
  ) {}

  /** The answer, or undefined when the path is not the ruler's. */
  async handle(tenant: string, req: RulerApiRequest): Promise<ApiResponse | undefined> {
    if (req.path === RULER_RULE_GROUPS_PATH) {
      if (req.method.toUpperCase() !== 'GET') return { status: 405, headers: { Allow: 'GET', 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Method Not Allowed\n' };
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: encodeRuleGroupStatuses(this.deps.local.ruleGroups(tenant)) };
    }
    const ctx: RulerApiContext = {
      tenant,
      store: this.deps.store,
      ruleGroups: (t) => this.ruleGroups(t),
      rulesChanged: () => this.deps.local.requestSync(),
      limits: this.deps.limits(tenant),
      logger: this.logger,
    };
    return dispatchRulerApi(req, ctx);
  }

  /** Every ruler's groups of the tenant; fails when a ruler cannot be asked (a partial answer would hide alerts). */
  async ruleGroups(tenant: string): Promise<RuleGroupStatus[]> {
    const remote = await Promise.all(this.deps.peers().map((addr) => this.remoteRuleGroups(addr, tenant)));
    return [...this.deps.local.ruleGroups(tenant), ...remote.flat()];
  }

  private async remoteRuleGroups(addr: string, tenant: string): Promise<RuleGroupStatus[]> {
    const url = `http://${addr}${RULER_RULE_GROUPS_PATH}`;
    try {
      const res = await (this.deps.fetchFn ?? fetch)(url, { headers: { 'X-Scope-OrgID': tenant }, signal: AbortSignal.timeout(this.deps.peerTimeoutMs) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`answered ${res.status}: ${text.trim()}`);
      return decodeRuleGroupStatuses(text);
    } catch (err) {
      throw new UnavailableError('ruler_unreachable', `asking ruler ${addr} for its rule groups failed: ${errorMessage(err)}`, { tenant, cause: err });
    }
  }
}
