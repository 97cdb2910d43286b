import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptBlockError, decodeTombstones, IndexReader } from '@panoptes/block-formats';
import { type Bucket, isObjectNotFound } from '@panoptes/bucket';
import { blockPrefix } from '@panoptes/bucket-index';
import { errorMessage, writeFileSynced } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { LRUCache } from 'lru-cache';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type DeletedInterval, tombstonesBySeries } from './block-chunks';
import type { QuerierStorageConfig } from './config';
import { metricIn } from './metrics';

/** A block's index, opened, with its tombstones. Shared between queries: never modify it. */
export interface BlockIndex {
  reader: IndexReader;
  /** Deleted intervals by series ref; empty when the block has no tombstones. */
  tombstones: ReadonlyMap<number, readonly DeletedInterval[]>;
  /** Bytes held: the index file and the tombstones file. */
  bytes: number;
}

const INDEX_FILE = 'index';
const TOMBSTONES_FILE = 'tombstones';

/**
 * Block indexes fetched from the bucket, kept in memory (an LRU bounded by `indexCacheBytes`) and
 * on local disk under `syncDir/<tenant>/<block>/` (unbounded; `retain` removes blocks the bucket
 * index no longer lists). A lookup tries memory, then disk, then the bucket (read through the
 * index cache when the querier has one in Redis); concurrent lookups of one block share one read.
 * Postings, series and label lookups are then answered from the parsed index in memory: this is
 * the querier's in-memory index cache. Block files are immutable, so a cached copy never goes stale; a
 * disk copy that does not open is deleted and fetched again. Disk files are written under a
 * temporary name, fsynced and renamed, tombstones before the index: an `index` file means both
 * are complete.
 */
export class BlockIndexCache {
  private readonly memory: LRUCache<string, BlockIndex> | undefined;
  private readonly loading = new Map<string, Promise<BlockIndex>>();
  private readonly loads: Counter<'source'>;

  constructor(
    private readonly config: Pick<QuerierStorageConfig, 'syncDir' | 'indexCacheBytes'>,
    private readonly bucket: Bucket,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    if (config.indexCacheBytes > 0) {
      this.memory = new LRUCache<string, BlockIndex>({ maxSize: config.indexCacheBytes, sizeCalculation: (e) => Math.max(1, e.bytes) });
    }
    const memory = this.memory;
    this.loads = metricIn(
      registry,
      'panoptes_querier_block_index_loads_total',
      () =>
        new Counter({
          name: 'panoptes_querier_block_index_loads_total',
          help: 'Block index lookups by the querier, by where the index came from (memory, disk, bucket).',
          labelNames: ['source'],
          registers: [registry],
        }),
    );
    metricIn(
      registry,
      'panoptes_querier_block_index_cache_bytes',
      () =>
        new Gauge({
          name: 'panoptes_querier_block_index_cache_bytes',
          help: 'Bytes of block indexes the querier holds in memory.',
          registers: [registry],
          collect() {
            this.set(memory?.calculatedSize ?? 0);
          },
        }),
    );
  }

