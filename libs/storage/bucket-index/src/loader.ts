import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Bucket } from '@panoptes/bucket';
import { Clock } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { BucketIndex, readBucketIndex } from './bucket-index';
import { BucketIndexTooOldError, isBucketIndexNotFound } from './errors';

export interface BucketIndexLoaderConfig {
  /** Re-read a tenant's cached index from the bucket once it was fetched this long ago, ms. */
  updateIntervalMs: number;
  /** After a failed read (other than "no index"), retry no sooner than this, ms. */
  updateOnErrorIntervalMs: number;
  /** Drop a tenant's cached index when no request asked for it for this long, ms. */
  idleTimeoutMs: number;
  /** Refuse an index the compactor wrote longer ago than this (its `updatedAt`), ms; 0 disables the check. */
  maxStalePeriodMs: number;
}

/**
 * Mimir's defaults: `-blocks-storage.bucket-store.sync-interval` (15m),
 * `…bucket-index.update-on-error-interval` (1m), `…bucket-index.idle-timeout` (1h),
 * `…bucket-index.max-stale-period` (1h).
 */
export function defaultBucketIndexLoaderConfig(): BucketIndexLoaderConfig {
  return {
    updateIntervalMs: 15 * 60_000,
    updateOnErrorIntervalMs: 60_000,
    idleTimeoutMs: 60 * 60_000,
    maxStalePeriodMs: 60 * 60_000,
  };
}

/*
 * A tenant's cache entry:
 *
 *   (absent) --getIndex--> loading --ok--------> index      --updateIntervalMs--------> loading
 *                                  --no index--> not found  --updateIntervalMs--------> loading
 *                                  --error-----> error      --updateOnErrorIntervalMs--> loading
 *   any state not loading --idleTimeoutMs without a getIndex--> (absent)
 *
 * A failed reload keeps the last good index ("error" with an index): it is served while its
 * `updatedAt` is within maxStalePeriodMs. "not found" drops any previous index (the tenant's data
 * was deleted).
 */
interface Entry {
  index?: BucketIndex;
  /** The last read's error: a BucketIndexNotFoundError or a failure. */
  error?: unknown;
  /** When the last read finished (clock ms); undefined before the first one. */
  loadedAt?: number;
  requestedAt: number;
  loading?: Promise<void>;
}

/**
 * The read side of the bucket index for queriers and rulers: Mimir's `bucketindex.Loader`, kept
 * lazy. `getIndex` loads a tenant's index on first use and caches it; a later call re-reads it
 * when the cached copy was fetched `updateIntervalMs` ago (the caller waits for that one GET;
 * concurrent callers share it). No timers: idle entries are dropped during calls, so there is
 * nothing to start or stop.
 *
 * Returned indexes are frozen and shared between callers.
 */
export class BucketIndexLoader {
  private readonly entries = new Map<string, Entry>();
  private lastSweep: number;
  private readonly loads: Counter;
  private readonly failures: Counter;
  private readonly duration: Histogram;
  private readonly loaded: Gauge;

