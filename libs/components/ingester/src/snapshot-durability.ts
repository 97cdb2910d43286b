import { Registry } from 'prom-client';
import { Clock, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { HeadConfig, HeadSnapshotDir, defaultHeadSnapshotDirConfig } from '@panoptes/tsdb';
import { Ingester, IngesterDurability } from './ingester';
import { TenantDb } from './tenant-db';

export interface SnapshotDurabilityConfig {
  /** Directory of the head snapshots. */
  dir: string;
  /** How often a snapshot is written and the log offset committed, in ms. */
  intervalMs: number;
}

/**
 * The ingester's durability in both modes: the log (Kafka partition, in-process log, or the
 * classic-mode WAL) holds every acknowledged write; a periodic snapshot of all heads, tagged with
 * the next offset it does not contain, lets the log be committed (and trimmed) up to there. On
 * start the newest readable snapshot is loaded and the log replayed from its offset; records
 * replayed twice are harmless (an identical sample at the same timestamp is ignored).
 *
 * A snapshot is captured synchronously between batches and written in the background; while one
 * is being written the next is skipped. The commit follows the write, never precedes it, so a
 * crash at any point leaves a snapshot and a log that together hold everything acknowledged.
 */
export class SnapshotDurability implements IngesterDurability {
  private readonly dir: HeadSnapshotDir;
  private lastAt: number;
  private writing: Promise<void> | undefined;
  private lastOffset = -1;

  constructor(
    private readonly config: SnapshotDurabilityConfig,
    headConfig: HeadConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.dir = new HeadSnapshotDir({ ...defaultHeadSnapshotDirConfig(), dir: config.dir }, headConfig, logger, () => new Registry());
    this.lastAt = clock.now();
  }

  async load(ingester: Ingester): Promise<number | undefined> {
    const loaded = await this.dir.loadNewest();
    if (loaded === undefined) return undefined;
    this.lastOffset = loaded.offset;
    for (const [tenant, head] of loaded.heads) {
      const db = new TenantDb(tenant, head, ingester.labelStrings);
      db.recountPerMetric();
      ingester.setTenantDb(db);
    }
    return loaded.offset;
  }

  async afterBatch(ingester: Ingester, nextOffset: number): Promise<void> {
    if (this.writing !== undefined || nextOffset === this.lastOffset || this.clock.now() - this.lastAt < this.config.intervalMs) return;
    this.lastAt = this.clock.now();
    this.lastOffset = nextOffset;
    this.writing = this.snapshot(ingester, nextOffset).finally(() => {
      this.writing = undefined;
    });
  }

  async close(ingester: Ingester, nextOffset: number): Promise<void> {
    if (this.writing !== undefined) await this.writing;
    if (nextOffset !== this.lastOffset) await this.snapshot(ingester, nextOffset);
  }

  /** Captures now (synchronously, inside `dir.write`), writes, then commits the offset. */
  private async snapshot(ingester: Ingester, nextOffset: number): Promise<void> {
    try {
      const heads = ingester.tenantIds().map((t) => ingester.tenant(t)!.head);
      await this.dir.write(nextOffset, heads);
      await ingester.commitOffset(nextOffset);
    } catch (err) {
      this.logger.error('head snapshot failed; the log is not committed past the previous snapshot', {
        component: 'ingester',
        offset: nextOffset,
        err: errorMessage(err),
      });
    }
  }
}
