import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { readRawBody, tenantOf } from '@panoptes/server';
import { RULER_API_ROUTES } from './api/routes';
import { RULER_RULE_GROUPS_PATH, RulerHttpApi } from './api/ruler-http';

/** Nest injection token of the process's RulerHttpApi. */
export const RULER_HTTP_API = Symbol('ruler-http-api');

/** Largest rule group accepted in one POST, bytes. */
const MAX_RULE_GROUP_BYTES = 10 * 1024 * 1024;

/** Every path the ruler serves, in Express syntax (`:namespace`, `:group`). */
export const RULER_HTTP_PATHS: readonly string[] = [...new Set([...RULER_API_ROUTES.map((r) => r.path), RULER_RULE_GROUPS_PATH])];

/**
 * The paths with a request body (POST a rule group): register them with
 * `HttpServer.addRawBodyPaths`, so the body reaches the handler as sent whatever its Content-Type
 * (Mimir reads it as YAML regardless; `curl --data-binary @group.yaml` says form-encoded).
 */
export const RULER_BODY_PATHS: readonly string[] = [...new Set(RULER_API_ROUTES.filter((r) => r.method === 'POST').map((r) => r.path))];

/** Mounts `RulerHttpApi` at the ruler's paths; no logic here. */
@Controller()
export class RulerController {
  constructor(@Inject(RULER_HTTP_API) private readonly api: RulerHttpApi) {}

  @All(RULER_HTTP_PATHS.map((p) => p.slice(1)))
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    const tenant = tenantOf(req);
    let body: string | Buffer | undefined;
    if (req.method === 'POST') {
      // The body paths are raw-body paths, so no parser has touched the body; should a parser
      // have taken a JSON body apart all the same, its JSON is YAML too.
      body = req.body !== undefined && typeof req.body === 'object' ? JSON.stringify(req.body) : await readRawBody(req, MAX_RULE_GROUP_BYTES, 'rule group');
    }
    const url = new URL(req.originalUrl, 'http://localhost');
    const out = await this.api.handle(tenant, { method: req.method, path: url.pathname, query: url.searchParams, body });
    if (!out) {
      res.status(404).type('text/plain').send('404 page not found\n');
      return;
    }
    res.status(out.status).set(out.headers).send(out.body);
  }
}
