import { Body, Controller, Get, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { Counter, Registry } from 'prom-client';
import { LimitError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import type { ApiHandler, ApiRequest, ApiResponse } from './api-router';
import { GrpcServer, healthService, unaryHandler, withTenant } from './grpc-server';
import { HttpServer } from './http-server';
import { readRawBody } from './raw-body';
import { StatusPage, StatusSource } from './pages';
import { Tenant, TenancyOptions } from './tenant';

@Controller('test')
class EchoController {
  @Get('whoami')
  whoami(@Tenant() tenant: string): { tenant: string } {
    return { tenant };
  }

  @Post('json')
  json(@Tenant() tenant: string, @Body() body: unknown): unknown {
    return { tenant, body };
  }

  /** Registered as a raw-body path with a parameter: the body arrives as sent. */
  @Post('raw/:name')
  async raw(@Req() req: Request): Promise<{ parsed: boolean; body: string }> {
    const parsed = req.body !== undefined;
    return { parsed, body: parsed ? JSON.stringify(req.body) : (await readRawBody(req, 1024)).toString('utf8') };
  }

  @Get('limited')
  limited(@Tenant() tenant: string): never {
    throw new LimitError('rate_limited', `ingestion rate limit of 10 samples/s exceeded for tenant "${tenant}"`, { tenant });
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internal detail');
  }
}

const ANSWER = '{"status":"success","data":{"v":"é"}}';

/** Answers `ANSWER` as text, or (`?as=bytes`) as byte pieces only (split inside the two-byte "é"): reading that answer's `body` throws. */
const answerHandler: ApiHandler = {
  async handle(req): Promise<ApiResponse> {
    if (req.path !== '/answer') return echo(req);
    if (req.params.get('as') !== 'bytes') return { status: 200, contentType: 'application/json', body: ANSWER };
    return {
      status: 200,
      contentType: 'application/json',
      chunks: ((b) => [b.subarray(0, 5), Buffer.alloc(0), b.subarray(5, b.indexOf(0xa9)), b.subarray(b.indexOf(0xa9))])(Buffer.from(ANSWER)),
      get body(): string {
        throw new Error('the HTTP layer must write the bytes, not read body');
      },
    };
  },
};

/** What the handler saw, as JSON; `fail=limit|boom` throws a typed or an unexpected error instead. */
async function echo(req: ApiRequest): Promise<ApiResponse> {
  const fail = req.params.get('fail');
  if (fail === 'limit') throw new LimitError('max_queries', `too many outstanding requests for tenant "${req.tenant}" (limit 1)`, { tenant: req.tenant });
  if (fail === 'boom') throw new Error('secret internal detail');
  const params: Array<[string, string]> = [...req.params];
  const body = req.body === undefined ? {} : { body: req.body.toString('latin1') };
  return { status: 200, contentType: 'application/json', body: JSON.stringify({ tenant: req.tenant, path: req.path, method: req.method, params, headers: req.headers ?? {}, ...body }) };
}

function status(ready: boolean): StatusSource {
  return {
    ready: () => ready,
    services: () => [
      { name: 'server', state: 'Running' },
      { name: 'ingester', state: ready ? 'Running' : 'Starting' },
    ],
    configYaml: () => 'server:\n  http_listen_port: 0\n',
  };
}

async function startHttp(tenancy: TenancyOptions, ready = true, pages: StatusPage[] = []) {
  const registry = new Registry();
  new Counter({ name: 'panoptes_test_things_total', help: 'test', registers: [registry] }).inc();
  const server = new HttpServer(
    { listenAddress: '127.0.0.1', listenPort: 0, maxRequestBodyBytes: 1024, gracefulShutdownTimeoutMs: 1000 },
    tenancy,
    nopLogger,
    registry,
  );
  server.addControllers([EchoController]);
  server.addApi({ prefixes: ['/api', ''], paths: ['/answer', '/echo', '/label/:name/values'], handler: answerHandler, requestHeaders: ['X-Pass-On'] });
  server.addApi({ prefixes: [''], paths: ['/raw/push'], handler: answerHandler, methods: ['POST'], rawBody: { limitBytes: 64, what: 'push body' } });
  server.addRawBodyPaths(['/test/raw/:name']);
  for (const p of pages) server.addStatusPage(p);
  server.setStatusSource(status(ready));
  await server.start();
  const base = `http://127.0.0.1:${server.port}`;
  return { server, base };
}

describe('HttpServer', () => {
  const multi: TenancyOptions = { multitenancyEnabled: true, noAuthTenant: 'anonymous' };
  let forgotten: string[] = [];
  const page: StatusPage = {
    path: '/ingester/ring',
    title: 'Ingester ring',
    html: () => '<html><body><table><tr><td>ingester-1</td></tr></table></body></html>',
    json: () => ({ shards: [{ id: 'ingester-1', state: 'ACTIVE' }] }),
    forget: async (id) => {
      forgotten.push(id);
    },
  };
  let ctx: Awaited<ReturnType<typeof startHttp>>;

  beforeAll(async () => {
    ctx = await startHttp(multi, true, [page]);
  });
  afterAll(async () => {
    await ctx.server.stop();
  });

  it.each([
    { name: 'text', as: 'text' },
    { name: 'bytes', as: 'bytes' },
  ])('writes an API answer given as $name with the same body and headers', async ({ as }) => {
    const res = await fetch(`${ctx.base}/api/answer?as=${as}`, { headers: { 'X-Scope-OrgID': 't1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(ANSWER)));
    expect(await res.text()).toBe(ANSWER);
  });

  it('answers /ready with 200 when every service runs', async () => {
    const res = await fetch(`${ctx.base}/ready`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ready\n');
  });

  it('serves /metrics from the injected registry', async () => {
    const res = await fetch(`${ctx.base}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('panoptes_test_things_total 1');
  });

  it('serves /config and /services (HTML and JSON)', async () => {
    expect(await (await fetch(`${ctx.base}/config`)).text()).toContain('http_listen_port: 0');
    const html = await (await fetch(`${ctx.base}/services`)).text();
    expect(html).toContain('<td>ingester</td><td>Running</td>');
    const json = await (await fetch(`${ctx.base}/services`, { headers: { Accept: 'application/json' } })).json();
    expect(json).toEqual({ services: [{ name: 'server', state: 'Running' }, { name: 'ingester', state: 'Running' }] });
  });

  it('serves ring pages as HTML and JSON, and forgets an instance from the form', async () => {
    const html = await fetch(`${ctx.base}/ingester/ring`);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('ingester-1');
    const json = await (await fetch(`${ctx.base}/ingester/ring`, { headers: { Accept: 'application/json' } })).json();
    expect(json).toEqual({ shards: [{ id: 'ingester-1', state: 'ACTIVE' }] });
    forgotten = [];
    const res = await fetch(`${ctx.base}/ingester/ring`, {
      method: 'POST',
      body: new URLSearchParams({ forget: 'ingester-9' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(forgotten).toEqual(['ingester-9']);
    const missing = await fetch(`${ctx.base}/ruler/ring`);
    expect(missing.status).toBe(404);
  });

  it.each<[string, string, RequestInit, number, string]>([
    ['a valid tenant header is read', '/test/whoami', { headers: { 'X-Scope-OrgID': 'team-a' } }, 200, '{"tenant":"team-a"}'],
    ['a missing tenant is 401', '/test/whoami', {}, 401, 'no tenant ID: send the X-Scope-OrgID header'],
    ['an invalid tenant is 400', '/test/whoami', { headers: { 'X-Scope-OrgID': 'a/b' } }, 400, 'contains unsupported characters'],
    ['a too long tenant is 400', '/test/whoami', { headers: { 'X-Scope-OrgID': 'x'.repeat(151) } }, 400, 'longer than the limit of 150'],
    ['a typed limit error is 429 with its message', '/test/limited', { headers: { 'X-Scope-OrgID': 't1' } }, 429, 'ingestion rate limit of 10 samples/s exceeded for tenant "t1"'],
    ['an unexpected error is 500 without internals', '/test/boom', {}, 500, 'internal error'],
    ['an unknown route is 404', '/nope', {}, 404, 'Cannot GET /nope'],
    ['malformed JSON is 400', '/test/json', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': 't' }, body: '{oops' }, 400, 'cannot parse request body'],
    ['a body over the limit is 413', '/test/json', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': 't' }, body: JSON.stringify({ x: 'y'.repeat(2000) }) }, 413, 'request body too large'],
  ])('%s', async (_name, path, init, code, text) => {
    const res = await fetch(`${ctx.base}${path}`, init);
    expect(res.status).toBe(code);
    expect(await res.text()).toContain(text);
  });

  it.each([
    { name: 'a form-encoded body (curl --data-binary without -H)', contentType: 'application/x-www-form-urlencoded' },
    { name: 'a JSON body', contentType: 'application/json' },
    { name: 'a YAML body', contentType: 'application/yaml' },
  ])('leaves $name of a raw-body path with a :param segment unparsed', async ({ contentType }) => {
    const body = 'name: g\nrules:\n  - record: a:b\n    expr: sum(x) + 1 & y=2\n';
    const res = await fetch(`${ctx.base}/test/raw/ns-1`, { method: 'POST', headers: { 'Content-Type': contentType, 'X-Scope-OrgID': 't' }, body });
    expect(await res.json()).toEqual({ parsed: false, body });
  });

  it.each([
    { name: 'GET with the mount prefix', url: '/api/echo?query=up&match[]=a', init: {}, want: { path: '/echo', method: 'GET', params: [['query', 'up'], ['match[]', 'a']] } },
    { name: 'GET at the root', url: '/echo?x=1', init: {}, want: { path: '/echo', method: 'GET', params: [['x', '1']] } },
    { name: 'a trailing slash', url: '/api/echo/?x=1', init: {}, want: { path: '/echo', method: 'GET', params: [['x', '1']] } },
    {
      name: 'POST form after the query string, repeated keys kept',
      url: '/api/echo?a=1',
      init: { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: 'match%5B%5D=up&match%5B%5D=x+y&a=2' },
      want: { path: '/echo', method: 'POST', params: [['a', '1'], ['match[]', 'up'], ['match[]', 'x y'], ['a', '2']] },
    },
    { name: 'a POST body of another type, unread', url: '/api/echo', init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"up"}' }, want: { path: '/echo', method: 'POST', params: [] } },
    { name: 'a path parameter', url: '/api/label/job%2Fx/values', init: {}, want: { path: '/label/job%2Fx/values', method: 'GET', params: [] } },
    {
      name: 'a raw body, whatever its type',
      url: '/raw/push?a=1',
      init: { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'b=2\u00ff' },
      want: { path: '/raw/push', method: 'POST', params: [['a', '1']], body: 'b=2\u00c3\u00bf', headers: {} },
    },
  ])('hands a plain API handler $name', async ({ url, init, want }) => {
    const headers = { 'X-Scope-OrgID': 't1', 'X-Pass-On': 'yes', ...((init as { headers?: Record<string, string> }).headers ?? {}) };
    const res = await fetch(`${ctx.base}${url}`, { ...init, headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tenant: 't1', headers: { 'x-pass-on': 'yes' }, ...want });
  });

  it.each([
    { name: 'no tenant', url: '/api/echo', init: { headers: {} }, status: 401, text: /^no tenant ID: send the X-Scope-OrgID header/ },
    { name: 'a method other than GET and POST', url: '/api/echo', init: { method: 'PUT', headers: { 'X-Scope-OrgID': 't1' }, body: 'x' }, status: 405, text: /^method PUT not allowed\n$/ },
    { name: "the handler's typed error", url: '/api/echo?fail=limit', init: { headers: { 'X-Scope-OrgID': 't1' } }, status: 429, text: /too many outstanding requests for tenant "t1" \(limit 1\)/ },
    { name: 'an unexpected error, not shown', url: '/api/echo?fail=boom', init: { headers: { 'X-Scope-OrgID': 't1' } }, status: 500, text: /^internal error\n$/ },
    {
      name: 'a form body over the limit',
      url: '/api/echo',
      init: { method: 'POST', headers: { 'X-Scope-OrgID': 't1', 'Content-Type': 'application/x-www-form-urlencoded' }, body: `query=${'x'.repeat(2000)}` },
      status: 413,
      text: /over the limit of 1024 bytes/,
    },
    {
      name: 'a raw body over its own limit',
      url: '/raw/push',
      init: { method: 'POST', headers: { 'X-Scope-OrgID': 't1' }, body: 'x'.repeat(65) },
      status: 413,
      text: /^push body of 65 bytes is over the limit of 64 bytes/,
    },
    { name: 'a method the mount does not serve', url: '/raw/push', init: { headers: { 'X-Scope-OrgID': 't1' } }, status: 405, text: /^method GET not allowed\n$/ },
  ])('answers a plain API request with $name as an error', async ({ url, init, status, text }) => {
    const res = await fetch(`${ctx.base}${url}`, init as RequestInit);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toMatch(text);
    if (status === 405) expect(res.headers.get('allow')).toBe(url === '/raw/push' ? 'POST' : 'GET, POST');
  });

  it('still parses the bodies of other paths', async () => {
    const res = await fetch(`${ctx.base}/test/json`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': 't' }, body: '{"a":1}' });
    expect(await res.json()).toEqual({ tenant: 't', body: { a: 1 } });
  });

  it('keeps serving after bad requests', async () => {
    const res = await fetch(`${ctx.base}/ready`);
    expect(res.status).toBe(200);
  });
});

describe('HttpServer readiness and tenancy off', () => {
  it('answers 503 listing the services that are not running', async () => {
    const { server, base } = await startHttp({ multitenancyEnabled: true, noAuthTenant: 'anonymous' }, false);
    const res = await fetch(`${base}/ready`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('Some services are not Running:\ningester: Starting\n');
    await server.stop();
  });

  it('uses the anonymous tenant when multi-tenancy is disabled', async () => {
    const { server, base } = await startHttp({ multitenancyEnabled: false, noAuthTenant: 'anonymous' });
    const res = await fetch(`${base}/test/whoami`, { headers: { 'X-Scope-OrgID': 'ignored' } });
    expect(await res.json()).toEqual({ tenant: 'anonymous' });
    await server.stop();
  });
});

describe('GrpcServer', () => {
  const ECHO = {
    nested: {
      test: {
        nested: {
          Msg: { fields: { text: { type: 'string', id: 1 } } },
          Echo: { methods: { Say: { requestType: 'Msg', responseType: 'Msg' } } },
        },
      },
    },
  };
  const Echo = (grpc.loadPackageDefinition(fromJSON(ECHO as Parameters<typeof fromJSON>[0])) as unknown as {
    test: { Echo: grpc.ServiceClientConstructor };
  }).test.Echo;
  const tenancy: TenancyOptions = { multitenancyEnabled: true, noAuthTenant: 'anonymous' };
  let server: GrpcServer;
  let addr: string;

  beforeAll(async () => {
    server = new GrpcServer(
      { listenAddress: '127.0.0.1', listenPort: 0, maxRecvMessageBytes: 1 << 20, maxSendMessageBytes: 1 << 20, gracefulShutdownTimeoutMs: 1000 },
      nopLogger,
    );
    server.addService(Echo.service, {
      Say: unaryHandler<{ text: string }, { text: string }>(tenancy, nopLogger, async (req, tenant) => {
        if (req.text === 'limit') throw new LimitError('rate_limited', `limit exceeded for tenant "${tenant}"`);
        return { text: `${tenant}:${req.text}` };
      }),
    });
    server.setReadiness(() => true);
    await server.start();
    addr = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.stop();
  });

  function call(client: grpc.Client, method: string, req: unknown, md: grpc.Metadata): Promise<unknown> {
    return new Promise((resolve, reject) =>
      (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void>)[method](
        req,
        md,
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
  }

  it('answers the standard health check', async () => {
    const client = new healthService(addr, grpc.credentials.createInsecure());
    await expect(call(client, 'Check', { service: '' }, new grpc.Metadata())).resolves.toEqual({ status: 'SERVING' });
    client.close();
  });

  it.each<[string, string | undefined, string, number | null, string]>([
    ['carries the tenant in metadata', 't1', 'hi', null, 't1:hi'],
    ['rejects a missing tenant as UNAUTHENTICATED', undefined, 'hi', grpc.status.UNAUTHENTICATED, 'no tenant ID'],
    ['rejects an invalid tenant as INVALID_ARGUMENT', 'bad/tenant', 'hi', grpc.status.INVALID_ARGUMENT, 'unsupported characters'],
    ['maps limit errors to RESOURCE_EXHAUSTED', 't2', 'limit', grpc.status.RESOURCE_EXHAUSTED, 'limit exceeded for tenant "t2"'],
  ])('%s', async (_name, tenant, text, code, expected) => {
    const client = new Echo(addr, grpc.credentials.createInsecure());
    const md = tenant === undefined ? new grpc.Metadata() : withTenant(tenant);
    try {
      const res = await call(client, 'Say', { text }, md);
      expect(code).toBeNull();
      expect(res).toEqual({ text: expected });
    } catch (err) {
      expect((err as grpc.ServiceError).code).toBe(code);
      expect((err as grpc.ServiceError).details).toContain(expected);
    } finally {
      client.close();
    }
  });
});
