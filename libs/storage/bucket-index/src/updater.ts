import { CorruptBlockError, parseMeta } from '@panoptes/block-formats';
import { Bucket, isObjectNotFound } from '@panoptes/bucket';
import { Clock, errorMessage } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import {
  BUCKET_INDEX_VERSION_1,
  BucketIndex,
  BucketIndexBlock,
  BucketIndexDeletionMark,
  blockEntryFromMeta,
} from './bucket-index';
import { mapConcurrent } from './concurrency';
import { blockIdTime, blockMetaKey, blockPrefix, isBlockId, tenantPrefix } from './layout';
import { listGlobalMarkers, readDeletionMarksOf } from './markers';

export interface BucketIndexUpdaterConfig {
  /** meta.json and deletion-mark reads in flight at once while updating one tenant's index. */
  readConcurrency: number;
}

export function defaultBucketIndexUpdaterConfig(): BucketIndexUpdaterConfig {
  return { readConcurrency: 16 };
}

/**
 * A block directory without meta.json: an upload in flight, or one that failed or crashed. The
 * compactor deletes those old enough that no upload can still be running.
 */
export interface PartialBlock {
  id: string;
  /** Creation time encoded in the block's ULID, ms since the Unix epoch. */
  idTime: number;
  /** Newest modification time among the block's objects, ms since the Unix epoch. */
  lastModified: number;
  /** How long ago the newest object was written, ms (0 when in the future by clock skew). */
  ageMs: number;
}

/** A block left out of the index, or a mark left out, because the object at `key` does not decode. */
export interface CorruptedBlock {
  id: string;
  /** The object that failed: the block's meta.json or its global deletion mark. */
  key: string;
  error: string;
}

export interface BucketIndexUpdate {
  index: BucketIndex;
  /** Block directories without meta.json, sorted by id. */
  partials: PartialBlock[];
  /** Blocks with a corrupt meta.json and corrupt deletion marks, sorted by key. */
  corrupted: CorruptedBlock[];
}

type BlockResult = { block: BucketIndexBlock } | { partial: PartialBlock } | { corrupt: CorruptedBlock } | { gone: true };

/**
 * Builds a tenant's bucket index from the bucket: Mimir's `bucketindex.Updater`. It lists
 * `<tenant>/` once and `<tenant>/markers/` once; blocks and deletion marks are immutable, so
 * entries of the previous index whose block directory (or global mark) still exists are reused
 * as they are, and only blocks new since then cost a meta.json read (plus its attributes, for
 * the upload time). It does not write the index: the caller (the compactor) decides.
 *
 * Failure policy: a partial block or a corrupt meta.json / mark leaves that one entry out and is
 * reported; any other store error (unavailable, …) fails the whole update, so a transient error
 * never produces an index that silently lacks blocks.
 */
