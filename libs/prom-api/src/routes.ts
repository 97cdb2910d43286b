import { matchRoutePath } from '@panoptes/common';
import { cardinalityLabelNames, cardinalityLabelValues } from './cardinality';
import { formatQuery, query, queryExemplars, queryRange } from './query';
import { textResponse } from './respond';
import { labelNames, labelValues, metadata, series } from './series';
import { buildInfo, statusConfig, statusFlags } from './status';
import type { ApiParams, ApiResponse, PromApiContext, PromApiHandler } from './types';

export type HttpMethod = 'GET' | 'POST';

/** One mountable route. Paths are relative to the mount point (`/prometheus` or the root); `:name` is a path parameter. */
export interface PromApiRoute {
  method: HttpMethod;
  path: string;
  handler: PromApiHandler;
}

const BOTH: readonly HttpMethod[] = ['GET', 'POST'];
const GET: readonly HttpMethod[] = ['GET'];

// Methods as Prometheus (and Mimir, for its own endpoints) register them: Grafana POSTs queries,
// labels and series, and retries with GET on 405, so GET-only routes must answer 405 to POST.
const TABLE: readonly [string, readonly HttpMethod[], PromApiHandler][] = [
  ['/api/v1/query', BOTH, query],
  ['/api/v1/query_range', BOTH, queryRange],
  ['/api/v1/query_exemplars', BOTH, queryExemplars],
  ['/api/v1/format_query', BOTH, formatQuery],
  ['/api/v1/labels', BOTH, labelNames],
  ['/api/v1/label/:name/values', GET, labelValues],
  ['/api/v1/series', BOTH, series],
  ['/api/v1/metadata', GET, metadata],
  ['/api/v1/status/buildinfo', GET, buildInfo],
  ['/api/v1/status/config', GET, statusConfig],
  ['/api/v1/status/flags', GET, statusFlags],
  ['/api/v1/cardinality/label_names', BOTH, cardinalityLabelNames],
  ['/api/v1/cardinality/label_values', BOTH, cardinalityLabelValues],
];

/** Every route, one entry per method. */
export const PROM_API_ROUTES: readonly PromApiRoute[] = TABLE.flatMap(([path, methods, handler]) => methods.map((method) => ({ method, path, handler })));

export type RouteMatch =
  | { kind: 'found'; route: PromApiRoute; pathParams: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: HttpMethod[] }
  | { kind: 'not_found' };

/** Finds the route for a method and a path relative to the mount point (no query string). */
export function matchPromApiRoute(method: string, path: string): RouteMatch {
  const allow: HttpMethod[] = [];
  for (const route of PROM_API_ROUTES) {
    const pathParams = matchRoutePath(route.path, path);
    if (!pathParams) continue;
    if (route.method === method.toUpperCase()) return { kind: 'found', route, pathParams };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
}

/**
 * Serves one request: finds the route and runs its handler, or answers 404 / 405 (with `Allow`)
 * in plain text as Go's routers do. For a catch-all mount of the API.
 */
export async function dispatchPromApi(method: string, path: string, params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  const match = matchPromApiRoute(method, path);
  if (match.kind === 'not_found') return textResponse(404, '404 page not found');
  if (match.kind === 'method_not_allowed') return textResponse(405, 'Method Not Allowed', { Allow: match.allow.join(', ') });
  return match.route.handler(params, ctx, match.pathParams);
}
