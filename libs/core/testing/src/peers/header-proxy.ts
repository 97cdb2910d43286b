import { type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server, createServer, request } from 'node:http';
import { type PeerHandle, registerPeer, unregisterPeer } from './peer-registry';

/** Connection-level headers that a proxy must not forward. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

/**
 * A reverse proxy on a free 127.0.0.1 port that forwards every request to one fixed target URL
 * with extra headers set. Status, body and the other headers pass through unchanged, so the
 * sender's retry behaviour is unaffected. With `keepPath`, the target is a base instead: each
 * request goes to the target's host with its own path and query (`url` is the base's path on the
 * proxy), so the proxy fronts a whole API (a gateway adding `X-Scope-OrgID` for amtool 0.25 and promtool 2.42, which cannot).
 *
 * Why it exists: Debian's prometheus 2.42.0+ds parses `remote_write.headers` but never sends
 * them (prometheus/prometheus#13030, a packaging bug), and the write-path tests need
 * `X-Scope-OrgID`. `startPrometheus` puts one in front of each remote-write URL that has headers.
 */
export class HeaderProxy implements PeerHandle {
  readonly name: string;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly target: URL,
    private readonly keepPath: boolean,
  ) {
    this.name = `header-proxy:127.0.0.1:${port}->${target.host}`;
  }

  /** Starts a proxy that sends everything to `target` (or below it, with `keepPath`) with `headers` added (replacing same-named ones). */
  static async start(target: string, headers: Record<string, string>, options: { keepPath?: boolean } = {}): Promise<HeaderProxy> {
    const targetUrl = new URL(target);
    const keepPath = options.keepPath ?? false;
    const server = createServer((req, res) => {
      const forwarded: OutgoingHttpHeaders = { ...withoutHopByHop(req.headers), host: targetUrl.host };
      for (const [name, value] of Object.entries(headers)) forwarded[name.toLowerCase()] = value;
      // The proxy's URL carries the target's path, so a request's own path is the one to forward.
      const to = keepPath ? new URL(req.url ?? '/', targetUrl.origin) : targetUrl;
      const upstream = request(to, { method: req.method, headers: forwarded }, (up) => {
        res.writeHead(up.statusCode ?? 502, withoutHopByHop(up.headers));
        up.pipe(res);
      });
      upstream.on('error', (err) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res.writeHead(502).end(`header proxy could not reach ${targetUrl.href}: ${err.message}\n`);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('header proxy has no TCP address');
    const proxy = new HeaderProxy(server, address.port, targetUrl, keepPath);
    registerPeer(proxy);
    return proxy;
  }

  /** The URL to give the sender: the proxy's address with the target's path and query (with `keepPath`, the base path, no trailing slash). */
  get url(): string {
    if (this.keepPath) return `http://127.0.0.1:${this.port}${this.target.pathname.replace(/\/+$/, '')}`;
    return `http://127.0.0.1:${this.port}${this.target.pathname}${this.target.search}`;
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
