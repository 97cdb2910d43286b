import { ValidationError } from '@panoptes/common';
import type { Alert } from '../alerts/alert';
import type { NflogEntry } from '../nflog/nflog';
import type { Silence } from '../silences/silences';

/**
 * Part of one tenant's state as it travels between the alert-routers of the tenant's replication
 * set: alerts as stored (completed, fingerprinted by their labels), silences and notification log
 * entries whole. Applying a delta is a merge (alerts as a POST does, silences by `updatedAt`, log
 * entries by `timestamp`), so it is idempotent and a late or repeated delta does no harm.
 */
export interface TenantStateDelta {
  alerts: Alert[];
  silences: Silence[];
  nflog: NflogEntry[];
}

/** A tenant's whole state on one instance, as a pull answers it. */
export interface TenantStateSnapshot extends TenantStateDelta {
  /** Whether the answering instance was sending the tenant's notifications when it answered. */
  dispatching: boolean;
}

export function emptyTenantStateDelta(): TenantStateDelta {
  return { alerts: [], silences: [], nflog: [] };
}

/**
 * What the AlertRouter needs of its replication set: which instance sends, and a way to push
 * changes to and pull state from the other members. The HTTP implementation is AlertRouterPeers;
 * without one every tenant is sent from this instance and nothing is replicated.
 */
export interface TenantReplication {
  /** Whether this instance sends the tenant's notifications now (the first member of its set, or no ring to ask). */
  isSender(tenant: string): boolean;
  /** Pushes a change made here to the tenant's other members; resolves once each took it or failed (failures are logged, never thrown). */
  replicate(tenant: string, delta: TenantStateDelta): Promise<void>;
  /** Pushes to the given members only; resolves to the IDs that failed. */
  pushTo(tenant: string, delta: TenantStateDelta, to: readonly string[]): Promise<string[]>;
  /** The tenant's state on each other member that holds it (members that fail or do not hold it are left out). */
  pull(tenant: string): Promise<TenantStateSnapshot[]>;
}

const VERSION = 1;

/** JSON body of a push (a delta) or of a pull's answer (a snapshot). */
export function encodeTenantState(state: TenantStateDelta | TenantStateSnapshot): string {
  return JSON.stringify({ version: VERSION, ...state });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): boolean {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

function checkAlert(v: unknown): string | undefined {
  if (!isRecord(v) || !isStringMap(v.labels) || !isStringMap(v.annotations)) return 'an alert needs labels and annotations maps';
  if (typeof v.startsAt !== 'number' || typeof v.endsAt !== 'number' || typeof v.updatedAt !== 'number') return 'an alert needs numeric startsAt, endsAt and updatedAt';
  if (typeof v.generatorURL !== 'string' || typeof v.timeout !== 'boolean') return 'an alert needs generatorURL and timeout';
  return undefined;
}

function checkSilence(v: unknown): string | undefined {
  if (!isRecord(v) || typeof v.id !== 'string' || !Array.isArray(v.matchers)) return 'a silence needs an id and matchers';
  if (typeof v.startsAt !== 'number' || typeof v.endsAt !== 'number' || typeof v.updatedAt !== 'number') return 'a silence needs numeric startsAt, endsAt and updatedAt';
  return undefined;
}

function checkNflogEntry(v: unknown): string | undefined {
  if (!isRecord(v) || typeof v.groupKey !== 'string' || !isRecord(v.receiver)) return 'a notification log entry needs a groupKey and a receiver';
  if (typeof v.timestamp !== 'number' || typeof v.expiresAt !== 'number' || !Array.isArray(v.firingAlerts) || !Array.isArray(v.resolvedAlerts)) return 'a notification log entry needs timestamp, expiresAt, firingAlerts and resolvedAlerts';
  return undefined;
}

/** Parses a push or pull body; throws ValidationError naming what is wrong. */
export function decodeTenantState(text: string): TenantStateSnapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ValidationError('bad_replicated_state', `replicated alert-router state is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(parsed) || parsed.version !== VERSION) {
    throw new ValidationError('bad_replicated_state', `replicated alert-router state has version ${String(isRecord(parsed) ? parsed.version : undefined)}, not ${VERSION}: the alert-routers of the ring run incompatible Panoptes versions; finish the rollout`);
  }
  const lists = [
    ['alerts', checkAlert],
    ['silences', checkSilence],
    ['nflog', checkNflogEntry],
  ] as const;
  for (const [key, check] of lists) {
    const items = parsed[key] ?? [];
    if (!Array.isArray(items)) throw new ValidationError('bad_replicated_state', `replicated alert-router state: ${key} must be an array`);
    for (const item of items) {
      const problem = check(item);
      if (problem) throw new ValidationError('bad_replicated_state', `replicated alert-router state: ${problem}`);
    }
  }
  return {
    alerts: (parsed.alerts ?? []) as Alert[],
    silences: (parsed.silences ?? []) as Silence[],
    nflog: (parsed.nflog ?? []) as NflogEntry[],
    dispatching: parsed.dispatching === true,
  };
}
