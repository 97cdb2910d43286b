import { ValidationError } from '@panoptes/common';

/** Which integration of which receiver a notification went to. */
export interface NflogReceiver {
  /** Receiver name. */
  groupName: string;
  /** Integration type, e.g. `webhook`. */
  integration: string;
  /** Position among the receiver's integrations of that type. */
  idx: number;
}

/** What was last sent to one receiver integration for one aggregation group. */
export interface NflogEntry {
  groupKey: string;
  receiver: NflogReceiver;
  /** ms since the epoch. */
  timestamp: number;
  /** Label hashes of the alerts notified as firing / resolved. */
  firingAlerts: string[];
  resolvedAlerts: string[];
  /** When the entry may be deleted, ms. */
  expiresAt: number;
}

export interface NflogConfig {
  /** How long an entry is kept after it was written, ms (Alertmanager's --data.retention). */
  retentionMs: number;
}

export function defaultNflogConfig(): NflogConfig {
  return { retentionMs: 120 * 3600_000 };
}

const SNAPSHOT_VERSION = 1;

function stateKey(groupKey: string, r: NflogReceiver): string {
  return `${groupKey}:${r.groupName}/${r.integration}/${r.idx}`;
}

/**
 * One tenant's notification log (Alertmanager's nflog): the last notification per group key and
 * receiver integration. The dispatcher's dedup stage reads it so that a restarted or second
 * replica does not resend what was already sent; it survives restarts through snapshot/restore.
 */
export class NotificationLog {
  private readonly entries = new Map<string, NflogEntry>();

  constructor(
    private readonly config: NflogConfig,
    private readonly now: () => number,
    /**
     * Called with every entry stored: `local` for one logged here after a notification (the
     * alert-router persists and replicates it), not `local` for one merged from a snapshot or a
     * peer (only persisted).
     */
    private readonly onChange: (entry: NflogEntry, local: boolean) => void = () => undefined,
  ) {}

  log(receiver: NflogReceiver, groupKey: string, firingAlerts: string[], resolvedAlerts: string[]): void {
    const now = this.now();
    const entry = { groupKey, receiver, timestamp: now, firingAlerts, resolvedAlerts, expiresAt: now + this.config.retentionMs };
    this.entries.set(stateKey(groupKey, receiver), entry);
    this.onChange(entry, true);
  }

  query(receiver: NflogReceiver, groupKey: string): NflogEntry | undefined {
    return this.entries.get(stateKey(groupKey, receiver));
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every entry. */
  list(): NflogEntry[] {
    return [...this.entries.values()];
  }

  /** Deletes expired entries; returns how many. */
  gc(): number {
    const now = this.now();
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.expiresAt <= now) {
        this.entries.delete(k);
        n++;
      }
    }
    return n;
  }

  snapshot(): Buffer {
    return Buffer.from(JSON.stringify({ version: SNAPSHOT_VERSION, entries: [...this.entries.values()] }));
  }

  /** Loads a snapshot, keeping the newer entry where both have one (restart and peer merge alike). */
  restore(bytes: Buffer): void {
    const parsed = JSON.parse(bytes.toString('utf8')) as { version?: number; entries?: NflogEntry[] };
    if (parsed.version !== SNAPSHOT_VERSION || !Array.isArray(parsed.entries)) {
      throw new ValidationError('bad_nflog_snapshot', `notification log snapshot version ${String(parsed.version)} is not ${SNAPSHOT_VERSION}; it was written by an incompatible Panoptes version`);
    }
    this.merge(parsed.entries);
  }

  /**
   * Merges entries from a snapshot or another replica, keeping the newer entry per group key and
   * receiver integration (idempotent, order-free). Returns how many changed.
   */
  merge(entries: readonly NflogEntry[]): number {
    let n = 0;
    for (const e of entries) {
      const key = stateKey(e.groupKey, e.receiver);
      const mine = this.entries.get(key);
      if (mine && mine.timestamp >= e.timestamp) continue;
      this.entries.set(key, e);
      this.onChange(e, false);
      n++;
    }
    return n;
  }
}
