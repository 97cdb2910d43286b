import { type Server, createServer, request } from 'node:http';

/**
 * Test-only: a reverse proxy on a free 127.0.0.1 port that forwards every request, path and query
 * kept, to `target` with `X-Scope-OrgID: tenant` added — the gateway in front of Panoptes that
 * clients unable to send headers (amtool 0.25's http_config has no headers) go through.
 */
export async function startTenantProxy(target: string, tenant: string): Promise<{ url: string; close: () => Promise<void> }> {
  const base = new URL(target);
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers, host: base.host, 'x-scope-orgid': tenant };
    const upstream = request({ host: base.hostname, port: base.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(`tenant proxy could not reach ${target}: ${err.message}\n`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('tenant proxy has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
