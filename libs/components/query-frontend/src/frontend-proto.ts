import { ValidationError, errorMessage } from '@panoptes/common';
import * as protobuf from 'protobufjs';

/**
 * The query-frontend's gRPC contract with the queriers that pull work from it (Mimir's
 * `frontendv1pb.Frontend/Process`; the messages are our own). Kept as text inside the code so
 * the compiled `dist/` needs no .proto file beside it.
 *
 * Field numbers are the wire contract: never renumber or reuse one, only add.
 */
export const FRONTEND_PROTO = `
syntax = "proto3";

// service Frontend (package panoptes.frontend):
//   rpc Process(stream QuerierToFrontend) returns (stream FrontendToQuerier);
// A querier worker opens one Process stream per frontend and keeps it open. Its first message
// names the querier (querier_id, nothing else). From then on the frontend sends one request at a
// time down an idle stream and the worker answers it with a response carrying the same id. The
// frontend may send a cancel for the request in flight; the worker still answers it (its answer
// frees the stream). Either side ends the stream to leave: the worker half-closes only while no
// request is in flight.
package panoptes.frontend;

message FrontendToQuerier {
  // Unique per stream while in flight.
  uint32 id = 1;
  string tenant = 2;
  // The query API path without any prefix, e.g. /api/v1/query_range.
  string path = 3;
  // GET or POST.
  string method = 4;
  // Query-string and form parameters together, urlencoded (repeated keys kept).
  string params = 5;
  // Set on a message that cancels request id; the other fields are then empty.
  bool cancel = 6;
}

message QuerierToFrontend {
  // Set on the first message of a stream only.
  string querier_id = 1;
  uint32 id = 2;
  uint32 status = 3;
  string content_type = 4;
  bytes body = 5;
  map<string, string> headers = 6;
}
`;

export const FRONTEND_SERVICE_NAME = 'panoptes.frontend.Frontend';
export const FRONTEND_PROCESS_PATH = `/${FRONTEND_SERVICE_NAME}/Process`;

export const REASON_MALFORMED_FRONTEND_MESSAGE = 'malformed_frontend_message';

/** A query the frontend hands to a querier worker. */
export interface WorkRequest {
  id: number;
  tenant: string;
  path: string;
  method: 'GET' | 'POST';
  /** urlencoded */
  params: string;
}

/** What the frontend sends down a worker's stream. */
export type FrontendToQuerier = ({ kind: 'request' } & WorkRequest) | { kind: 'cancel'; id: number };

/** A querier's answer to request `id`. */
export interface WorkResponse {
  id: number;
  status: number;
  contentType: string;
  body: string;
  headers: Record<string, string>;
}

/** What a worker sends up its stream: the hello naming the querier, then responses. */
export type QuerierToFrontend = { kind: 'hello'; querierId: string } | ({ kind: 'response' } & WorkResponse);

// Parsed once per process; protobufjs' encoders/decoders are plain functions, safe to share.
const root = protobuf.parse(FRONTEND_PROTO, { keepCase: false }).root;
const frontendToQuerierType = root.lookupType('panoptes.frontend.FrontendToQuerier');
const querierToFrontendType = root.lookupType('panoptes.frontend.QuerierToFrontend');

interface PbFrontendToQuerier {
  id: number;
  tenant: string;
  path: string;
  method: string;
  params: string;
  cancel: boolean;
}

interface PbQuerierToFrontend {
  querierId: string;
  id: number;
  status: number;
  contentType: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

function decodeWith<T>(type: protobuf.Type, bytes: Uint8Array): T {
  try {
    return type.decode(bytes) as unknown as T;
  } catch (err) {
    throw new ValidationError(REASON_MALFORMED_FRONTEND_MESSAGE, `malformed ${type.name} message: ${errorMessage(err)}`);
  }
}

export function encodeFrontendToQuerier(m: FrontendToQuerier): Buffer {
  const pb = m.kind === 'cancel' ? { id: m.id, cancel: true } : { id: m.id, tenant: m.tenant, path: m.path, method: m.method, params: m.params };
  return frontendToQuerierType.encode(pb).finish() as Buffer;
}

export function decodeFrontendToQuerier(bytes: Uint8Array): FrontendToQuerier {
  const m = decodeWith<PbFrontendToQuerier>(frontendToQuerierType, bytes);
  if (m.cancel) return { kind: 'cancel', id: m.id };
  if (m.method !== 'GET' && m.method !== 'POST') {
    throw new ValidationError(REASON_MALFORMED_FRONTEND_MESSAGE, `request ${m.id} has method ${JSON.stringify(m.method)}; only GET and POST are sent`);
  }
  return { kind: 'request', id: m.id, tenant: m.tenant, path: m.path, method: m.method, params: m.params };
}

export function encodeQuerierToFrontend(m: QuerierToFrontend): Buffer {
  const pb =
    m.kind === 'hello'
      ? { querierId: m.querierId }
      : { id: m.id, status: m.status, contentType: m.contentType, body: Buffer.from(m.body, 'utf8'), headers: m.headers };
  return querierToFrontendType.encode(pb).finish() as Buffer;
}

export function decodeQuerierToFrontend(bytes: Uint8Array): QuerierToFrontend {
  const m = decodeWith<PbQuerierToFrontend>(querierToFrontendType, bytes);
  if (m.querierId !== '') return { kind: 'hello', querierId: m.querierId };
  const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength).toString('utf8');
  return { kind: 'response', id: m.id, status: m.status, contentType: m.contentType, body, headers: { ...m.headers } };
}