  /** The index of `tenant`'s block `blockId`. A missing index object throws the bucket's `ObjectNotFoundError`. */
  get(tenant: string, blockId: string): Promise<BlockIndex> {
    const key = `${tenant}/${blockId}`;
    const cached = this.memory?.get(key);
    if (cached) {
      this.loads.inc({ source: 'memory' });
      return Promise.resolve(cached);
    }
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(tenant, blockId).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Forgets a block (it vanished from the bucket): memory and disk. */
  async drop(tenant: string, blockId: string): Promise<void> {
    this.memory?.delete(`${tenant}/${blockId}`);
    if (this.config.syncDir) await rm(join(this.config.syncDir, tenant, blockId), { recursive: true, force: true });
  }

  /** Forgets every block of `tenant` not in `keep`: the blocks its bucket index no longer lists. */
  async retain(tenant: string, keep: ReadonlySet<string>): Promise<void> {
    if (this.memory) {
      for (const key of [...this.memory.keys()]) {
        const [t, id] = key.split('/');
        if (t === tenant && !keep.has(id)) this.memory.delete(key);
      }
    }
    if (!this.config.syncDir) return;
    let dirs: string[];
    try {
      dirs = await readdir(join(this.config.syncDir, tenant));
    } catch {
      return;
    }
    for (const dir of dirs) {
      if (keep.has(dir)) continue;
      await rm(join(this.config.syncDir, tenant, dir), { recursive: true, force: true });
      this.logger.debug('removed index of a block no longer in the bucket index', { component: 'querier', tenant, block: dir });
    }
  }

  private async load(tenant: string, blockId: string): Promise<BlockIndex> {
    const fromDisk = await this.readDisk(tenant, blockId);
    let entry = fromDisk;
    if (entry) {
      this.loads.inc({ source: 'disk' });
    } else {
      entry = await this.fetch(tenant, blockId);
      this.loads.inc({ source: 'bucket' });
    }
    this.memory?.set(`${tenant}/${blockId}`, entry);
    return entry;
  }

  private async fetch(tenant: string, blockId: string): Promise<BlockIndex> {
    const prefix = blockPrefix(tenant, blockId);
    const [index, tombstones] = await Promise.all([
      readWhole(this.bucket, prefix + INDEX_FILE),
      this.bucket.get(prefix + TOMBSTONES_FILE).catch((err: unknown) => {
        // Prometheus reads a block without a tombstones file as one without deletions.
        if (isObjectNotFound(err)) return undefined;
        throw err;
      }),
    ]);
    const entry = open(index, tombstones, prefix);
    if (this.config.syncDir) {
      try {
        await this.writeDisk(tenant, blockId, index, tombstones);
      } catch (err) {
        this.logger.warn('could not keep block index on local disk', { component: 'querier', tenant, block: blockId, err: errorMessage(err) });
      }
    }
    return entry;
  }

  private async readDisk(tenant: string, blockId: string): Promise<BlockIndex | undefined> {
    if (!this.config.syncDir) return undefined;
    const dir = join(this.config.syncDir, tenant, blockId);
    let index: Buffer;
    let tombstones: Buffer | undefined;
    try {
      index = await readFile(join(dir, INDEX_FILE));
      tombstones = await readFile(join(dir, TOMBSTONES_FILE)).catch(() => undefined);
    } catch {
      return undefined;
    }
    try {
      return open(index, tombstones, dir);
    } catch (err) {
      if (!(err instanceof CorruptBlockError)) throw err;
      this.logger.warn('local copy of block index is corrupt, fetching it again', { component: 'querier', tenant, block: blockId, err: err.message });
      await rm(dir, { recursive: true, force: true });
      return undefined;
    }
  }

  private async writeDisk(tenant: string, blockId: string, index: Buffer, tombstones: Buffer | undefined): Promise<void> {
    const dir = join(this.config.syncDir, tenant, blockId);
    await mkdir(dir, { recursive: true });
    const suffix = `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    if (tombstones) await writeAtomically(join(dir, TOMBSTONES_FILE), tombstones, suffix);
    await writeAtomically(join(dir, INDEX_FILE), index, suffix);
  }
}

/**
 * The whole object, read as one range: through a CachingBucket an index is then cached in aligned
 * pieces (a Redis item need not hold a whole index, and a querier without a local copy reads the
 * pieces other queriers cached) instead of as one value.
 */
async function readWhole(bucket: Bucket, key: string): Promise<Buffer> {
  const { size } = await bucket.attributes(key);
  return bucket.getRange(key, 0, size);
}

function open(index: Buffer, tombstones: Buffer | undefined, where: string): BlockIndex {
  const reader = new IndexReader(index, `${where}/${INDEX_FILE}`);
  const deleted = tombstones ? tombstonesBySeries(decodeTombstones(tombstones, `${where}/${TOMBSTONES_FILE}`)) : new Map();
  return { reader, tombstones: deleted, bytes: index.length + (tombstones?.length ?? 0) };
}

async function writeAtomically(path: string, data: Buffer, suffix: string): Promise<void> {
  const tmp = path + suffix;
  try {
    await writeFileSynced(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
