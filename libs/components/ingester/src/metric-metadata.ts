import { compareUtf8 } from '@panoptes/block-formats';
import { type Clock, SystemClock } from '@panoptes/common';
import type { MetricMetadata, MetricsMetadataRequest } from '@panoptes/ingester-client';

export interface MetricMetadataStoreConfig {
  /** How long a metadata entry is kept after it was last received, in milliseconds (Mimir's -ingester.metadata-retain-period). */
  retainPeriodMs: number;
}

export function defaultMetricMetadataStoreConfig(): MetricMetadataStoreConfig {
  return { retainPeriodMs: 10 * 60_000 };
}

interface Entry {
  type: number;
  help: string;
  unit: string;
  /** When it was last received, ms. */
  seenAt: number;
}

/**
 * One tenant's metric metadata on an ingester, as Mimir keeps it: per metric family the distinct
 * (type, help, unit) entries received through remote write, each until `retainPeriodMs` after it
 * was last received. Senders repeat metadata periodically (Prometheus: every
 * `metadata_config.send_interval`, 1m), so an entry whose help or type changed ages out while the
 * current one stays. Not in the WAL or snapshots: after a restart the next send brings it back (as
 * in Mimir). Expired entries are dropped when their family is written and on every read.
 */
export class MetricMetadataStore {
  private readonly families = new Map<string, Map<string, Entry>>();

  constructor(
    private readonly config: MetricMetadataStoreConfig = defaultMetricMetadataStoreConfig(),
    private readonly clock: Clock = new SystemClock(),
  ) {}

  /** Records one entry of `family` as received now; an empty family name is ignored. */
  add(family: string, type: number, help: string, unit: string): void {
    if (family === '') return;
    const now = this.clock.now();
    let entries = this.families.get(family);
    if (entries === undefined) this.families.set(family, (entries = new Map()));
    else this.expire(entries, now);
    const key = `${type}\u0000${unit}\u0000${help}`;
    const entry = entries.get(key);
    if (entry !== undefined) entry.seenAt = now;
    else entries.set(key, { type, help, unit, seenAt: now });
  }

  /** The newest retained entry of `family`, or undefined. */
  get(family: string): { type: number; help: string; unit: string } | undefined {
    if (family === '') return undefined;
    const [newest] = this.list({ limit: -1, limitPerMetric: 1, metric: family });
    return newest && { type: newest.type, help: newest.help, unit: newest.unit };
  }

  /** Metric families currently held. */
  get familyCount(): number {
    return this.families.size;
  }

  /**
   * Mimir's MetricsMetadata answer: families in ascending name (UTF-8) order, `limit` of them
   * counted from the first (negative: all; 0: none), each with at most `limitPerMetric` entries
   * (≤ 0: all), newest first; only `metric` when it is not "".
   */
  list(req: MetricsMetadataRequest): MetricMetadata[] {
    const now = this.clock.now();
    for (const [family, entries] of this.families) {
      this.expire(entries, now);
      if (entries.size === 0) this.families.delete(family);
    }
    const out: MetricMetadata[] = [];
    if (req.limit === 0) return out;
    const names = req.metric !== '' ? (this.families.has(req.metric) ? [req.metric] : []) : [...this.families.keys()].sort(compareUtf8);
    const count = req.limit > 0 ? Math.min(req.limit, names.length) : names.length;
    for (let i = 0; i < count; i++) {
      const entries = [...this.families.get(names[i])!.values()].sort((a, b) => b.seenAt - a.seenAt);
      const n = req.limitPerMetric > 0 ? Math.min(req.limitPerMetric, entries.length) : entries.length;
      for (let k = 0; k < n; k++) out.push({ metricFamilyName: names[i], type: entries[k].type, help: entries[k].help, unit: entries[k].unit });
    }
    return out;
  }

  private expire(entries: Map<string, Entry>, now: number): void {
    for (const [key, e] of entries) if (now - e.seenAt > this.config.retainPeriodMs) entries.delete(key);
  }
}
