import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError, ValidationError } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { Head } from './head';
import { HeadConfig } from './head-config';
import {
  HeadRegistryFactory,
  HeadSnapshotCorruptError,
  HeadSnapshotStats,
  LoadedHeadSnapshot,
  captureHeads,
  readHeadSnapshot,
  writeHeadSnapshot,
} from './head-snapshot';

export interface HeadSnapshotDirConfig {
  /** Directory holding the snapshot files (created on the first write). */
  dir: string;
  /** Snapshots kept, newest first (at least 1; 2 leaves one to fall back to when the newest is damaged). */
  keep: number;
}

export function defaultHeadSnapshotDirConfig(): HeadSnapshotDirConfig {
  return { dir: './data/head-snapshots', keep: 2 };
}

/** A loaded snapshot and the file it came from. */
export interface LoadedHeadSnapshotFile extends LoadedHeadSnapshot {
  file: string;
}

const NAME = /^snapshot-(\d{20})$/;
const TMP = /^snapshot-(\d{20})\.tmp$/;
const CORRUPT = /^snapshot-(\d{20})\.corrupt$/;

function fileName(offset: number): string {
  return `snapshot-${String(offset).padStart(20, '0')}`;
}

/**
 * A directory of head snapshots named by offset (`snapshot-<20-digit offset>`). `write` adds one
 * and keeps the newest `keep`; `loadNewest` loads the newest readable one, moving damaged ones
 * aside as `<name>.corrupt` (kept for inspection until older than every kept snapshot).
 *
 * One write at a time: a write started while another runs is refused (`head_snapshot_in_progress`),
 * so the caller skips a round rather than queueing captures.
 */
export class HeadSnapshotDir {
  private writing = false;

  constructor(
    private readonly config: HeadSnapshotDirConfig,
    private readonly headConfig: HeadConfig,
    private readonly logger: Logger,
    private readonly registryFor: HeadRegistryFactory,
  ) {
    if (!Number.isInteger(config.keep) || config.keep < 1) {
      throw new ValidationError('invalid_head_snapshot_config', `head snapshots to keep must be an integer >= 1 (got ${config.keep})`);
    }
  }

  /**
   * Snapshots `heads` at `offset` (the next log offset not applied to them), then deletes all but
   * the newest `keep` snapshots. The heads are captured synchronously when this is called.
   */
  async write(offset: number, heads: Iterable<Head>): Promise<HeadSnapshotStats & { file: string }> {
    if (this.writing) {
      throw new UnavailableError('head_snapshot_in_progress', `a head snapshot is still being written to ${this.config.dir}; skip this one or wait for it`);
    }
    this.writing = true;
    try {
      const captures = captureHeads(heads);
      const started = Date.now();
      await mkdir(this.config.dir, { recursive: true });
      const file = join(this.config.dir, fileName(offset));
      const stats = await writeHeadSnapshot(file, offset, captures);
      this.logger.info('head snapshot written', { file, offset, tenants: stats.tenants, series: stats.series, bytes: stats.bytes, duration_ms: Date.now() - started });
      await this.retain();
      return { ...stats, file };
    } finally {
      this.writing = false;
    }
  }

  /**
   * Loads the newest readable snapshot, falling back to older ones when one is damaged (logged as
   * a warning, the file renamed `.corrupt`). Undefined when the directory holds no snapshot; a
   * `HeadSnapshotCorruptError` when it holds some and none is readable (replaying the log from its
   * start could silently miss records it no longer retains, so that is the caller's decision).
   */
  async loadNewest(): Promise<LoadedHeadSnapshotFile | undefined> {
    const files = (await this.list()).snapshots;
    let firstError: HeadSnapshotCorruptError | undefined;
    for (const { name } of files) {
      const file = join(this.config.dir, name);
      const started = Date.now();
      try {
        const loaded = await readHeadSnapshot(file, this.headConfig, this.logger, this.registryFor);
        let series = 0;
        for (const h of loaded.heads.values()) series += h.numSeries;
        this.logger.info('head snapshot loaded', { file, offset: loaded.offset, tenants: loaded.heads.size, series, duration_ms: Date.now() - started });
        return { ...loaded, file };
      } catch (err) {
        if (!(err instanceof HeadSnapshotCorruptError)) throw err;
        firstError ??= err;
        this.logger.warn('head snapshot corrupt; trying an older one', { file, err });
        await rename(file, `${file}.corrupt`);
      }
    }
    if (firstError !== undefined) {
      throw new HeadSnapshotCorruptError(
        this.config.dir,
        `none of its ${files.length} snapshots is readable, the newest: ${firstError.message}`,
        { cause: firstError },
      );
    }
    return undefined;
  }

  private async list(): Promise<{ snapshots: Array<{ name: string; offset: number }>; other: Array<{ name: string; offset: number }> }> {
    let names: string[];
    try {
      names = await readdir(this.config.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { snapshots: [], other: [] };
      throw err;
    }
    const snapshots: Array<{ name: string; offset: number }> = [];
    const other: Array<{ name: string; offset: number }> = [];
    for (const name of names) {
      const m = NAME.exec(name);
      if (m !== null) snapshots.push({ name, offset: Number(m[1]) });
      const leftover = TMP.exec(name) ?? CORRUPT.exec(name);
      if (leftover !== null) other.push({ name, offset: Number(leftover[1]) });
    }
    snapshots.sort((a, b) => b.offset - a.offset);
    return { snapshots, other };
  }

  /** Deletes snapshots beyond the newest `keep`, and leftovers (temporary, corrupt) older than every kept one. */
  private async retain(): Promise<void> {
    const { snapshots, other } = await this.list();
    const kept = snapshots.slice(0, this.config.keep);
    const oldestKept = kept.length === 0 ? Infinity : kept[kept.length - 1].offset;
    const doomed = [...snapshots.slice(this.config.keep), ...other.filter((f) => f.offset < oldestKept)];
    for (const { name } of doomed) await rm(join(this.config.dir, name), { force: true });
    if (doomed.length > 0) this.logger.info('head snapshots deleted', { dir: this.config.dir, files: doomed.map((f) => f.name) });
  }
}
