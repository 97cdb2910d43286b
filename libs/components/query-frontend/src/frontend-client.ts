import * as grpc from '@grpc/grpc-js';
import { errorMessage } from '@panoptes/common';
import {
  FRONTEND_PROCESS_PATH,
  type FrontendToQuerier,
  type WorkRequest,
  type WorkResponse,
  decodeFrontendToQuerier,
  encodeQuerierToFrontend,
} from './frontend-proto';

export interface FrontendClientConfig {
  /** Largest message sent to the frontend (a query result), bytes. */
  maxSendMessageBytes: number;
  /** Largest message received from the frontend (a request), bytes. */
  maxRecvMessageBytes: number;
  /** Interval of HTTP/2 pings on the connection, so a frontend that vanished is noticed, ms. */
  keepaliveTimeMs: number;
  /** A ping unanswered this long closes the connection, ms. */
  keepaliveTimeoutMs: number;
}

export function defaultFrontendClientConfig(): FrontendClientConfig {
  return { maxSendMessageBytes: 100 * 1024 * 1024, maxRecvMessageBytes: 100 * 1024 * 1024, keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 5_000 };
}

/** What a worker hears on its stream. */
export interface WorkStreamHandlers {
  /** The frontend accepted the stream. */
  connected(): void;
  request(req: WorkRequest): void;
  /** The frontend no longer wants the answer to request `id` (its client left); answer it anyway. */
  cancel(id: number): void;
  /** The stream is over: ended by the frontend (no error) or broken. Called once. */
  closed(err?: Error): void;
}

/** A worker's end of its stream. */
export interface WorkStream {
  respond(res: WorkResponse): void;
  /** Half-closes: this worker takes no more requests; `closed` follows once the frontend ends the stream. */
  end(): void;
  /** Tears the stream down at once. */
  cancel(): void;
}

const identity = (b: Buffer): Buffer => b;

/**
 * A querier's connection to one query-frontend (one channel, with keepalive), on which its
 * workers each open a `Process` stream. Used by the querier's workers; lives beside the server
 * because the contract is the frontend's.
 */
export class FrontendClient {
  private readonly client: grpc.Client;

  constructor(
    readonly address: string,
    config: FrontendClientConfig = defaultFrontendClientConfig(),
  ) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': config.maxSendMessageBytes,
      'grpc.max_receive_message_length': config.maxRecvMessageBytes,
      'grpc.keepalive_time_ms': config.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': config.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      // Each client owns its connection: closing one (the address left DNS) must not affect another.
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** Opens a worker stream announcing `querierId`. */
  process(querierId: string, handlers: WorkStreamHandlers): WorkStream {
    const call = this.client.makeBidiStreamRequest<Buffer, Buffer>(FRONTEND_PROCESS_PATH, identity, identity, new grpc.Metadata(), {});
    let closed = false;
    let ended = false;
    const close = (err?: Error): void => {
      if (closed) return;
      closed = true;
      handlers.closed(err);
    };
    // 'status' always follows (and reports the same failure); this listener only keeps an
    // 'error' event from being thrown.
    call.on('error', () => undefined);
    call.on('status', (s: grpc.StatusObject) => close(s.code === grpc.status.OK ? undefined : new Error(`${grpc.status[s.code] ?? s.code}: ${s.details}`)));
    call.on('metadata', () => {
      if (!closed) handlers.connected();
    });
    call.on('data', (bytes: Buffer) => {
      if (closed) return;
      let msg: FrontendToQuerier;
      try {
        msg = decodeFrontendToQuerier(bytes);
      } catch (err) {
        close(new Error(`malformed message from query-frontend ${this.address}: ${errorMessage(err)}`));
        call.cancel();
        return;
      }
      if (msg.kind === 'cancel') handlers.cancel(msg.id);
      else handlers.request({ id: msg.id, tenant: msg.tenant, path: msg.path, method: msg.method, params: msg.params });
    });
    call.write(encodeQuerierToFrontend({ kind: 'hello', querierId }));
    return {
      respond: (res) => {
        if (!closed && !ended) call.write(encodeQuerierToFrontend({ kind: 'response', ...res }));
      },
      end: () => {
        if (closed || ended) return;
        ended = true;
        call.end();
      },
      cancel: () => call.cancel(),
    };
  }

  close(): void {
    this.client.close();
  }
}
