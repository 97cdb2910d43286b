import { matchRoutePath } from '@panoptes/common';
import { formatApiTime } from '../alerts/alert';
import { configToYaml } from '../config/config';
import { getAlertGroups, getAlerts, postAlerts } from './alerts';
import { type AmApiContext, type AmApiHandler, type AmApiRequest, type AmApiResponse, jsonResponse, swaggerError } from './http';
import { deleteSilence, getSilence, getSilences, postSilences } from './silences';

/** GET /api/v2/status: cluster (always disabled: Panoptes replicates through its ring), config, uptime, version. */
export function getStatus(_req: AmApiRequest, ctx: AmApiContext): AmApiResponse {
  return jsonResponse(200, {
    cluster: { peers: [], status: 'disabled' },
    config: { original: configToYaml(ctx.tenant.loaded.config) },
    uptime: formatApiTime(ctx.tenant.startedAt),
    versionInfo: ctx.versionInfo,
  });
}

/** GET /api/v2/receivers */
export function getReceivers(_req: AmApiRequest, ctx: AmApiContext): AmApiResponse {
  return jsonResponse(
    200,
    ctx.tenant.loaded.config.receivers.map((r) => ({ name: r.name })),
  );
}

export interface AmApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the mount point (`/alertmanager`); `{name}` is a path parameter. */
  path: string;
  handler: AmApiHandler;
}

/** The Alertmanager API v2 as Alertmanager registers it. */
export const ALERTMANAGER_API_ROUTES: readonly AmApiRoute[] = [
  { method: 'GET', path: '/api/v2/status', handler: getStatus },
  { method: 'GET', path: '/api/v2/receivers', handler: getReceivers },
  { method: 'GET', path: '/api/v2/alerts', handler: getAlerts },
  { method: 'POST', path: '/api/v2/alerts', handler: postAlerts },
  { method: 'GET', path: '/api/v2/alerts/groups', handler: getAlertGroups },
  { method: 'GET', path: '/api/v2/silences', handler: getSilences },
  { method: 'POST', path: '/api/v2/silences', handler: postSilences },
  { method: 'GET', path: '/api/v2/silence/{silenceID}', handler: getSilence },
  { method: 'DELETE', path: '/api/v2/silence/{silenceID}', handler: deleteSilence },
];

/**
 * Serves one Alertmanager API v2 request for one tenant: finds the route and runs it, or answers
 * 404 / 405 with go-openapi's JSON error bodies.
 */
export async function dispatchAlertmanagerApi(req: AmApiRequest, ctx: AmApiContext): Promise<AmApiResponse> {
  const path = req.path.length > 1 ? req.path.replace(/\/$/, '') : req.path;
  const allowed: string[] = [];
  for (const route of ALERTMANAGER_API_ROUTES) {
    const params = matchRoutePath(route.path, path);
    if (!params) continue;
    if (route.method === req.method.toUpperCase()) return route.handler(req, ctx, params);
    allowed.push(route.method);
  }
  if (allowed.length > 0) {
    const res = swaggerError(405, 405, `method ${req.method.toUpperCase()} is not allowed, but [${allowed.join(',')}] are`);
    return { ...res, headers: { ...res.headers, Allow: allowed.join(',') } };
  }
  return swaggerError(404, 404, `path ${path} was not found`);
}
