import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import { resolveTenant, TENANT_HEADER, matchRoutePath } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { errorAnswer } from './error-filter';
import { readRawBody } from './raw-body';
import type { TenancyOptions } from './tenant';

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
  /** The request headers the mount asked to pass on (`requestHeaders`), by lower-case name. */
  headers?: Record<string, string>;
  /** The request body as sent, on a mount with `rawBody` (its parameters are then the query string's only). */
  body?: Buffer;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
  /**
   * The body already as UTF-8 byte pieces, in order (an answer cut from cached bytes): when set,
   * the HTTP layer writes these, never joined, instead of encoding `body`, which must read as the
   * same text (it may be a getter that decodes them on demand).
   */
  chunks?: readonly Buffer[];
  headers?: Record<string, string>;
}

/** An answer already in byte pieces, written as they are; `body` joins and decodes them only if read. */
export function bytesResponse(status: number, contentType: string, chunks: readonly Buffer[]): ApiResponse {
  let text: string | undefined;
  return {
    status,
    contentType,
    chunks,
    get body(): string {
      return (text ??= Buffer.concat(chunks).toString('utf8'));
    },
  };
}

export interface ApiHandler {
  handle(req: ApiRequest): Promise<ApiResponse>;
}

/** An Express request's parameters (a Nest controller's): query string first, then a parsed form body (Prometheus's `r.Form`). */
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

/** Framework-free handlers mounted on the HTTP server: every GET/POST under `prefixes` × `paths` goes to `handler`. */
export interface ApiMount {
  prefixes: readonly string[];
  /** Exact paths, or with `:name` segments (`/api/v1/label/:name/values`). */
  paths: readonly string[];
  handler: ApiHandler;
  /** Request headers passed on in `ApiRequest.headers`. */
  requestHeaders?: readonly string[];
  /** Methods served (default GET and POST); others get a 405. */
  methods?: ReadonlyArray<'GET' | 'POST'>;
  /**
   * The handler reads the body itself (protobuf, snappy, OTLP JSON): it arrives whole in
   * `ApiRequest.body`, at most `limitBytes` (413 above, naming `what`), whatever its Content-Type.
   */
  rawBody?: { limitBytes: number; what: string };
}

export interface ApiRouterOptions {
  tenancy: TenancyOptions;
  /** Longest urlencoded form body accepted, in bytes (413 above). */
  maxRequestBodyBytes: number;
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;
const TEXT_TYPE = /^(text\/|application\/([\w.+-]+\+)?json\b)/i;

interface Route {
  mount: ApiMount;
  prefix: string;
}

/**
 * The HTTP boundary of the query APIs, in plain node: the HTTP server offers each request to it
 * before the Nest application. A query answer is often a few hundred bytes cut from the results
 * cache; Express's routing, query and body parsers and Nest's execution context cost several
 * times the handler's own work per request, so these routes skip them. Parameters are Prometheus's
 * `r.Form`: the query string, then an urlencoded body. Errors map to statuses and log through the
 * same `errorAnswer` as the Nest filter.
 */
export class ApiRouter {
  private readonly exact = new Map<string, Route>();
  private readonly patterns: Array<Route & { pattern: string }> = [];

  constructor(
    mounts: readonly ApiMount[],
    private readonly options: ApiRouterOptions,
    private readonly logger: Logger,
  ) {
    for (const mount of mounts) {
      for (const prefix of mount.prefixes) {
        for (const path of mount.paths) {
          const full = `${prefix}${path}`;
          if (full.split('/').some((s) => s.startsWith(':'))) this.patterns.push({ mount, prefix, pattern: full });
          else if (!this.exact.has(full)) this.exact.set(full, { mount, prefix });
        }
      }
    }
  }

  /** Serves the request when its path is one of the mounted routes; false leaves it to the next listener. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    // Express's default (non-strict) routing also takes the path with one trailing slash.
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const route = this.exact.get(path) ?? this.patterns.find((p) => matchRoutePath(p.pattern, path) !== undefined);
    if (!route) return false;
    this.answer(req, res, route, path, q < 0 ? '' : url.slice(q + 1)).catch((err) => this.fail(req, res, path, err));
    return true;
  }

  private async answer(req: IncomingMessage, res: ServerResponse, route: Route, path: string, query: string): Promise<void> {
    const method = req.method;
    const { mount } = route;
    const methods = mount.methods ?? BOTH_METHODS;
    if ((method !== 'GET' && method !== 'POST') || !methods.includes(method)) {
      req.resume();
      res.writeHead(405, { Allow: methods.join(', '), 'Content-Type': 'text/plain; charset=utf-8' }).end(`method ${method} not allowed\n`);
      return;
    }
    const { tenancy } = this.options;
    const tenant = resolveTenant(req.headers[TENANT_HEADER_LOWER], tenancy.multitenancyEnabled, tenancy.noAuthTenant);
    const params = new URLSearchParams(query);
    let body: Buffer | undefined;
    if (mount.rawBody) {
      body = await readRawBody(req, mount.rawBody.limitBytes, mount.rawBody.what);
    } else if (method === 'POST' && FORM_TYPE.test(req.headers['content-type'] ?? '')) {
      const form = await readRawBody(req, this.options.maxRequestBodyBytes, 'form body');
      if (form.length > 0) for (const [k, v] of new URLSearchParams(form.toString('utf8'))) params.append(k, v);
    } else {
      req.resume();
    }
    let headers: Record<string, string> | undefined;
    for (const name of mount.requestHeaders ?? []) {
      const value = req.headers[name.toLowerCase()];
      if (typeof value === 'string') (headers ??= {})[name.toLowerCase()] = value;
    }
    const ac = new AbortController();
    const onClose = () => {
      if (!res.writableEnded) ac.abort();
    };
    res.on('close', onClose);
    let out: ApiResponse;
    try {
      const local = route.prefix !== '' && path.startsWith(`${route.prefix}/`) ? path.slice(route.prefix.length) : path;
      out = await mount.handler.handle({ tenant, path: local, method, params, signal: ac.signal, ...(headers ? { headers } : {}), ...(body ? { body } : {}) });
    } finally {
      res.off('close', onClose);
    }
    res.statusCode = out.status;
    res.setHeader('Content-Type', withCharset(out.contentType));
    if (out.headers) for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
    if (!out.chunks) {
      const body = Buffer.from(out.body, 'utf8');
      res.setHeader('Content-Length', body.length);
      res.end(body);
      return;
    }
    // One writev of the pieces: joining them first would allocate (and later collect) a buffer
    // the size of the answer on every request.
    let length = 0;
    for (const c of out.chunks) length += c.length;
    res.setHeader('Content-Length', length);
    res.cork();
    for (const c of out.chunks) if (c.length > 0) res.write(c);
    res.end();
  }

  private fail(req: IncomingMessage, res: ServerResponse, path: string, err: unknown): void {
    req.resume();
    const { status, message } = errorAnswer(err, { method: req.method ?? '', path }, this.logger);
    if (res.headersSent) {
      res.end();
      return;
    }
    const body = Buffer.from(message.endsWith('\n') ? message : `${message}\n`, 'utf8');
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length }).end(body);
  }
}

const TENANT_HEADER_LOWER = TENANT_HEADER.toLowerCase();
const BOTH_METHODS: ReadonlyArray<'GET' | 'POST'> = ['GET', 'POST'];

/** JSON and text answers say their charset, as Express's `send` did for them. */
function withCharset(type: string): string {
  return TEXT_TYPE.test(type) && !/;\s*charset=/i.test(type) ? `${type}; charset=utf-8` : type;
}
