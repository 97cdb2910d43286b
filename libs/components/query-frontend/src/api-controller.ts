import { All, Controller, Inject, Req, Res, type Type } from '@nestjs/common';
import { type ApiResponse, requestParams, tenantOf } from '@panoptes/server';
import type { Request, Response } from 'express';
import type { FrontendRequest } from './frontend';
import { QUERY_STATS_HEADER } from './query-stats';

/**
 * The frontend's HTTP boundary: like `apiController` of @panoptes/server, plus the
 * `X-Panoptes-Query-Stats: true` request header, which asks for the query's stats in the response
 * header of the same name. Hands every GET/POST under `prefixes` × `paths` to the handler
 * provided as `token`.
 */
export function frontendApiController(prefixes: readonly string[], paths: readonly string[], token: symbol): Type {
  const routes = prefixes.flatMap((p) => paths.map((path) => `${p}${path}`));
  @Controller()
  class FrontendApiController {
    constructor(@Inject(token) private readonly handler: { handle(req: FrontendRequest): Promise<ApiResponse> }) {}

    @All(routes)
    async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
      if (req.method !== 'GET' && req.method !== 'POST') {
        res.status(405).set('Allow', 'GET, POST').type('text/plain').send(`method ${req.method} not allowed\n`);
        return;
      }
      const tenant = tenantOf(req);
      const ac = new AbortController();
      const onClose = () => {
        if (!res.writableEnded) ac.abort();
      };
      res.on('close', onClose);
      let path = req.path;
      for (const p of prefixes) {
        if (p !== '' && path.startsWith(`${p}/`)) {
          path = path.slice(p.length);
          break;
        }
      }
      const wantStats = /^(true|1)$/i.test(req.get(QUERY_STATS_HEADER) ?? '');
      const out = await this.handler.handle({ tenant, path, method: req.method, params: requestParams(req), signal: ac.signal, wantStats });
      res.off('close', onClose);
      res.status(out.status).type(out.contentType);
      if (out.headers) res.set(out.headers);
      res.send(out.body);
    }
  }
  return FrontendApiController;
}
