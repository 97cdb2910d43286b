import { Counter, Gauge, type Registry } from 'prom-client';
import { Bucket, listAll } from '@panoptes/bucket';
import {
  BucketIndex,
  BucketIndexUpdater,
  blockPrefix,
  defaultBucketIndexUpdaterConfig,
  deleteBucketIndex,
  isBlockId,
  isBucketIndexNotFound,
  markForDeletion,
  readBucketIndex,
  removeDeletionMark,
  seriesDeletionPrefix,
  writeBucketIndex,
} from '@panoptes/bucket-index';
import { Clock, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';

export interface BlocksCleanerConfig {
  /** A block marked for deletion is deleted this long after its mark, ms (queriers may still read it until then). */
  deletionDelayMs: number;
  /** A partial block (no meta.json) whose newest object is older than this is deleted, ms; 0 never deletes them. */
  partialBlockDeletionDelayMs: number;
}

export function defaultBlocksCleanerConfig(): BlocksCleanerConfig {
  return { deletionDelayMs: 12 * 3_600_000, partialBlockDeletionDelayMs: 24 * 3_600_000 };
}

/** What one pass over a tenant did. */
export interface CleanResult {
  blocks: number;
  markedForRetention: number;
  deleted: number;
  partialsDeleted: number;
}

/** Object key of a tenant's deletion request (`POST /compactor/delete_tenant`). */
export function tenantDeletionMarkKey(tenant: string): string {
  return `${tenant}/markers/tenant-deletion-mark.json`;
}

/**
 * The compactor's per-tenant bookkeeping each cycle (Mimir's blocks cleaner):
 * 1. updates the tenant's bucket index from the previous one (only new blocks are read);
 * 2. applies the tenant's retention: blocks wholly older than `now − retention` are marked for deletion;
 * 3. deletes blocks whose deletion mark is older than the deletion delay and was already in the
 *    published index (so queriers had it): meta.json first (so a reader sees a partial block,
 *    never a block with missing files), then the rest, then the marks;
 * 4. deletes partial blocks left by crashed uploads once older than the partial-block delay;
 * 5. writes the index. A tenant marked for deletion has every block, its index and its series
 *    deletion requests removed. Series deletion requests (`markers/series-deletion/`) are
 *    otherwise left alone: neither the updater nor the block deletion here touch them.
 *
 * Marking before deleting, with a delay, is what lets queriers that loaded an older index keep
 * reading a block until they have seen the new one.
 */
export class BlocksCleaner {
  private readonly updater: BucketIndexUpdater;
  private readonly blocksGauge: Gauge<'tenant'>;
  private readonly deletedBlocks: Counter<'tenant' | 'reason'>;
  private readonly failures: Counter<'tenant'>;

  constructor(
    private readonly config: BlocksCleanerConfig,
    private readonly bucket: Bucket,
    /** The tenant's block retention in ms (`compactor_blocks_retention_period`); 0 keeps blocks forever. */
    private readonly retentionOf: (tenant: string) => number,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.updater = new BucketIndexUpdater(defaultBucketIndexUpdaterConfig(), bucket, clock, logger);
    this.blocksGauge = new Gauge({
      name: 'panoptes_compactor_tenant_blocks',
      help: 'Blocks in the tenant bucket index after the last cleanup.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.deletedBlocks = new Counter({
      name: 'panoptes_compactor_blocks_deleted_total',
      help: 'Blocks deleted from the bucket, by reason (marked: after their deletion delay; partial: a crashed upload; tenant: tenant deletion).',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'panoptes_compactor_cleanup_failures_total',
      help: 'Tenant cleanup passes that failed (retried next cycle).',
      labelNames: ['tenant'],
      registers: [registry],
    });
  }

  /** One pass over one tenant. */
  async clean(tenant: string): Promise<CleanResult> {
    try {
      if (await this.bucket.exists(tenantDeletionMarkKey(tenant))) return await this.deleteTenant(tenant);
      return await this.cleanTenant(tenant);
    } catch (err) {
      this.failures.inc({ tenant });
      this.logger.error('tenant cleanup failed; retrying next cycle', { component: 'compactor', tenant, err: errorMessage(err) });
      throw err;
    }
  }

  /** Requests the deletion of every block of a tenant (done by the next pass). */
  async requestTenantDeletion(tenant: string): Promise<void> {
    const mark = { tenant_id: tenant, deletion_time: Math.floor(this.clock.now() / 1000), version: 1 };
    await this.bucket.put(tenantDeletionMarkKey(tenant), Buffer.from(JSON.stringify(mark)));
  }

  /** Whether a deleted tenant has no block left (`/compactor/delete_tenant_status`). */
  async tenantDeletionFinished(tenant: string): Promise<boolean> {
    for await (const key of this.bucket.list(`${tenant}/`)) {
      if (key !== `${tenant}/markers/` && key !== tenantDeletionMarkKey(tenant)) return false;
    }
    return true;
  }

  private async cleanTenant(tenant: string): Promise<CleanResult> {
    const now = this.clock.now();
    const previous = await this.readIndex(tenant);
    let { index, partials } = await this.updater.update(tenant, previous);
    const result: CleanResult = { blocks: 0, markedForRetention: 0, deleted: 0, partialsDeleted: 0 };

    const retention = this.retentionOf(tenant);
    if (retention > 0) {
      const marked = new Set(index.blockDeletionMarks.map((m) => m.id));
      for (const b of index.blocks) {
        if (b.maxTime < now - retention && !marked.has(b.id)) {
          await markForDeletion(this.bucket, tenant, b.id, `retention period of ${retention}ms`, this.clock);
          result.markedForRetention++;
        }
      }
    }

    // Only marks the queriers could already see: a mark that is old but not yet in the published
    // index (the compactor that wrote it died before publishing) is published now, deleted next cycle.
    const published = new Set(previous?.blockDeletionMarks.map((m) => m.id));
    for (const mark of index.blockDeletionMarks) {
      if (now - mark.deletionTime < this.config.deletionDelayMs || !published.has(mark.id)) continue;
      await this.deleteBlock(tenant, mark.id);
      await removeDeletionMark(this.bucket, tenant, mark.id);
      this.deletedBlocks.inc({ tenant, reason: 'marked' });
      result.deleted++;
    }
    if (this.config.partialBlockDeletionDelayMs > 0) {
      for (const p of partials) {
        if (p.ageMs < this.config.partialBlockDeletionDelayMs) continue;
        await this.deleteBlock(tenant, p.id);
        this.deletedBlocks.inc({ tenant, reason: 'partial' });
        result.partialsDeleted++;
      }
    }

    if (result.markedForRetention + result.deleted + result.partialsDeleted > 0) {
      ({ index, partials } = await this.updater.update(tenant, index));
    }
    await writeBucketIndex(this.bucket, tenant, index);
    result.blocks = index.blocks.length;
    this.blocksGauge.set({ tenant }, index.blocks.length);
    this.logger.info('tenant cleaned', { component: 'compactor', tenant, ...result });
    return result;
  }

  private async deleteTenant(tenant: string): Promise<CleanResult> {
    const result: CleanResult = { blocks: 0, markedForRetention: 0, deleted: 0, partialsDeleted: 0 };
    await deleteBucketIndex(this.bucket, tenant);
    const ids = new Set<string>();
    for await (const key of this.bucket.list(`${tenant}/`)) {
      const name = key.slice(tenant.length + 1).replace(/\/$/, '');
      if (isBlockId(name)) ids.add(name);
    }
    for (const id of ids) {
      await this.deleteBlock(tenant, id);
      await removeDeletionMark(this.bucket, tenant, id).catch(() => undefined);
      this.deletedBlocks.inc({ tenant, reason: 'tenant' });
      result.deleted++;
    }
    // The tenant's series deletion requests go with its blocks.
    for (const key of await listAll(this.bucket, seriesDeletionPrefix(tenant), { recursive: true })) await this.bucket.delete(key);
    this.blocksGauge.remove({ tenant });
    this.logger.info('tenant blocks deleted', { component: 'compactor', tenant, deleted: result.deleted });
    return result;
  }

  /** meta.json first, so a concurrent reader sees a partial block rather than a broken one. */
  private async deleteBlock(tenant: string, id: string): Promise<void> {
    const prefix = blockPrefix(tenant, id);
    const keys = await listAll(this.bucket, prefix, { recursive: true });
    const meta = keys.find((k) => k.endsWith('/meta.json'));
    if (meta) await this.bucket.delete(meta);
    for (const k of keys) {
      if (k !== meta && !k.endsWith('/deletion-mark.json')) await this.bucket.delete(k);
    }
  }

  private async readIndex(tenant: string): Promise<BucketIndex | undefined> {
    try {
      return await readBucketIndex(this.bucket, tenant);
    } catch (err) {
      if (isBucketIndexNotFound(err)) return undefined;
      // A corrupt index is rebuilt from the bucket.
      this.logger.warn('bucket index unreadable; rebuilding it', { component: 'compactor', tenant, err: errorMessage(err) });
      return undefined;
    }
  }
}
