import { type ApiHandler, type ApiMount, type ApiRequest, type ApiResponse, bytesResponse } from '@panoptes/server';
import { remoteWriteStatsHeaders } from '@panoptes/proto';
import { Distributor } from './distributor';

/** Prometheus remote write 1.0 and 2.0 (Mimir's path). */
export const REMOTE_WRITE_PATH = '/api/v1/push';
/** OTLP/HTTP metrics (protobuf or JSON, optionally gzip). */
export const OTLP_METRICS_PATH = '/otlp/v1/metrics';

const REQUEST_HEADERS = ['content-type', 'content-encoding'] as const;
const EMPTY_BODY = Buffer.alloc(0);

/**
 * The write endpoints as framework-free handlers on the HTTP server's plain router: no Express
 * routing or body parsing and no Nest execution context per request (a push is a hot path). Thin:
 * all work happens in `Distributor`. Typed errors thrown from here are mapped by the router
 * (400/401/413/415/429/503, 202 for HA deduplication).
 */
export class PushHandler implements ApiHandler {
  constructor(private readonly distributor: Distributor) {}

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const headers = { contentType: req.headers?.['content-type'], contentEncoding: req.headers?.['content-encoding'] };
    const body = req.body ?? EMPTY_BODY;
    if (req.path === OTLP_METRICS_PATH) {
      const result = await this.distributor.pushOtlpHttp(req.tenant, headers, body);
      return bytesResponse(result.status, result.contentType, [Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength)]);
    }
    const result = await this.distributor.pushRemoteWrite(req.tenant, headers, body);
    const stats = remoteWriteStatsHeaders(result.written);
    if (result.error) return { status: 400, contentType: 'text/plain', body: `${result.error.message}\n`, headers: stats };
    return { status: 204, contentType: 'text/plain', body: '', headers: stats };
  }
}

/**
 * The mounts of the write endpoints (both POST only, at the root like Mimir's): bodies up to
 * `maxBodyBytes` (413 above) reach the handler whole, whatever their Content-Type.
 */
export function pushApiMounts(distributor: Distributor, maxBodyBytes: number): ApiMount[] {
  const handler = new PushHandler(distributor);
  const mount = (path: string, what: string): ApiMount => ({
    prefixes: [''],
    paths: [path],
    handler,
    methods: ['POST'],
    requestHeaders: REQUEST_HEADERS,
    rawBody: { limitBytes: maxBodyBytes, what },
  });
  return [mount(REMOTE_WRITE_PATH, 'remote write request body'), mount(OTLP_METRICS_PATH, 'OTLP request body')];
}
