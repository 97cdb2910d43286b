import { All, Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { readRawBody, tenantOf } from '@panoptes/server';
import { ALERTMANAGER_BUILDINFO_PATH, alertmanagerBuildInfo } from './api/buildinfo';
import type { AmApiResponse } from './api/http';
import { type AlertRouterApiKind, AlertRouterHttpApi, FORWARDED_BY_HEADER } from './api/router-http';
import { ALERT_ROUTER_STATE_PATH } from './replication/peers';

/** Nest injection token of the process's AlertRouterHttpApi. */
export const ALERT_ROUTER_HTTP_API = Symbol('alert-router-http-api');

/** Largest request body (alerts, silences, a tenant config), bytes. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Largest state push between replicas (a whole tenant's alerts, silences and log on a hand-over), bytes. */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

/**
 * The paths with a request body: the handlers read it as sent (see `HttpServer.addRawBodyPaths`),
 * so malformed JSON gets Alertmanager's error answer, not the JSON parser's.
 */
export const ALERT_ROUTER_BODY_PATHS = ['/alertmanager/api/v2/alerts', '/alertmanager/api/v2/silences', '/api/v1/alerts', ALERT_ROUTER_STATE_PATH];

/**
 * Mounts the alert-router: Alertmanager API v2 under `/alertmanager` only (Grafana's Mimir check
 * wants `/api/v2/status` at the root to stay a 404), Mimir's config API at `/api/v1/alerts`, and
 * the state endpoint the members of a replication set push to and pull from.
 */
@Controller()
export class AlertRouterController {
  constructor(@Inject(ALERT_ROUTER_HTTP_API) private readonly api: AlertRouterHttpApi) {}

  /** Needs no tenant, as in Mimir; declared before the catch-all below so Express matches it first. */
  @Get(ALERTMANAGER_BUILDINFO_PATH.slice(1))
  buildInfo(@Res() res: Response): void {
    const out = alertmanagerBuildInfo();
    res.status(out.status).set(out.headers).send(out.body);
  }

  @All(['alertmanager/*path'])
  alertmanager(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.serve('alertmanager', req, res);
  }

  @All('api/v1/alerts')
  config(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.serve('config', req, res);
  }

  @All(ALERT_ROUTER_STATE_PATH.slice(1))
  internal(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.serve('internal', req, res);
  }

  private async serve(kind: AlertRouterApiKind, req: Request, res: Response): Promise<void> {
    const tenant = tenantOf(req);
    const url = new URL(req.originalUrl, 'http://localhost');
    const path = kind === 'alertmanager' ? url.pathname.slice('/alertmanager'.length) : url.pathname;
    let body: Buffer | string | undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      body = req.body !== undefined && typeof req.body === 'object' ? JSON.stringify(req.body) : await readRawBody(req, kind === 'internal' ? MAX_STATE_BYTES : MAX_BODY_BYTES, 'request body');
    }
    const out: AmApiResponse = await this.api.handle(kind, tenant, { method: req.method, path, query: url.searchParams, body }, req.get(FORWARDED_BY_HEADER) !== undefined);
    res.status(out.status).set(out.headers);
    if (out.body === '') res.end();
    else res.send(out.body);
  }
}
