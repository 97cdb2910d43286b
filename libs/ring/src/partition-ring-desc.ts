import { ValidationError } from '@panoptes/common';
import { KvStore } from '@panoptes/kv';

/**
 * A partition's life (Mimir's partition ring):
 *
 *   PENDING ──(≥ minOwners owners, pending ≥ wait period)──▶ ACTIVE ──(scale down)──▶ INACTIVE ──▶ deleted
 *                                                              ▲                          │  (no owners left)
 *                                                              └──(scale-down undone)─────┘
 *
 * PENDING: created, not yet written to. ACTIVE: receives writes and reads. INACTIVE: receives no
 * new writes (its keys move to the other active partitions) but is still read until its data
 * has aged out; then its owners go away and it is deleted.
 */
export type PartitionState = 'PENDING' | 'ACTIVE' | 'INACTIVE';

/** ACTIVE: the owner consumes the partition. DELETED: it stopped owning it (kept for the status page). */
export type OwnerState = 'ACTIVE' | 'DELETED';

export interface PartitionDesc {
  state: PartitionState;
  /** When `state` last changed, milliseconds since the epoch. */
  stateChangedAtMs: number;
}

export interface PartitionOwnerDesc {
  ownerId: string;
  partitionId: number;
  state: OwnerState;
  /** When this entry last changed, milliseconds since the epoch. */
  updatedAtMs: number;
}

/** The partition ring as stored in the KV (JSON). */
export interface PartitionRingDesc {
  /** Partitions by id (a non-negative integer). */
  partitions: Record<number, PartitionDesc>;
  /** Owners by owner (instance) id. */
  owners: Record<string, PartitionOwnerDesc>;
}

/** Largest partition id: lookups pack the id into 20 bits next to a 32-bit token. */
export const MAX_PARTITION_ID = 0xfffff;

const PARTITION_STATES: readonly PartitionState[] = ['PENDING', 'ACTIVE', 'INACTIVE'];

export function emptyPartitionRingDesc(): PartitionRingDesc {
  return { partitions: {}, owners: {} };
}

export function encodePartitionRingDesc(desc: PartitionRingDesc): Buffer {
  return Buffer.from(JSON.stringify(desc));
}

/** Decodes the KV value; missing is an empty ring. Throws ValidationError on a corrupt value. */
export function decodePartitionRingDesc(value: Buffer | undefined): PartitionRingDesc {
  if (value === undefined || value.length === 0) return emptyPartitionRingDesc();
  let raw: Partial<PartitionRingDesc> | null;
  try {
    raw = JSON.parse(value.toString('utf8')) as Partial<PartitionRingDesc> | null;
  } catch (err) {
    throw corrupt(`not JSON (${(err as Error).message})`);
  }
  if (typeof raw?.partitions !== 'object' || typeof raw.owners !== 'object') {
    throw corrupt('"partitions" or "owners" is missing');
  }
  const desc = emptyPartitionRingDesc();
  for (const [key, p] of Object.entries(raw.partitions ?? {})) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id > MAX_PARTITION_ID || !PARTITION_STATES.includes(p?.state)) {
      throw corrupt(`partition ${key} is invalid`);
    }
    desc.partitions[id] = { state: p.state, stateChangedAtMs: Number(p.stateChangedAtMs ?? 0) };
  }
  for (const [ownerId, o] of Object.entries(raw.owners ?? {})) {
    if (!Number.isInteger(o?.partitionId) || (o.state !== 'ACTIVE' && o.state !== 'DELETED')) {
      throw corrupt(`owner ${ownerId} is invalid`);
    }
    desc.owners[ownerId] = { ownerId, partitionId: o.partitionId, state: o.state, updatedAtMs: Number(o.updatedAtMs ?? 0) };
  }
  return desc;
}

/** Ids of the partitions in one of `states`, ascending. */
export function partitionIds(desc: PartitionRingDesc, states?: readonly PartitionState[]): number[] {
  return Object.entries(desc.partitions)
    .filter(([, p]) => !states || states.includes(p.state))
    .map(([id]) => Number(id))
    .sort((a, b) => a - b);
}

/** Owners currently consuming a partition (state ACTIVE), sorted. */
export function activeOwners(desc: PartitionRingDesc, partitionId: number): string[] {
  return Object.values(desc.owners)
    .filter((o) => o.partitionId === partitionId && o.state === 'ACTIVE')
    .map((o) => o.ownerId)
    .sort();
}

// The mutators below change `desc` in place and say whether they changed anything, so a CAS can
// skip the write when nothing changed.

