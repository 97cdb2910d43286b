import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import {
  BlockMeta,
  CorruptBlockError,
  parseMeta,
  SOURCE_RECEIVE,
  TENANT_ID_EXTERNAL_LABEL,
  ThanosFile,
} from '@panoptes/block-formats';
import { Bucket } from '@panoptes/bucket';
import { BlockFile, blockDataFiles, uploadBlock } from '@panoptes/bucket-index';
import { Clock, errorMessage } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { BLOCK_META_FILE, BlockDirs, TMP_FOR_DELETION_SUFFIX } from './block-dirs';
import { ShipperMetrics } from './shipper-metrics';
import { readShipperState, writeShipperState } from './shipper-state';

export interface BlockShipperConfig {
  /**
   * Directory of the ingester's local TSDB data (Mimir's `-blocks-storage.tsdb.dir`): blocks are
   * cut into `<dataDir>/tenants/<tenant>/blocks/`. Must not lie inside a filesystem bucket's directory.
   */
  dataDir: string;
}

export function defaultBlockShipperConfig(): BlockShipperConfig {
  return { dataDir: './tsdb' };
}

export interface ShipOptions {
  /** Stops the upload in progress and leaves the remaining blocks for the next ship. */
  signal?: AbortSignal;
}

export interface ShipFailure {
  ulid: string;
  error: Error;
}

export interface ShipResult {
  /** Blocks uploaded by this call, oldest first. */
  uploaded: string[];
  /** Blocks whose upload failed (each retried whole by the next ship). */
  failed: ShipFailure[];
}

/** The external labels of a tenant's blocks: pass them to `Head.cutBlock` as `externalLabels`. */
export function tenantExternalLabels(tenant: string): Record<string, string> {
  return { [TENANT_ID_EXTERNAL_LABEL]: tenant };
}

interface TenantState {
  /** Tail of the tenant's operation queue: ship, delete and state writes never interleave. */
  lock: Promise<void>;
  /** ULID → upload time (ms); loaded from shipper.json on first use. */
  shipped: Map<string, number> | undefined;
}


/**
 * Uploads the blocks the ingester cuts to object storage and keeps track of what is uploaded
 * (Mimir's ingester shipper). One instance serves every tenant of an ingester.
 *
 * Invariants:
 * - A block becomes visible to readers only complete: its chunk segments, index and tombstones
 *   are uploaded first, `meta.json` last. A failure before meta.json removes what was uploaded
 *   (best effort; leftovers without meta.json are partial blocks readers ignore and the next try
 *   overwrites). A failed meta.json upload is not cleaned up: S3 may still make it visible later.
 * - A block is recorded as shipped (in `shipper.json`, replaced atomically) only after its
 *   meta.json upload succeeded, so a crash at any point means at most one more upload of it.
 * - The uploaded meta.json carries `thanos.labels.__org_id__ = tenant` and `thanos.source =
 *   receive`, whatever the local copy says (the local copy is never modified).
 * - Only complete local blocks (`<ulid>/meta.json`, which BlockWriter moves into place with
 *   everything else) are shipped; an unshipped block is never deleted locally.
 * - Operations of one tenant run one at a time, in call order; tenants are independent.
 *
 * Retrying with backoff is the caller's loop: `ship` reports each failed block and never throws
 * for one (it throws only when the tenant's directory or state cannot be read at all).
 */
export class BlockShipper {
  private readonly dirs: BlockDirs;
  private readonly metrics: ShipperMetrics;
  private readonly tenantStates = new Map<string, TenantState>();
  private readonly logger: Logger;

  constructor(
    config: BlockShipperConfig,
    private readonly bucket: Bucket,
    private readonly clock: Clock,
    logger: Logger,
    registry: Registry,
  ) {
    this.logger = logger.with({ component: 'ingester' });
    this.dirs = new BlockDirs(config.dataDir);
    this.metrics = new ShipperMetrics(registry);
  }

  /** The directory to cut the tenant's blocks into (`Head.cutBlock(minT, maxT, dir, …)`). */
  blocksDir(tenant: string): string {
    return this.dirs.blocksDir(tenant);
  }

  /** Tenants with local data, sorted. */
  tenants(): Promise<string[]> {
    return this.dirs.tenants();
  }

  /** ULIDs of the tenant's blocks recorded as uploaded, sorted. */
  shippedBlocks(tenant: string): Promise<string[]> {
    return this.withTenant(tenant, async (state) => [...state.shipped.keys()].sort());
  }

  /** Uploads every complete local block of the tenant that is not uploaded yet, oldest first. */
  ship(tenant: string, options: ShipOptions = {}): Promise<ShipResult> {
    return this.withTenant(tenant, (state) => this.shipLocked(tenant, state.shipped, options.signal));
  }