  constructor(
    private readonly config: BucketIndexLoaderConfig,
    private readonly bucket: Bucket,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.lastSweep = clock.now();
    // Shared per registry: the querier and the ruler each have a loader in an all-in-one process.
    this.loads = metricIn(registry, 'panoptes_bucket_index_loads_total', () =>
      new Counter({
        name: 'panoptes_bucket_index_loads_total',
        help: 'Bucket index reads from object storage.',
        registers: [registry],
      }),
    );
    this.failures = metricIn(registry, 'panoptes_bucket_index_load_failures_total', () =>
      new Counter({
        name: 'panoptes_bucket_index_load_failures_total',
        help: 'Bucket index reads that failed (a tenant without an index is not a failure).',
        registers: [registry],
      }),
    );
    this.duration = metricIn(registry, 'panoptes_bucket_index_load_duration_seconds', () =>
      new Histogram({
        name: 'panoptes_bucket_index_load_duration_seconds',
        help: 'Time to read and decode one bucket index.',
        buckets: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 5, 10],
        registers: [registry],
      }),
    );
    this.loaded = metricIn(registry, 'panoptes_bucket_index_loaded', () =>
      new Gauge({ name: 'panoptes_bucket_index_loaded', help: 'Bucket indexes held in memory.', registers: [registry] }),
    );
  }

  /**
   * The tenant's index. Throws `BucketIndexNotFoundError` when the tenant has none (callers treat
   * that as "no blocks"), `BucketIndexTooOldError` when the newest index available is older than
   * maxStalePeriodMs, and the read's error (`BucketIndexCorruptError`, `UnavailableError`) when no
   * usable index was ever loaded.
   */
  async getIndex(tenant: string): Promise<BucketIndex> {
    const now = this.clock.now();
    let entry = this.entries.get(tenant);
    if (!entry) {
      entry = { requestedAt: now };
      this.entries.set(tenant, entry);
    }
    // Before the sweep, so the entry asked for is never the one dropped as idle.
    entry.requestedAt = now;
    this.sweepIdle(now);
    if (entry.loading) await entry.loading;
    else if (this.isDue(entry, now)) await this.load(tenant, entry);
    return this.serve(tenant, entry);
  }

  /** Tenants with a cached entry (an index, "not found" or an error). */
  cachedTenants(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** Drops entries not requested for idleTimeoutMs. Also runs during getIndex. */
  evictIdle(): void {
    const now = this.clock.now();
    this.lastSweep = now;
    for (const [tenant, entry] of this.entries) {
      if (entry.loading || now - entry.requestedAt < this.config.idleTimeoutMs) continue;
      this.entries.delete(tenant);
      if (entry.index) this.loaded.dec();
      this.logger.debug('unloaded bucket index', { tenant, reason: 'idle' });
    }
  }

  // A full sweep at most every tenth of the idle timeout: entries leave within 1.1 × idleTimeoutMs.
  private sweepIdle(now: number): void {
    if (now - this.lastSweep >= Math.max(1, this.config.idleTimeoutMs / 10)) this.evictIdle();
  }

  private isDue(entry: Entry, now: number): boolean {
    if (entry.loadedAt === undefined) return true;
    const failed = entry.error !== undefined && !isBucketIndexNotFound(entry.error);
    return now - entry.loadedAt >= (failed ? this.config.updateOnErrorIntervalMs : this.config.updateIntervalMs);
  }

  private load(tenant: string, entry: Entry): Promise<void> {
    entry.loading ??= this.read(tenant, entry).finally(() => {
      entry.loading = undefined;
    });
    return entry.loading;
  }

  private async read(tenant: string, entry: Entry): Promise<void> {
    const start = this.clock.now();
    this.loads.inc();
    const hadIndex = entry.index !== undefined;
    try {
      entry.index = deepFreeze(await readBucketIndex(this.bucket, tenant));
      entry.error = undefined;
      this.duration.observe((this.clock.now() - start) / 1000);
    } catch (err) {
      entry.error = err;
      if (isBucketIndexNotFound(err)) {
        entry.index = undefined;
        this.logger.debug('bucket index not found', { tenant });
      } else {
        this.failures.inc();
        this.logger.warn('unable to load bucket index', { tenant, err, servingPrevious: entry.index !== undefined });
      }
    }
    entry.loadedAt = this.clock.now();
    if (!hadIndex && entry.index) this.loaded.inc();
    if (hadIndex && !entry.index) this.loaded.dec();
  }

  private serve(tenant: string, entry: Entry): BucketIndex {
    const { index } = entry;
    if (!index) throw entry.error;
    const now = this.clock.now();
    if (this.config.maxStalePeriodMs > 0 && now - index.updatedAt > this.config.maxStalePeriodMs) {
      throw new BucketIndexTooOldError(tenant, index.updatedAt, this.config.maxStalePeriodMs, now);
    }
    return index;
  }
}

function metricIn<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

function deepFreeze(index: BucketIndex): BucketIndex {
  for (const b of index.blocks) {
    if (b.labels) Object.freeze(b.labels);
    if (b.stats) Object.freeze(b.stats);
    Object.freeze(b);
  }
  for (const m of index.blockDeletionMarks) Object.freeze(m);
  Object.freeze(index.blocks);
  Object.freeze(index.blockDeletionMarks);
  return Object.freeze(index);
}