export class BucketIndexUpdater {
  constructor(
    private readonly config: BucketIndexUpdaterConfig,
    private readonly bucket: Bucket,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async update(tenant: string, previous?: BucketIndex): Promise<BucketIndexUpdate> {
    const log = this.logger.with({ tenant });
    const discovered = await this.listBlockIds(tenant);

    const blocks: BucketIndexBlock[] = [];
    for (const block of previous?.blocks ?? []) {
      if (discovered.delete(block.id)) blocks.push(block);
    }
    const reused = blocks.length;
    const dropped = (previous?.blocks.length ?? 0) - reused;

    const partials: PartialBlock[] = [];
    const corrupted: CorruptedBlock[] = [];
    const fresh = [...discovered].sort();
    const results = await mapConcurrent(fresh, this.config.readConcurrency, (id) => this.readBlock(tenant, id));
    for (const r of results) {
      if ('block' in r) blocks.push(r.block);
      else if ('partial' in r) partials.push(r.partial);
      else if ('corrupt' in r) corrupted.push(r.corrupt);
    }

    const marks = await this.updateDeletionMarks(tenant, previous?.blockDeletionMarks ?? [], corrupted);

    for (const p of partials) log.debug('skipped partial block', { block: p.id, age: `${Math.round(p.ageMs / 1000)}s` });
    for (const c of corrupted) log.warn('skipped corrupt block object', { block: c.id, key: c.key, err: c.error });

    blocks.sort((a, b) => compareIds(a.id, b.id));
    corrupted.sort((a, b) => compareIds(a.key, b.key));
    const index: BucketIndex = {
      version: BUCKET_INDEX_VERSION_1,
      blocks,
      blockDeletionMarks: marks,
      updatedAt: this.clock.now(),
    };
    log.debug('bucket index updated', {
      blocks: blocks.length,
      reused,
      added: blocks.length - reused,
      dropped,
      partials: partials.length,
      corrupted: corrupted.length,
      deletionMarks: marks.length,
    });
    return { index, partials, corrupted };
  }

  private async listBlockIds(tenant: string): Promise<Set<string>> {
    const prefix = tenantPrefix(tenant);
    const ids = new Set<string>();
    for await (const key of this.bucket.list(prefix)) {
      if (!key.endsWith('/')) continue;
      const name = key.slice(prefix.length, -1);
      if (isBlockId(name)) ids.add(name);
    }
    return ids;
  }

  private async readBlock(tenant: string, id: string): Promise<BlockResult> {
    const key = blockMetaKey(tenant, id);
    let data: Buffer;
    try {
      data = await this.bucket.get(key);
    } catch (err) {
      if (isObjectNotFound(err)) return this.partialBlock(tenant, id);
      throw err;
    }
    let entry: BucketIndexBlock;
    try {
      const meta = parseMeta(data.toString('utf8'), key);
      if (meta.ulid !== id) throw new CorruptBlockError(`${key}: names block ${meta.ulid}, not ${id}`);
      // meta.json is written last and never rewritten: its mtime is when the upload completed.
      const { lastModifiedMs } = await this.bucket.attributes(key);
      entry = blockEntryFromMeta(meta, lastModifiedMs);
    } catch (err) {
      if (err instanceof CorruptBlockError) return { corrupt: { id, key, error: errorMessage(err) } };
      // Deleted between the get and the attributes call: the block is going away.
      if (isObjectNotFound(err)) return { gone: true };
      throw err;
    }
    return { block: entry };
  }

  // The age comes from the newest object, not the ULID: an ingester may upload a block hours
  // after cutting it (after a restart), and such an upload must not look old while in flight.
  private async partialBlock(tenant: string, id: string): Promise<BlockResult> {
    let newest = -Infinity;
    for await (const key of this.bucket.list(blockPrefix(tenant, id), { recursive: true })) {
      try {
        newest = Math.max(newest, (await this.bucket.attributes(key)).lastModifiedMs);
      } catch (err) {
        if (!isObjectNotFound(err)) throw err;
      }
    }
    if (newest === -Infinity) return { gone: true };
    const partial = { id, idTime: blockIdTime(id), lastModified: newest, ageMs: Math.max(0, this.clock.now() - newest) };
    return { partial };
  }

  private async updateDeletionMarks(
    tenant: string,
    previous: readonly BucketIndexDeletionMark[],
    corrupted: CorruptedBlock[],
  ): Promise<BucketIndexDeletionMark[]> {
    const { deletion } = await listGlobalMarkers(this.bucket, tenant);
    const known = new Map(previous.map((m) => [m.id, m]));
    const marks: BucketIndexDeletionMark[] = [];
    const unknown: string[] = [];
    for (const id of deletion) {
      const mark = known.get(id);
      if (mark) marks.push(mark);
      else unknown.push(id);
    }
    const read = await readDeletionMarksOf(this.bucket, tenant, unknown, this.config.readConcurrency);
    for (const m of read.marks) marks.push({ id: m.id, deletionTime: m.deletionTime });
    corrupted.push(...read.corrupted);
    return marks.sort((a, b) => compareIds(a.id, b.id));
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