  /** `ship` for every tenant with local data. */
  async shipAll(options: ShipOptions = {}): Promise<Map<string, ShipResult>> {
    const results = new Map<string, ShipResult>();
    for (const tenant of await this.tenants()) {
      if (options.signal?.aborted) break;
      results.set(tenant, await this.ship(tenant, options));
    }
    return results;
  }

  /**
   * Removes the tenant's local blocks that are uploaded and whose maxTime (exclusive end, ms) is
   * at or before `t`: the retention of local blocks after upload. Unshipped blocks always stay.
   * Returns the removed ULIDs.
   */
  deleteShippedBefore(tenant: string, t: number): Promise<string[]> {
    return this.withTenant(tenant, async (state) => {
      const { complete } = await this.dirs.scan(tenant);
      const deleted: string[] = [];
      for (const ulid of complete) {
        if (!state.shipped.has(ulid)) continue;
        let meta: BlockMeta;
        try {
          meta = await this.readLocalMeta(tenant, ulid);
        } catch (err) {
          this.logger.warn('local block meta unreadable; block kept', { tenant, block: ulid, err: errorMessage(err) });
          continue;
        }
        if (meta.maxTime > t) continue;
        await removeBlockDir(this.dirs.blockDir(tenant, ulid));
        deleted.push(ulid);
        this.logger.info('local block deleted after upload', { tenant, block: ulid, max_time: meta.maxTime });
      }
      await this.forgetMissing(tenant, state.shipped, new Set(complete.filter((u) => !deleted.includes(u))));
      return deleted;
    });
  }

  /**
   * Removes what a crash left in every tenant's blocks directory: directories BlockWriter had not
   * finished (`*.tmp-for-creation`), deletions cut short (`*.tmp-for-deletion`), and block
   * directories without meta.json. Call it at startup, before any block is cut: a block being
   * written at the same time would be removed. Returns the removed paths.
   */
  async cleanupIncomplete(): Promise<string[]> {
    const removed: string[] = [];
    for (const tenant of await this.dirs.tenants()) {
      await this.withTenant(tenant, async () => {
        const { incomplete } = await this.dirs.scan(tenant);
        for (const name of incomplete) {
          const path = join(this.dirs.blocksDir(tenant), name);
          await rm(path, { recursive: true, force: true });
          removed.push(path);
          this.logger.warn('incomplete local block removed', { tenant, dir: name });
        }
      });
    }
    return removed;
  }

  /** Drops the tenant's metrics and cached state (after its local data is closed and removed). */
  forgetTenant(tenant: string): void {
    this.tenantStates.delete(tenant);
    this.metrics.forget(tenant);
  }

  private async shipLocked(tenant: string, shipped: Map<string, number>, signal: AbortSignal | undefined): Promise<ShipResult> {
    const { complete } = await this.dirs.scan(tenant);
    await this.forgetMissing(tenant, shipped, new Set(complete));
    const pending: Array<{ ulid: string; meta?: BlockMeta; error?: Error }> = [];
    for (const ulid of complete) {
      if (shipped.has(ulid)) continue;
      try {
        pending.push({ ulid, meta: await this.readLocalMeta(tenant, ulid) });
      } catch (err) {
        pending.push({ ulid, error: asError(err) });
      }
    }
    // Oldest data first (Mimir's order), so readers see the earliest gap closed first.
    pending.sort(byMinTimeThenUlid);

    const result: ShipResult = { uploaded: [], failed: [] };
    let left = pending.length;
    for (const block of pending) {
      if (signal?.aborted) break;
      const started = this.clock.now();
      try {
        if (block.error) throw block.error;
        const { files, bytes } = await this.uploadBlock(tenant, block.meta!, signal);
        shipped.set(block.ulid, this.clock.now());
        left--;
        result.uploaded.push(block.ulid);
        this.metrics.uploads.inc({ tenant });
        this.logger.info('block uploaded', {
          tenant,
          block: block.ulid,
          files,
          bytes,
          min_time: block.meta!.minTime,
          max_time: block.meta!.maxTime,
          duration_ms: this.clock.now() - started,
        });
        await this.saveState(tenant, shipped);
      } catch (err) {
        const error = asError(err);
        result.failed.push({ ulid: block.ulid, error });
        if (signal?.aborted) break; // the caller stopped us: not a failure of the block
        this.metrics.uploadFailures.inc({ tenant });
        this.logger.error('block upload failed; retrying on the next ship', { tenant, block: block.ulid, err: error.message });
      }
    }
    this.metrics.pendingBlocks.set({ tenant }, left);
    return result;
  }

  /** Uploads the block's files, meta.json last (`uploadBlock`: one mechanism with the compactor). */
  private async uploadBlock(tenant: string, meta: BlockMeta, signal: AbortSignal | undefined): Promise<{ files: number; bytes: number }> {
    const dir = this.dirs.blockDir(tenant, meta.ulid);
    const files = await blockDataFiles(dir, meta.ulid);
    return uploadBlock(this.bucket, tenant, files, await metaForUpload(meta, tenant, files), this.logger.with({ tenant }), signal);
  }


