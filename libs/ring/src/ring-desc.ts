import { ValidationError } from '@panoptes/common';

/**
 * An instance's place in the ring, as in dskit:
 *
 *   PENDING ──▶ JOINING ──▶ ACTIVE ──▶ LEAVING ──▶ removed from the ring
 *                                          └──────▶ kept as LEAVING (unregisterOnShutdown=false)
 *
 * PENDING: known but holding no tokens yet. JOINING: has tokens, not yet serving. ACTIVE: serves
 * reads and writes. LEAVING: shutting down, still serves reads. LEFT: gone; a lifecycler reports
 * it locally after it removed its entry, it is never written to the ring.
 */
export type InstanceState = 'PENDING' | 'JOINING' | 'ACTIVE' | 'LEAVING' | 'LEFT';

export const INSTANCE_STATES: readonly InstanceState[] = ['PENDING', 'JOINING', 'ACTIVE', 'LEAVING', 'LEFT'];

export interface InstanceDesc {
  /** Address other components dial (host:port). */
  addr: string;
  /** Availability zone; empty when zones are not used. */
  zone: string;
  state: InstanceState;
  /** Ring tokens (uint32), sorted ascending, unique across the ring. */
  tokens: number[];
  /** Last heartbeat, milliseconds since the epoch. */
  heartbeatMs: number;
  /** When the instance first registered, milliseconds since the epoch. */
  registeredAtMs: number;
  /** Carried for compatibility with dskit's read-only mode; routing does not use it yet. */
  readOnly?: boolean;
}

/** The whole ring as stored in the KV (JSON). Each instance only ever writes its own entry. */
export interface RingDesc {
  instances: Record<string, InstanceDesc>;
}

export function emptyRingDesc(): RingDesc {
  return { instances: {} };
}

export function encodeRingDesc(desc: RingDesc): Buffer {
  return Buffer.from(JSON.stringify(desc));
}

/** Decodes the KV value; a missing value is an empty ring. Throws ValidationError on a corrupt value. */
export function decodeRingDesc(value: Buffer | undefined): RingDesc {
  if (value === undefined || value.length === 0) return emptyRingDesc();
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw corrupt(`not JSON (${(err as Error).message})`);
  }
  const instances = (raw as { instances?: unknown } | null)?.instances;
  if (typeof instances !== 'object' || instances === null) throw corrupt('no "instances" object');
  const desc = emptyRingDesc();
  for (const [id, entry] of Object.entries(instances as Record<string, unknown>)) {
    desc.instances[id] = validateInstance(id, entry);
  }
  return desc;
}

/** A copy of `desc` where only instance `id` changed: `fn` returns its new entry, or undefined to remove it. */
export function updateInstance(
  desc: RingDesc,
  id: string,
  fn: (current: InstanceDesc | undefined) => InstanceDesc | undefined,
): RingDesc {
  const next = fn(desc.instances[id]);
  const instances = { ...desc.instances };
  if (next === undefined) delete instances[id];
  else instances[id] = { ...next, tokens: [...next.tokens].sort((a, b) => a - b) };
  return { instances };
}

function validateInstance(id: string, entry: unknown): InstanceDesc {
  const e = entry as Partial<InstanceDesc> | null;
  if (typeof e !== 'object' || e === null) throw corrupt(`instance "${id}" is not an object`);
  if (!INSTANCE_STATES.includes(e.state as InstanceState)) throw corrupt(`instance "${id}" has state ${String(e.state)}`);
  const tokens = Array.isArray(e.tokens) ? e.tokens : [];
  for (const t of tokens) {
    if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) throw corrupt(`instance "${id}" has token ${String(t)}`);
  }
  const desc: InstanceDesc = {
    addr: String(e.addr ?? ''),
    zone: String(e.zone ?? ''),
    state: e.state as InstanceState,
    tokens: [...tokens].sort((a, b) => a - b),
    heartbeatMs: Number(e.heartbeatMs ?? 0),
    registeredAtMs: Number(e.registeredAtMs ?? 0),
  };
  if (e.readOnly) desc.readOnly = true;
  return desc;
}

function corrupt(what: string): ValidationError {
  return new ValidationError(
    'corrupt_ring',
    `the ring stored in the KV is corrupt: ${what}; fix or delete the ring key so instances re-register`,
  );
}
