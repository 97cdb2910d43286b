import { All, Controller, Inject, Req, Res, type Type } from '@nestjs/common';
import type { Request, Response } from 'express';
import { tenantOf } from './tenant';

/** An API call as a framework-free handler sees it. */
export interface ApiRequest {
  tenant: string;
  /** The path without any mount prefix, e.g. `/api/v1/query_range`. */
  path: string;
  method: 'GET' | 'POST';
  /** Query-string and form-body parameters together (repeated keys kept, `match[]`). */
  params: URLSearchParams;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** The request headers the controller was asked to pass on (`requestHeaders`), by lower-case name. */
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
  /**
   * The body already as UTF-8 bytes (an answer assembled from cached bytes): when set, the HTTP
   * layer writes these instead of encoding `body`, which must read as the same text (it may be a
   * getter that decodes them on demand).
   */
  bytes?: Buffer;
  headers?: Record<string, string>;
}

export interface ApiHandler {
  handle(req: ApiRequest): Promise<ApiResponse>;
}

/** The request's parameters: query string first, then an urlencoded form body (Prometheus's `r.Form`). */
export function requestParams(req: Request): URLSearchParams {
  const params = new URLSearchParams();
  const add = (source: unknown) => {
    if (!source || typeof source !== 'object') return;
    for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
      for (const item of Array.isArray(v) ? v : [v]) if (typeof item === 'string') params.append(k, item);
    }
  };
  add(req.query);
  add(req.body);
  return params;
}

/**
 * A Nest controller that hands every GET/POST under `prefixes` × `paths` to the `ApiHandler`
 * provided as `token`: the HTTP boundary of the query API (framework code stays here, handlers are
 * plain functions). `paths` may hold Express parameters (`/api/v1/label/:name/values`). The
 * headers named in `requestHeaders` reach the handler in `ApiRequest.headers`.
 */
export function apiController(prefixes: readonly string[], paths: readonly string[], token: symbol, requestHeaders: readonly string[] = []): Type {
  const routes = prefixes.flatMap((p) => paths.map((path) => `${p}${path}`));
  @Controller()
  class ApiController {
    constructor(@Inject(token) private readonly handler: ApiHandler) {}

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
      let headers: Record<string, string> | undefined;
      for (const name of requestHeaders) {
        const value = req.get(name);
        if (value !== undefined) (headers ??= {})[name.toLowerCase()] = value;
      }
      const out = await this.handler.handle({ tenant, path, method: req.method, params: requestParams(req), signal: ac.signal, ...(headers ? { headers } : {}) });
      res.off('close', onClose);
      res.status(out.status).type(out.contentType);
      if (out.headers) res.set(out.headers);
      res.send(out.bytes ?? out.body);
    }
  }
  return ApiController;
}
