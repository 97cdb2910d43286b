import * as grpc from '@grpc/grpc-js';
import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import {
  FRONTEND_PROCESS_PATH,
  type FrontendToQuerier,
  type QuerierToFrontend,
  decodeQuerierToFrontend,
  encodeFrontendToQuerier,
} from './frontend-proto';
import type { QuerierWorkerPool, WorkerConnection } from './worker-pool';

const identity = (b: Buffer): Buffer => b;

/**
 * The server side of `panoptes.frontend.Frontend`: querier messages arrive as bytes and are decoded
 * in the handler, so a malformed one ends the stream with INVALID_ARGUMENT.
 */
export const frontendServiceDefinition = {
  Process: {
    path: FRONTEND_PROCESS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: encodeFrontendToQuerier,
    responseDeserialize: identity as unknown as (b: Buffer) => FrontendToQuerier,
  } satisfies grpc.MethodDefinition<Buffer, FrontendToQuerier>,
} satisfies grpc.ServiceDefinition;

/** What `registerFrontendService` needs of the server: `GrpcServer` of @panoptes/server (or a grpc-js `Server`). */
export interface GrpcServiceRegistry {
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void;
}

/**
 * Serves `Process` streams from querier workers into `pool`: the first message must name the
 * querier, then every message is a response to the request in flight. The stream's end, a
 * cancellation or a broken connection all make the worker leave the pool.
 */
export function registerFrontendService(server: GrpcServiceRegistry, pool: QuerierWorkerPool, logger: Logger): void {
  const process = (call: grpc.ServerDuplexStream<Buffer, FrontendToQuerier>): void => {
    // Headers right away: the querier counts the stream as connected (and resets its backoff).
    call.sendMetadata(new grpc.Metadata());
    let conn: WorkerConnection | undefined;
    let finished = false;
    const finish = (status?: { code: grpc.status; details: string }): void => {
      if (finished) return;
      finished = true;
      conn?.disconnected();
      conn = undefined;
      if (call.cancelled || call.destroyed) return;
      if (status) call.emit('error', Object.assign(new Error(status.details), status));
      else call.end();
    };
    call.on('data', (bytes: Buffer) => {
      if (finished) return;
      let msg: QuerierToFrontend;
      try {
        msg = decodeQuerierToFrontend(bytes);
      } catch (err) {
        logger.warn('malformed message from a querier; closing its stream', { err: errorMessage(err) });
        finish({ code: grpc.status.INVALID_ARGUMENT, details: errorMessage(err) });
        return;
      }
      if (!conn) {
        if (msg.kind !== 'hello') {
          finish({ code: grpc.status.INVALID_ARGUMENT, details: 'the first message of a Process stream must name the querier (querier_id)' });
          return;
        }
        conn = pool.connect(msg.querierId, {
          send: (m) => {
            if (finished || call.cancelled || call.destroyed) throw new Error('stream closed');
            call.write(m);
          },
          close: () => finish(),
        });
        if (!conn) finish({ code: grpc.status.UNAVAILABLE, details: 'the query-frontend is shutting down' });
        return;
      }
      if (msg.kind === 'hello') {
        finish({ code: grpc.status.INVALID_ARGUMENT, details: 'querier_id may only be sent in the first message of a Process stream' });
        return;
      }
      conn.respond(msg);
    });
    // The querier half-closed (it is leaving) or the call broke: either way the worker is gone.
    call.on('end', () => finish());
    call.on('cancelled', () => finish());
    call.on('error', () => finish());
    call.on('close', () => finish());
  };
  server.addService(frontendServiceDefinition, { Process: process as grpc.UntypedHandleCall });
}
