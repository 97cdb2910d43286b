import { type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server, createServer, request } from 'node:http';
import { type PeerHandle, registerPeer, unregisterPeer } from '@panoptes/testing';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

/**
 * A reverse proxy on a free 127.0.0.1 port that forwards every request, path and query string
 * kept, to the same path under `base` with `X-Scope-OrgID` set: for clients that cannot send
 * headers (promtool 2.42's `query instant|series|labels`, amtool). Unlike `HeaderProxy` of
 * @panoptes/testing, which sends everything to one fixed URL (a remote-write endpoint), it
 * serves a whole API.
 */
export class TenantProxy implements PeerHandle {
  readonly name: string;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly base: URL,
  ) {
    this.name = `tenant-proxy:127.0.0.1:${port}->${base.host}`;
  }

  /** `base` like `http://127.0.0.1:8080` (no path); every request goes to base + its own path. */
  static async start(base: string, tenant: string): Promise<TenantProxy> {
    const baseUrl = new URL(base);
    const server = createServer((req, res) => {
      const headers: OutgoingHttpHeaders = { ...withoutHopByHop(req.headers), host: baseUrl.host, 'x-scope-orgid': tenant };
      const upstream = request(new URL(req.url ?? '/', baseUrl), { method: req.method, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, withoutHopByHop(up.headers));
        up.pipe(res);
      });
      upstream.on('error', (err) => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end(`tenant proxy could not reach ${baseUrl.href}: ${err.message}\n`);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('tenant proxy has no TCP address');
    const proxy = new TenantProxy(server, address.port, baseUrl);
    registerPeer(proxy);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    }).finally(() => unregisterPeer(this));
    return this.closing;
  }

  killNow(): void {
    this.server.closeAllConnections();
  }
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}
