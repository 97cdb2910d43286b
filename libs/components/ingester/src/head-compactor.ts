import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Clock, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { parseMeta } from '@panoptes/block-formats';
import { BlockShipper, tenantExternalLabels } from './shipper';
import { TenantDb } from './tenant-db';

export interface HeadCompactorConfig {
  /** Length of the blocks cut from the heads, in ms (2h). */
  blockRangeMs: number;
  /** How long data stays in a head after its block was uploaded, in ms. */
  retentionPeriodMs: number;
}

/** What one compaction pass did. */
export interface CompactionResult {
  blocksCut: number;
  blocksShipped: number;
  shipFailures: number;
}

/**
 * Cuts blocks from the tenants' heads, uploads them and truncates the heads (Mimir's head
 * compaction + shipper loop).
 *
 * - Every block starts where the last one cut ended (the cut end), so no sample is in two blocks.
 *   A block range [k·R, (k+1)·R) is cut, from the cut end or its start, once it is closed for
 *   appends: the head's newest sample is at least R/2 past its end (the head refuses samples
 *   older than maxTime − R/2), so no sample can arrive for it afterwards.
 * - A forced pass (`/ingester/flush`, shutdown after prepare-shutdown) also cuts the open range,
 *   up to just after the head's newest sample: [cut end, maxTime + 1), as Mimir's forced
 *   compaction does. The head then refuses samples older than that end and keeps accepting newer
 *   ones (into chunks that start there); the next normal cut of that range holds only the rest of
 *   it. A forced pass does not truncate: the flushed data stays queryable from the head for the
 *   retention period, like after a normal cut.
 * - The cut end is remembered per tenant and recovered at start-up from the local blocks: a local
 *   block's maxTime (last sample + 1) is at most the end of its cut, and nothing the head held in
 *   between was left out of it. After the ingest log
 *   is replayed, `markCuts` tells the heads (a snapshot older than the cut does not know it), so
 *   replayed samples stay queryable but are never cut a second time.
 * - A head is truncated at the cut end only once every local block of the tenant is uploaded and
 *   the retention period has passed: until then queries still find the data in the head (the
 *   querier dedupes samples found in both the head and a block). Local blocks are removed once
 *   uploaded and truncated from the head.
 *
 * Local blocks are durable on disk: together with the head snapshot they hold everything, so a
 * crash between cutting, uploading and truncating loses nothing (the next pass resumes).
 *
 * Deviation from Mimir: Mimir's forced compaction truncates the head at once and serves the
 * flushed data from the ingester's local blocks until the retention period; our ingester queries
 * only heads, so the head keeps the data instead.
 */
export class HeadCompactor {
  private readonly cutUpTo = new Map<string, number>();
  private running: Promise<CompactionResult> | undefined;

  constructor(
    private readonly config: HeadCompactorConfig,
    private readonly shipper: BlockShipper,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Removes half-written local blocks and learns which ranges were cut before a restart. */
  async init(): Promise<void> {
    await this.shipper.cleanupIncomplete();
    for (const tenant of await this.shipper.tenants()) {
      const dir = this.shipper.blocksDir(tenant);
      let names: string[] = [];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        try {
          const meta = parseMeta(await readFile(join(dir, name, 'meta.json'), 'utf8'));
          // meta.maxTime is the last sample + 1: the cut's end for a forced cut, at most the range
          // end for a normal one (cutting again from there finds nothing the block holds).
          this.cutUpTo.set(tenant, Math.max(this.cutUpTo.get(tenant) ?? -Infinity, meta.maxTime));
        } catch {
          // not a block
        }
      }
    }
  }

  /**
   * The end (ms, exclusive) of the last block cut for the tenant, or -Infinity. Not the head's own
   * `cutEnd`: a head snapshot may record a cut whose block never got written (crash, failed
   * write), which must be cut again.
   */
  cutEnd(tenant: string): number {
    return this.cutUpTo.get(tenant) ?? -Infinity;
  }

  /**
   * Tells each head the end of what was cut from it (learnt from the local blocks by `init`):
   * call it once the log is replayed. A head loaded from a snapshot older than the cut would
   * otherwise accept samples into ranges already cut, where no later block holds them.
   */
  markCuts(dbs: Iterable<TenantDb>): void {
    for (const db of dbs) {
      const end = this.cutUpTo.get(db.tenant);
      if (end !== undefined) db.head.markCut(end);
    }
  }

  /** One pass over every tenant; concurrent callers share the pass that is running. */
  run(dbs: Iterable<TenantDb>, force: boolean, signal?: AbortSignal): Promise<CompactionResult> {
    if (this.running !== undefined && !force) return this.running;
    const previous = this.running ?? Promise.resolve(undefined);
    const pass = previous
      .catch(() => undefined)
      .then(() => this.pass([...dbs], force, signal))
      .finally(() => {
        if (this.running === pass) this.running = undefined;
      });
    this.running = pass;
    return pass;
  }

  private async pass(dbs: TenantDb[], force: boolean, signal?: AbortSignal): Promise<CompactionResult> {
    const result: CompactionResult = { blocksCut: 0, blocksShipped: 0, shipFailures: 0 };
    for (const db of dbs) {
      if (signal?.aborted) break;
      try {
        await this.compactTenant(db, force, result, signal);
      } catch (err) {
        this.logger.error('head compaction failed', { component: 'ingester', tenant: db.tenant, err: errorMessage(err) });
        result.shipFailures++;
      }
    }
    return result;
  }

  private async compactTenant(db: TenantDb, force: boolean, result: CompactionResult, signal?: AbortSignal): Promise<void> {
    const head = db.head;
    const tenant = db.tenant;
    const range = this.config.blockRangeMs;
    for (;;) {
      if (head.minTime === Infinity) break;
      const from = Math.max(head.minTime, this.cutEnd(tenant));
      if (from > head.maxTime) break;
      const rangeEnd = (Math.floor(from / range) + 1) * range;
      // A closed range is cut to its end; a forced pass cuts the open one up to the newest sample.
      let to: number;
      if (head.maxTime >= rangeEnd + range / 2) to = rangeEnd;
      else if (force) to = Math.min(rangeEnd, head.maxTime + 1);
      else break;
      const meta = await head.cutBlock(from, to, this.shipper.blocksDir(tenant), {
        externalLabels: tenantExternalLabels(tenant),
      });
      this.cutUpTo.set(tenant, to);
      if (meta !== undefined) {
        result.blocksCut++;
        this.logger.info('block cut from head', {
          component: 'ingester',
          tenant,
          block: meta.ulid,
          min_time: meta.minTime,
          max_time: meta.maxTime,
          series: meta.stats.numSeries,
          samples: meta.stats.numSamples,
        });
      }
    }
    const shipped = await this.shipper.ship(tenant, { signal });
    result.blocksShipped += shipped.uploaded.length;
    result.shipFailures += shipped.failed.length;

    const end = this.cutEnd(tenant);
    if (end === -Infinity) return;
    const retained = this.clock.now() - end < this.config.retentionPeriodMs;
    if (shipped.failed.length === 0 && !retained) {
      if (end > head.minTime) {
        head.truncate(end);
        db.recountPerMetric();
      }
      await this.shipper.deleteShippedBefore(tenant, end);
    }
  }
}
