import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { UnsupportedMediaTypeError } from '@panoptes/common';
import { readRawBody, tenantOf } from '@panoptes/server';
import { RULER_API_ROUTES } from './api/routes';
import { RULER_RULE_GROUPS_PATH, RulerHttpApi } from './api/ruler-http';

/** Nest injection token of the process's RulerHttpApi. */
export const RULER_HTTP_API = Symbol('ruler-http-api');

/** Largest rule group accepted in one POST, bytes. */
const MAX_RULE_GROUP_BYTES = 10 * 1024 * 1024;

/** Every path the ruler serves, in Express syntax (`:namespace`, `:group`). */
export const RULER_HTTP_PATHS: readonly string[] = [...new Set([...RULER_API_ROUTES.map((r) => r.path), RULER_RULE_GROUPS_PATH])];

/** Mounts `RulerHttpApi` at the ruler's paths; no logic here. */
@Controller()
export class RulerController {
  constructor(@Inject(RULER_HTTP_API) private readonly api: RulerHttpApi) {}

  @All(RULER_HTTP_PATHS.map((p) => p.slice(1)))
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    const tenant = tenantOf(req);
    let body: string | Buffer | undefined;
    if (req.method === 'POST') {
      // The form parser has already taken a urlencoded body apart, and a YAML document does not
      // survive that: ask for the content type mimirtool and Grafana send.
      if (req.is('application/x-www-form-urlencoded')) {
        throw new UnsupportedMediaTypeError('unsupported_rule_group_content_type', 'send the rule group as YAML with Content-Type: application/yaml (curl: -H "Content-Type: application/yaml" --data-binary @group.yaml)', { tenant });
      }
      // A JSON body was parsed already (JSON is YAML too); anything else is read as it came.
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
