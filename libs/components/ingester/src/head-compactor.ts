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
 * - A block range [k·R, (k+1)·R) is cut once it is closed for appends: the head's newest sample
 *   is at least R/2 past its end (the head refuses samples older than maxTime − R/2), so no sample
 *   can arrive for it afterwards. A forced pass (`/ingester/flush`, shutdown) cuts every range,
 *   the open one too, and then truncates at once so nothing can arrive for a range already cut.
 * - Each range is cut at most once: the end of the last cut range is remembered per tenant, and
 *   recovered at start-up from the local blocks.
 * - A head is truncated at the end of the cut ranges only once every local block of the tenant is
 *   uploaded and the retention period has passed: until then queries still find the data in the
 *   head. Local blocks are removed once uploaded and truncated from the head.
 *
 * Local blocks are durable on disk: together with the head snapshot they hold everything, so a
 * crash between cutting, uploading and truncating loses nothing (the next pass resumes).
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
          // Blocks are cut on range boundaries; meta.maxTime is the last sample + 1, inside the range.
          const rangeEnd = Math.ceil(meta.maxTime / this.config.blockRangeMs) * this.config.blockRangeMs;
          this.cutUpTo.set(tenant, Math.max(this.cutUpTo.get(tenant) ?? -Infinity, rangeEnd));
        } catch {
          // not a block
        }
      }
    }
  }

  /** The end of the last range cut for the tenant (ms), or -Infinity. */
  cutEnd(tenant: string): number {
    return this.cutUpTo.get(tenant) ?? -Infinity;
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
      const blockMinT = Math.floor(from / range) * range;
      const blockMaxT = blockMinT + range;
      if (force ? blockMinT > head.maxTime : head.maxTime < blockMaxT + range / 2) break;
      const meta = await head.cutBlock(blockMinT, blockMaxT, this.shipper.blocksDir(tenant), {
        externalLabels: tenantExternalLabels(tenant),
      });
      this.cutUpTo.set(tenant, blockMaxT);
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
    if (force || (shipped.failed.length === 0 && !retained)) {
      if (end > head.minTime) {
        head.truncate(end);
        db.recountPerMetric();
      }
      if (shipped.failed.length === 0) await this.shipper.deleteShippedBefore(tenant, end);
    }
  }
}
