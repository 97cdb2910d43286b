import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UnavailableError, errorMessage, syncDir } from '@panoptes/common';

/**
 * Committed offsets of the in-process log, per (consumer group, partition), in one small JSON file:
 *
 *   {"version":1,"groups":{"ingester-0":{"0":400}}}
 *
 * Every change rewrites the whole file atomically: write `<file>.tmp`, fsync it, rename it over
 * the file, fsync the directory. A crash leaves either the old or the new file, never a torn one.
 * Writes are coalesced: callers that commit while a write is in flight share the next write.
 */
export class OffsetsFile {
  private readonly groups = new Map<string, Map<number, number>>();
  private version = 0;
  private writtenVersion = 0;
  private inFlight: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    private readonly fsync: boolean,
  ) {}

  /** Loads the file, or starts empty when it does not exist. An unreadable file is an error. */
  static async load(file: string, fsync: boolean): Promise<OffsetsFile> {
    const offsets = new OffsetsFile(file, fsync);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return offsets;
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as { version?: unknown; groups?: Record<string, Record<string, unknown>> };
      if (parsed.version !== 1 || typeof parsed.groups !== 'object' || parsed.groups === null) {
        throw new Error(`unsupported content (version ${String(parsed.version)})`);
      }
      for (const [group, partitions] of Object.entries(parsed.groups)) {
        const byPartition = new Map<number, number>();
        for (const [partition, offset] of Object.entries(partitions)) {
          if (!Number.isSafeInteger(offset) || !/^\d+$/.test(partition)) {
            throw new Error(`bad entry for group "${group}" partition "${partition}"`);
          }
          byPartition.set(Number(partition), offset as number);
        }
        offsets.groups.set(group, byPartition);
      }
    } catch (err) {
      throw new Error(
        `committed offsets file ${file} is unreadable (${errorMessage(err)}); restore it, or delete it to make every consumer group start again from the earliest retained record`,
        { cause: err },
      );
    }
    return offsets;
  }

  get(group: string, partition: number): number | undefined {
    return this.groups.get(group)?.get(partition);
  }

  /** The smallest offset committed for the partition by any group, or undefined if none did. */
  minCommitted(partition: number): number | undefined {
    let min: number | undefined;
    for (const byPartition of this.groups.values()) {
      const offset = byPartition.get(partition);
      if (offset !== undefined && (min === undefined || offset < min)) min = offset;
    }
    return min;
  }

  /** Records the offset and resolves once it is on disk. */
  async set(group: string, partition: number, offset: number): Promise<void> {
    let byPartition = this.groups.get(group);
    if (!byPartition) {
      byPartition = new Map();
      this.groups.set(group, byPartition);
    }
    const previous = byPartition.get(partition);
    byPartition.set(partition, offset);
    const wanted = ++this.version;
    try {
      while (this.writtenVersion < wanted) {
        if (!this.inFlight) {
          this.inFlight = this.write().finally(() => {
            this.inFlight = undefined;
          });
        }
        await this.inFlight;
      }
    } catch (err) {
      // Not durable: forget it, so retention never deletes on the strength of an offset a crash
      // would take back.
      if (byPartition.get(partition) === offset) {
        if (previous === undefined) byPartition.delete(partition);
        else byPartition.set(partition, previous);
      }
      throw err;
    }
  }

  private async write(): Promise<void> {
    const version = this.version;
    const groups: Record<string, Record<string, number>> = {};
    for (const [group, byPartition] of this.groups) {
      groups[group] = Object.fromEntries([...byPartition].sort((a, b) => a[0] - b[0]));
    }
    const tmp = `${this.file}.tmp`;
    try {
      const handle = await fs.open(tmp, 'w');
      try {
        await handle.writeFile(JSON.stringify({ version: 1, groups }) + '\n');
        if (this.fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, this.file);
      if (this.fsync) await syncDir(path.dirname(this.file));
    } catch (err) {
      throw new UnavailableError(
        'ingest_commit_failed',
        `could not write committed offsets to ${this.file}: ${errorMessage(err)}; check the disk and retry the commit`,
        { cause: err },
      );
    }
    this.writtenVersion = Math.max(this.writtenVersion, version);
  }
}
