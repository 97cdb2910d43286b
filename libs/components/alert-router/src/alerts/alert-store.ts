import { type Alert, fingerprint, mergeAlerts, resolvedAt } from './alert';

export type AlertState = 'unprocessed' | 'active' | 'suppressed';

/** What the API shows as an alert's `status`. */
export interface AlertStatus {
  state: AlertState;
  /** Active silences muting it, sorted. */
  silencedBy: string[];
  /** Fingerprints of alerts inhibiting it. */
  inhibitedBy: string[];
}

/**
 * One tenant's alerts by fingerprint, with their muting status (Alertmanager's provider/mem plus
 * types.Marker). New and updated alerts are merged with the stored one when their activity
 * overlaps, then pushed to every subscriber (the dispatcher and the inhibitor).
 *
 * Invariant: a stored alert always has endsAt set; resolved alerts stay until gc() so the
 * dispatcher can send their resolved notification.
 */
export class AlertStore {
  private readonly alerts = new Map<string, Alert>();
  private readonly status = new Map<string, AlertStatus>();
  private readonly listeners = new Set<(alert: Alert, fp: string) => void>();

  constructor(private readonly now: () => number) {}

  /** Stores the alerts (merging with what is there) and notifies subscribers of each. */
  put(alerts: readonly Alert[]): void {
    const now = this.now();
    for (const incoming of alerts) {
      const fp = fingerprint(incoming.labels);
      const old = this.alerts.get(fp);
      let alert = incoming;
      if (old && ((incoming.endsAt > old.startsAt && incoming.endsAt < old.endsAt) || (incoming.startsAt > old.startsAt && incoming.startsAt < old.endsAt))) {
        alert = mergeAlerts(old, incoming, now);
      }
      this.alerts.set(fp, alert);
      for (const l of this.listeners) l(alert, fp);
    }
  }

  get(fp: string): Alert | undefined {
    return this.alerts.get(fp);
  }

  /** Every stored alert, resolved ones included. */
  list(): [string, Alert][] {
    return [...this.alerts.entries()];
  }

  get size(): number {
    return this.alerts.size;
  }

  /** Calls `fn` with every stored alert now and every alert put from now on; returns an unsubscribe. */
  subscribe(fn: (alert: Alert, fp: string) => void): () => void {
    for (const [fp, a] of this.alerts) fn(a, fp);
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Drops resolved alerts and their status; returns how many were dropped. */
  gc(): number {
    const now = this.now();
    let dropped = 0;
    for (const [fp, a] of this.alerts) {
      if (resolvedAt(a, now)) {
        this.alerts.delete(fp);
        this.status.delete(fp);
        dropped++;
      }
    }
    return dropped;
  }

  statusOf(fp: string): AlertStatus {
    return this.status.get(fp) ?? { state: 'unprocessed', silencedBy: [], inhibitedBy: [] };
  }

  setSilencedBy(fp: string, ids: string[]): void {
    const s = this.statusOf(fp);
    this.setStatus(fp, ids, s.inhibitedBy);
  }

  setInhibitedBy(fp: string, fps: string[]): void {
    const s = this.statusOf(fp);
    this.setStatus(fp, s.silencedBy, fps);
  }

  private setStatus(fp: string, silencedBy: string[], inhibitedBy: string[]): void {
    const state: AlertState = silencedBy.length > 0 || inhibitedBy.length > 0 ? 'suppressed' : 'active';
    this.status.set(fp, { state, silencedBy, inhibitedBy });
  }
}