/** Adds a PENDING partition; false if it exists. */
export function createPartition(desc: PartitionRingDesc, id: number, nowMs: number): boolean {
  if (!Number.isInteger(id) || id < 0 || id > MAX_PARTITION_ID) {
    throw new ValidationError('invalid_partition', `partition id ${id} is not an integer between 0 and ${MAX_PARTITION_ID}`);
  }
  if (desc.partitions[id]) return false;
  desc.partitions[id] = { state: 'PENDING', stateChangedAtMs: nowMs };
  return true;
}

/** Makes `ownerId` an ACTIVE owner of `partitionId` (an owner owns one partition at a time). */
export function addPartitionOwner(desc: PartitionRingDesc, ownerId: string, partitionId: number, nowMs: number): boolean {
  const o = desc.owners[ownerId];
  if (o && o.partitionId === partitionId && o.state === 'ACTIVE') return false;
  desc.owners[ownerId] = { ownerId, partitionId, state: 'ACTIVE', updatedAtMs: nowMs };
  return true;
}

/** Marks `ownerId` DELETED: it no longer owns its partition. */
export function removePartitionOwner(desc: PartitionRingDesc, ownerId: string, nowMs: number): boolean {
  const o = desc.owners[ownerId];
  if (!o || o.state === 'DELETED') return false;
  desc.owners[ownerId] = { ...o, state: 'DELETED', updatedAtMs: nowMs };
  return true;
}

export interface ActivationRule {
  /** Owners a PENDING partition needs before it becomes ACTIVE. */
  minOwners: number;
  /** Time a partition stays PENDING at least, in milliseconds. */
  minPendingMs: number;
}

/** Switches a PENDING partition to ACTIVE when the rule allows it; false otherwise. */
export function activatePartitionIfReady(
  desc: PartitionRingDesc,
  id: number,
  nowMs: number,
  rule: ActivationRule,
): boolean {
  const p = desc.partitions[id];
  if (p?.state !== 'PENDING') return false;
  if (nowMs - p.stateChangedAtMs < rule.minPendingMs) return false;
  if (activeOwners(desc, id).length < Math.max(1, rule.minOwners)) return false;
  desc.partitions[id] = { state: 'ACTIVE', stateChangedAtMs: nowMs };
  return true;
}

const ALLOWED: Record<PartitionState, readonly PartitionState[]> = {
  PENDING: ['ACTIVE'],
  ACTIVE: ['INACTIVE'],
  INACTIVE: ['ACTIVE'],
};

/** Moves a partition along the state diagram; throws ValidationError for a missing partition or a forbidden move. */
export function setPartitionState(desc: PartitionRingDesc, id: number, state: PartitionState, nowMs: number): boolean {
  const p = desc.partitions[id];
  if (!p) throw new ValidationError('unknown_partition', `partition ${id} is not in the partition ring`);
  if (p.state === state) return false;
  if (!ALLOWED[p.state].includes(state)) {
    throw new ValidationError(
      'invalid_partition_state_change',
      `partition ${id} cannot go from ${p.state} to ${state}; allowed from ${p.state}: ${ALLOWED[p.state].join(', ')}`,
    );
  }
  desc.partitions[id] = { state, stateChangedAtMs: nowMs };
  return true;
}

/**
 * Deletes an INACTIVE partition that no owner consumes any more (with its DELETED owner entries).
 * Throws ValidationError otherwise, saying what must happen first.
 */
export function deletePartition(desc: PartitionRingDesc, id: number): boolean {
  const p = desc.partitions[id];
  if (!p) return false;
  if (p.state !== 'INACTIVE') {
    throw new ValidationError(
      'partition_not_inactive',
      `partition ${id} is ${p.state}; mark it INACTIVE and wait for its data to age out before deleting it`,
    );
  }
  const owners = activeOwners(desc, id);
  if (owners.length > 0) {
    throw new ValidationError(
      'partition_has_owners',
      `partition ${id} still has owners (${owners.join(', ')}); stop them before deleting the partition`,
    );
  }
  delete desc.partitions[id];
  for (const [ownerId, o] of Object.entries(desc.owners)) if (o.partitionId === id) delete desc.owners[ownerId];
  return true;
}

/**
 * Read-modify-write of the partition ring in the KV: `mutate` changes the decoded ring in place
 * and returns whether it changed anything (nothing is written otherwise). Returns the ring as
 * written (or as read when unchanged).
 */
export async function updatePartitionRing(
  kv: KvStore,
  key: string,
  mutate: (desc: PartitionRingDesc) => boolean,
): Promise<PartitionRingDesc> {
  let result = emptyPartitionRingDesc();
  await kv.cas(key, (value) => {
    const desc = decodePartitionRingDesc(value);
    result = desc;
    return mutate(desc) ? { value: encodePartitionRingDesc(desc) } : null;
  });
  return result;
}

function corrupt(what: string): ValidationError {
  return new ValidationError(
    'corrupt_partition_ring',
    `the partition ring stored in the KV is corrupt: ${what}; fix or delete the partition ring key`,
  );
}
