import { errorMessage, httpStatusOf, isPanoptesError } from '@panoptes/common';
import { type ApiResponse, textResponse } from '@panoptes/prom-api';
import { parseRuleGroup } from '../rulefmt';
import { namespacesYaml, ruleGroupYaml } from '../rulefmt-yaml';
import { type RulerApiContext, type RulerApiHandler, defaultRulerApiLimits } from './context';

/**
 * Mimir's rules configuration API (`/prometheus/config/v1/rules`), what `mimirtool rules` and
 * Grafana's rule editor call. Reads answer YAML; writes answer 202 with Mimir's JSON envelope;
 * errors are plain text, as Go's `http.Error` writes them.
 */

const ACCEPTED_BODY = '{"status":"success","data":null,"errorType":"","error":""}';

function yamlResponse(body: string): ApiResponse {
  return { status: 200, headers: { 'Content-Type': 'application/yaml' }, body };
}

function accepted(): ApiResponse {
  return { status: 202, headers: { 'Content-Type': 'application/json' }, body: ACCEPTED_BODY };
}

async function guarded(ctx: RulerApiContext, op: string, fn: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await fn();
  } catch (err) {
    // Typed errors (invalid rules 400, missing group 404, bad tenant 400) carry their status.
    if (isPanoptesError(err) && err.kind !== 'internal' && err.kind !== 'unavailable') return textResponse(httpStatusOf(err), err.message);
    ctx.logger?.error('ruler config api request failed', { tenant: ctx.tenant, op, err });
    return textResponse(500, errorMessage(err));
  }
}

/** GET /config/v1/rules and /config/v1/rules/{namespace}: `{namespace: [groups]}`, `{}` when empty. */
export const listRules: RulerApiHandler = (_req, ctx, params) =>
  guarded(ctx, 'list', async () => {
    const groups = await ctx.store.loadRuleGroups(ctx.tenant, params.namespace);
    return yamlResponse(namespacesYaml(groups));
  });

/** GET /config/v1/rules/{namespace}/{group}: the group, 404 `group does not exist`. */
export const getRuleGroup: RulerApiHandler = (_req, ctx, params) =>
  guarded(ctx, 'get', async () => yamlResponse(ruleGroupYaml(await ctx.store.getRuleGroup(ctx.tenant, params.namespace, params.group))));

/** POST /config/v1/rules/{namespace}: creates or replaces the group in the body; invalid → 400, nothing stored. */
export const createRuleGroup: RulerApiHandler = (req, ctx, params) =>
  guarded(ctx, 'create', async () => {
    const body = typeof req.body === 'string' ? req.body : req.body ? Buffer.from(req.body).toString('utf8') : '';
    const group = parseRuleGroup(body);
    const limits = ctx.limits ?? defaultRulerApiLimits();
    if (limits.maxRulesPerRuleGroup > 0 && group.rules.length > limits.maxRulesPerRuleGroup) {
      return textResponse(400, `per-user rules per rule group limit (limit: ${limits.maxRulesPerRuleGroup} actual: ${group.rules.length}) exceeded`);
    }
    if (limits.maxRuleGroupsPerTenant > 0) {
      const existing = await ctx.store.listRuleGroups(ctx.tenant);
      const others = existing.filter((g) => !(g.namespace === params.namespace && g.name === group.name)).length;
      if (others + 1 > limits.maxRuleGroupsPerTenant) {
        return textResponse(400, `per-user rule groups limit (limit: ${limits.maxRuleGroupsPerTenant} actual: ${others + 1}) exceeded`);
      }
    }
    await ctx.store.setRuleGroup(ctx.tenant, params.namespace, group);
    ctx.rulesChanged?.(ctx.tenant);
    return accepted();
  });

/** DELETE /config/v1/rules/{namespace}: 404 `group namespace does not exist` when it has no group. */
export const deleteNamespace: RulerApiHandler = (_req, ctx, params) =>
  guarded(ctx, 'delete namespace', async () => {
    await ctx.store.deleteNamespace(ctx.tenant, params.namespace);
    ctx.rulesChanged?.(ctx.tenant);
    return accepted();
  });

/** DELETE /config/v1/rules/{namespace}/{group}: 404 `group does not exist`. */
export const deleteRuleGroup: RulerApiHandler = (_req, ctx, params) =>
  guarded(ctx, 'delete group', async () => {
    await ctx.store.deleteRuleGroup(ctx.tenant, params.namespace, params.group);
    ctx.rulesChanged?.(ctx.tenant);
    return accepted();
  });
