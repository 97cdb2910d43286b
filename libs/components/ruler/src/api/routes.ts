import { matchRoutePath } from '@panoptes/common';
import { type ApiResponse, textResponse } from '@panoptes/prom-api';
import { createRuleGroup, deleteNamespace, deleteRuleGroup, getRuleGroup, listRules } from './config-api';
import type { RulerApiContext, RulerApiHandler, RulerApiRequest } from './context';
import { prometheusAlerts, prometheusRules } from './rules-api';

export type RulerHttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RulerApiRoute {
  method: RulerHttpMethod;
  /** From the root; `:namespace` and `:group` are path parameters. */
  path: string;
  handler: RulerApiHandler;
}

// Grafana calls `<datasource>/config/v1/rules` for a Mimir data source and `<datasource>/rules`
// for a Cortex one (or when the subtype is unset); the data source URL ends in `/prometheus`.
// `/api/v1/rules` at the root is Cortex's configuration API, which Mimir kept as its legacy route
// (`mimirtool rules --use-legacy-routes`, cortextool): there it is YAML configuration, not the
// Prometheus rule state, which lives under `/prometheus/api/v1/rules`.
const CONFIG_PREFIXES = ['/prometheus/config/v1/rules', '/prometheus/rules', '/api/v1/rules'];

/**
 * The ruler's routes: the configuration API under `/prometheus/config/v1/rules` (and the Cortex
 * spellings `/prometheus/rules` and `/api/v1/rules`), the state endpoints under `/prometheus/api/v1`.
 */
export const RULER_API_ROUTES: readonly RulerApiRoute[] = [
  ...CONFIG_PREFIXES.flatMap((p): RulerApiRoute[] => [
    { method: 'GET', path: p, handler: listRules },
    { method: 'GET', path: `${p}/:namespace`, handler: listRules },
    { method: 'GET', path: `${p}/:namespace/:group`, handler: getRuleGroup },
    { method: 'POST', path: `${p}/:namespace`, handler: createRuleGroup },
    { method: 'DELETE', path: `${p}/:namespace`, handler: deleteNamespace },
    { method: 'DELETE', path: `${p}/:namespace/:group`, handler: deleteRuleGroup },
  ]),
  { method: 'GET', path: '/prometheus/api/v1/rules', handler: prometheusRules },
  { method: 'GET', path: '/prometheus/api/v1/alerts', handler: prometheusAlerts },
];

/**
 * Serves a request if its path is one of the ruler's: the handler's answer, 405 (with `Allow`)
 * for a known path with another method, or undefined when the path is not the ruler's.
 */
export async function dispatchRulerApi(req: RulerApiRequest, ctx: RulerApiContext): Promise<ApiResponse | undefined> {
  const allow: string[] = [];
  const path = req.path.length > 1 ? req.path.replace(/\/$/, '') : req.path;
  for (const route of RULER_API_ROUTES) {
    const params = matchRoutePath(route.path, path);
    if (!params) continue;
    if (route.method === req.method.toUpperCase()) return route.handler(req, ctx, params);
    allow.push(route.method);
  }
  if (allow.length === 0) return undefined;
  return textResponse(405, 'Method Not Allowed', { Allow: [...new Set(allow)].join(', ') });
}
