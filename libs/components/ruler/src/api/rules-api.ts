import { createHash } from 'node:crypto';
import type { Labels } from '@panoptes/block-formats';
import { errorMessage } from '@panoptes/common';
import { type ApiResponse, formatJsonNumber, quoteHtml } from '@panoptes/prom-api';
import { formatRfc3339 } from '../contracts';
import type { AlertStatus, RuleGroupStatus, RuleStatus } from '../status';
import { formatFloat } from '@panoptes/gotemplate';
import type { RulerApiContext, RulerApiHandler } from './context';

/**
 * Prometheus's rule and alert state endpoints in Mimir's JSON shape (`/prometheus/api/v1/rules`,
 * `/prometheus/api/v1/alerts`): Go's field order, `time.Time` as RFC 3339 (`0001-01-01T00:00:00Z`
 * before the first evaluation), alert values as `strconv.FormatFloat(v, 'e', -1, 64)`, and
 * Mimir's envelope with `errorType` and `error` always present.
 */

const ZERO_TIME = '0001-01-01T00:00:00Z';
const time = (ms: number | undefined): string => (ms === undefined ? ZERO_TIME : formatRfc3339(ms));
const seconds = (ms: number): string => formatJsonNumber(ms / 1000);

function labelsObject(labels: Labels): string {
  const sorted = [...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${sorted.map(([n, v]) => `${quoteHtml(n)}:${quoteHtml(v)}`).join(',')}}`;
}

function envelope(status: number, dataJson: string, errorType = '', error = ''): ApiResponse {
  const body = `{"status":"${status < 400 ? 'success' : 'error'}","data":${dataJson},"errorType":"${errorType}","error":${quoteHtml(error)}}`;
  return { status, headers: { 'Content-Type': 'application/json' }, body };
}

const badData = (message: string): ApiResponse => envelope(400, 'null', 'bad_data', message);

function alertJson(a: AlertStatus): string {
  const keepFiring = a.keepFiringSinceMs !== undefined ? `,"keepFiringSince":"${time(a.keepFiringSinceMs)}"` : '';
  return `{"labels":${labelsObject(a.labels)},"annotations":${labelsObject(a.annotations)},"state":"${a.state}","activeAt":"${time(a.activeAtMs)}"${keepFiring},"value":"${formatFloat(a.value, 'e', -1)}"}`;
}

function ruleJson(r: RuleStatus, excludeAlerts: boolean): string {
  const common = `"health":"${r.health}","lastError":${quoteHtml(r.lastError)}`;
  const timing = `"lastEvaluation":"${time(r.lastEvaluationMs)}","evaluationTime":${seconds(r.evaluationDurationMs)}`;
  if (r.type === 'recording') {
    return `{"name":${quoteHtml(r.name)},"query":${quoteHtml(r.query)},"labels":${labelsObject(r.labels)},${common},"type":"recording",${timing}}`;
  }
  const alerts = excludeAlerts ? 'null' : `[${r.alerts.map(alertJson).join(',')}]`;
  return (
    `{"state":"${r.state}","name":${quoteHtml(r.name)},"query":${quoteHtml(r.query)},"duration":${seconds(r.forMs)},` +
    `"keepFiringFor":${seconds(r.keepFiringForMs)},"labels":${labelsObject(r.labels)},"annotations":${labelsObject(r.annotations)},` +
    `"alerts":${alerts},${common},"type":"alerting",${timing}}`
  );
}

function groupJson(g: RuleGroupStatus, rules: RuleStatus[], excludeAlerts: boolean): string {
  return (
    `{"name":${quoteHtml(g.name)},"file":${quoteHtml(g.namespace)},"rules":[${rules.map((r) => ruleJson(r, excludeAlerts)).join(',')}],` +
    `"interval":${seconds(g.intervalMs)},"lastEvaluation":"${time(g.lastEvaluationMs)}","evaluationTime":${seconds(g.evaluationDurationMs)},"sourceTenants":null}`
  );
}

/** Values of a parameter under both spellings Grafana sends (`file` and `file[]`). */
function multi(q: URLSearchParams, name: string): Set<string> {
  return new Set([...q.getAll(name), ...q.getAll(`${name}[]`)]);
}

/** Prometheus's pagination token of a group. */
function nextToken(g: RuleGroupStatus): string {
  return createHash('sha1').update(`${g.namespace};${g.name}`).digest('hex');
}

async function sortedGroups(ctx: RulerApiContext): Promise<RuleGroupStatus[]> {
  const groups = [...(await ctx.ruleGroups(ctx.tenant))];
  return groups.sort((a, b) => (a.namespace === b.namespace ? cmp(a.name, b.name) : cmp(a.namespace, b.namespace)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** GET /api/v1/rules with `type`, `rule_name[]`, `rule_group[]`, `file[]`, `exclude_alerts` and pagination. */
export const prometheusRules: RulerApiHandler = async (req, ctx) => {
  const q = req.query;
  const type = (q.get('type') ?? '').toLowerCase();
  if (type !== '' && type !== 'alert' && type !== 'record') return badData(`not supported value ${JSON.stringify(type)}`);
  const excludeAlerts = q.get('exclude_alerts') === 'true';
  const names = multi(q, 'rule_name');
  const groupsFilter = multi(q, 'rule_group');
  const files = multi(q, 'file');
  // Prometheus's group_limit / group_next_token, or Mimir's max_groups / next_token.
  const promLimit = q.get('group_limit');
  const limitText = promLimit ?? q.get('max_groups');
  const tokenIn = q.get(promLimit !== null ? 'group_next_token' : 'next_token') ?? q.get('group_next_token') ?? q.get('next_token') ?? '';
  let limit = 0;
  if (limitText !== null && limitText !== '') {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < (promLimit !== null ? 1 : 0)) {
      return badData(promLimit !== null ? 'group_limit needs to be greater than 0' : 'invalid max groups value');
    }
  }
  let groups: RuleGroupStatus[];
  try {
    groups = await sortedGroups(ctx);
  } catch (err) {
    ctx.logger?.error('listing rule groups failed', { tenant: ctx.tenant, err });
    return envelope(500, 'null', 'server_error', errorMessage(err));
  }
  const out: string[] = [];
  let newToken = '';
  let foundToken = tokenIn === '';
  for (const g of groups) {
    if (groupsFilter.size > 0 && !groupsFilter.has(g.name)) continue;
    if (files.size > 0 && !files.has(g.namespace)) continue;
    if (!foundToken) {
      if (nextToken(g) !== tokenIn) continue;
      foundToken = true;
    }
    const rules = g.rules.filter((r) => (names.size === 0 || names.has(r.name)) && (type === '' || (type === 'alert') === (r.type === 'alerting')));
    // A group left without rules by the filters is not shown (Prometheus).
    if (rules.length === 0) continue;
    if (limit > 0 && out.length === limit) {
      newToken = nextToken(g);
      break;
    }
    out.push(groupJson(g, rules, excludeAlerts));
  }
  if (!foundToken) return badData(promLimit !== null ? 'invalid group_next_token' : 'invalid next token');
  const tokenField = newToken === '' ? '' : `,"${promLimit !== null ? 'groupNextToken' : 'nextToken'}":"${newToken}"`;
  return envelope(200, `{"groups":[${out.join(',')}]${tokenField}}`);
};

/** GET /api/v1/alerts: every pending and firing alert of the tenant. */
export const prometheusAlerts: RulerApiHandler = async (_req, ctx) => {
  let groups: RuleGroupStatus[];
  try {
    groups = await sortedGroups(ctx);
  } catch (err) {
    ctx.logger?.error('listing rule groups failed', { tenant: ctx.tenant, err });
    return envelope(500, 'null', 'server_error', errorMessage(err));
  }
  const alerts = groups.flatMap((g) => g.rules.flatMap((r) => (r.type === 'alerting' ? r.alerts : [])));
  return envelope(200, `{"alerts":[${alerts.map(alertJson).join(',')}]}`);
};
