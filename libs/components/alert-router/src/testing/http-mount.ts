import { type Server, createServer } from 'node:http';
import type { AlertRouter } from '../alert-router';

/**
 * Test-only: serves an AlertRouter on a bare node:http server on 127.0.0.1, the API v2 under
 * `/alertmanager` and Mimir's config API at `/api/v1/alerts`, tenant from X-Scope-OrgID
 * (`anonymous` when absent), so real clients (amtool, curl) can drive it.
 */
export async function mountAlertRouter(router: AlertRouter): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const tenant = String(req.headers['x-scope-orgid'] ?? 'anonymous');
      const request = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body: Buffer.concat(chunks) };
      const handle = url.pathname.startsWith('/alertmanager/')
        ? router.handleApi(tenant, { ...request, path: url.pathname.slice('/alertmanager'.length) })
        : url.pathname === '/api/v1/alerts'
          ? router.handleConfigApi(tenant, request)
          : Promise.resolve({ status: 404, headers: { 'Content-Type': 'text/plain' }, body: '404 page not found\n' });
      handle.then(
        (r) => {
          res.writeHead(r.status, r.headers);
          res.end(r.body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`${String(err)}\n`);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