  private async readLocalMeta(tenant: string, ulid: string): Promise<BlockMeta> {
    const file = join(this.dirs.blockDir(tenant, ulid), BLOCK_META_FILE);
    const meta = parseMeta(await readFile(file, 'utf8'), file);
    if (meta.ulid !== ulid) {
      throw new CorruptBlockError(`${file}: meta.json names block ${meta.ulid} but sits in directory ${ulid}; move or remove the block`);
    }
    const owner = meta.thanos?.labels?.[TENANT_ID_EXTERNAL_LABEL];
    if (owner !== undefined && owner !== tenant) {
      throw new CorruptBlockError(
        `${file}: block belongs to tenant "${owner}" (${TENANT_ID_EXTERNAL_LABEL}) but sits in tenant "${tenant}"'s directory; move it to the right tenant or remove it`,
      );
    }
    return meta;
  }

  /** Drops shipped entries whose local block is gone, and saves when that changed anything. */
  private async forgetMissing(tenant: string, shipped: Map<string, number>, present: ReadonlySet<string>): Promise<void> {
    let changed = false;
    for (const ulid of [...shipped.keys()]) {
      if (!present.has(ulid)) {
        shipped.delete(ulid);
        changed = true;
      }
    }
    if (changed) await this.saveState(tenant, shipped);
  }

  private async saveState(tenant: string, shipped: Map<string, number>): Promise<void> {
    try {
      await mkdir(this.dirs.tenantDir(tenant), { recursive: true });
      await writeShipperState(this.dirs.shipperFile(tenant), shipped);
    } catch (err) {
      // The upload happened; only a restart would repeat it. Kept in memory, saved on the next change.
      this.logger.warn('shipper state not saved; a restart may upload blocks again', { tenant, err: errorMessage(err) });
    }
  }

  /** Runs `fn` after the tenant's earlier operations, with its shipped state loaded. */
  private async withTenant<T>(tenant: string, fn: (state: TenantState & { shipped: Map<string, number> }) => Promise<T>): Promise<T> {
    this.dirs.tenantDir(tenant); // validates the tenant ID before it is used as a path or key
    let state = this.tenantStates.get(tenant);
    if (!state) {
      state = { lock: Promise.resolve(), shipped: undefined };
      this.tenantStates.set(tenant, state);
    }
    const previous = state.lock;
    let release!: () => void;
    state.lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      if (!state.shipped) state.shipped = await readShipperState(this.dirs.shipperFile(tenant), this.logger.with({ tenant }));
      return await fn(state as TenantState & { shipped: Map<string, number> });
    } finally {
      release();
    }
  }
}

/** The meta.json to upload: the local one with the tenant's label, the ingester source and the file list. */
async function metaForUpload(meta: BlockMeta, tenant: string, files: readonly BlockFile[]): Promise<BlockMeta> {
  const thanos = meta.thanos;
  let listed: ThanosFile[] | undefined = thanos?.files;
  if (!listed || listed.length === 0) {
    // Thanos' file list: chunk segments and index with sizes, then meta.json (no size).
    listed = [];
    for (const f of files) {
      if (f.rel === 'tombstones') continue;
      listed.push({ rel_path: f.rel, size_bytes: (await stat(f.path)).size });
    }
    listed.push({ rel_path: BLOCK_META_FILE });
  }
  return {
    ...meta,
    thanos: {
      ...thanos,
      labels: { ...(thanos?.labels ?? {}), ...tenantExternalLabels(tenant) },
      downsample: thanos?.downsample ?? { resolution: 0 },
      source: SOURCE_RECEIVE,
      segment_files: thanos?.segment_files ?? files.filter((f) => f.rel.startsWith('chunks/')).map((f) => f.rel.slice('chunks/'.length)),
      files: listed,
    },
  };
}

/** Renames the block away first, so a crash during removal leaves a `*.tmp-for-deletion` (cleaned at startup), never half a block. */
async function removeBlockDir(dir: string): Promise<void> {
  const doomed = dir + TMP_FOR_DELETION_SUFFIX;
  await rename(dir, doomed);
  await rm(doomed, { recursive: true, force: true });
}

function byMinTimeThenUlid(a: { ulid: string; meta?: BlockMeta }, b: { ulid: string; meta?: BlockMeta }): number {
  const ta = a.meta?.minTime ?? Number.MIN_SAFE_INTEGER;
  const tb = b.meta?.minTime ?? Number.MIN_SAFE_INTEGER;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.ulid < b.ulid ? -1 : a.ulid > b.ulid ? 1 : 0;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
