import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError, writeFileSynced } from '@panoptes/common';
import { publishBlock, thanosFileList } from './block-publish';
import { ChunkSegmentWriter } from './chunk-segments';
import { StreamingIndexWriter } from './compact-index-writer';
import { ChunkMeta } from './index-format';
import { Labels, validateLabels } from './labels';
import { BlockCompaction, BlockMeta, META_VERSION_1, ThanosMeta } from './meta';
import { encodeEmptyTombstones } from './tombstones';

export interface CompactedBlockWriterOptions {
  /** Largest chunk segment file, bytes. */
  maxSegmentBytes: number;
  /** See `StreamingIndexWriterOptions.postingsBatchEntries`. */
  postingsBatchEntries: number;
  /** Read window when re-reading the index series section, bytes. */
  readWindowBytes: number;
}

/** A chunk ready to store: encoding byte, data and its first/last sample timestamps (ms). */
export interface OutputChunk {
  mint: number;
  maxt: number;
  encoding: number;
  data: Uint8Array;
}

/** The meta.json fields the compaction decides; stats and file lists are filled in by the writer. */
export interface CompactedMetaFields {
  minTime: number;
  maxTime: number;
  compaction: BlockCompaction;
  thanos: Pick<ThanosMeta, 'labels' | 'downsample' | 'source'>;
}

/**
 * Writes the output block of a compaction as series arrive in label order, in bounded memory:
 * chunks stream to segment files, the index streams through `StreamingIndexWriter` (symbols
 * known up front). `BlockWriter` is not used because it keeps every series' labels and chunk
 * metas until `finish()` (O(block)).
 *
 * Same crash safety as `BlockWriter`: everything is written under `<ulid>.tmp-for-creation`,
 * fsynced, then renamed to `<ulid>`; `abort()` (or a failing `finish()`) removes it.
 *
 * States: new → open() → addSeries()… → finish() → done | abort() → aborted.
 */
export class CompactedBlockWriter {
  readonly dir: string;
  private readonly tmpDir: string;
  private readonly segments: ChunkSegmentWriter;
  private readonly index: StreamingIndexWriter;
  private readonly metas: ChunkMeta[] = [];
  private state: 'new' | 'open' | 'done' | 'aborted' = 'new';
  numSeries = 0;
  numChunks = 0;
  numSamples = 0;

  constructor(
    private readonly parentDir: string,
    readonly ulid: string,
    symbols: readonly string[],
    options: CompactedBlockWriterOptions,
  ) {
    this.dir = join(parentDir, ulid);
    this.tmpDir = `${this.dir}.tmp-for-creation`;
    this.segments = new ChunkSegmentWriter(join(this.tmpDir, 'chunks'), options.maxSegmentBytes);
    this.index = new StreamingIndexWriter(join(this.tmpDir, 'index'), symbols, options);
  }

  async open(): Promise<void> {
    if (this.state !== 'new') throw new ValidationError('block_writer_closed', `block ${this.ulid} was already opened`);
    if (await exists(this.dir)) {
      throw new ValidationError('block_exists', `block ${this.dir} already exists; compact into a new ULID or remove it first`);
    }
    // Leftovers of a crashed attempt with the same ULID are never a valid block.
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(join(this.tmpDir, 'chunks'), { recursive: true });
    this.state = 'open';
    await this.index.open();
  }

  /** Appends a series after every series added before it in label order. */
  async addSeries(labels: Labels, chunks: readonly OutputChunk[]): Promise<void> {
    if (this.state !== 'open') throw new ValidationError('block_writer_closed', `block ${this.ulid} is not open for writing`);
    validateLabels(labels);
    const metas = this.metas;
    metas.length = 0;
    for (const c of chunks) {
      const ref = await this.segments.writeChunk(c.encoding, c.data);
      metas.push({ mint: c.mint, maxt: c.maxt, ref });
      this.numSamples += (c.data[0] << 8) | c.data[1];
    }
    await this.index.addSeries(labels, metas);
    this.numChunks += chunks.length;
    this.numSeries++;
  }

  /** Writes index tables, tombstones and meta.json, moves the block into place; returns its meta. */
  async finish(fields: CompactedMetaFields): Promise<BlockMeta> {
    if (this.state !== 'open') throw new ValidationError('block_writer_closed', `block ${this.ulid} is not open for writing`);
    if (this.numSeries === 0) {
      throw new ValidationError('empty_block', `block ${this.ulid} has no series; abort it instead of finishing`);
    }
    try {
      await this.segments.close();
      await this.index.finish();
      await writeFileSynced(join(this.tmpDir, 'tombstones'), encodeEmptyTombstones());
      const files = await thanosFileList(this.tmpDir, this.segments.segmentFiles);
      const meta: BlockMeta = {
        ulid: this.ulid,
        minTime: fields.minTime,
        maxTime: fields.maxTime,
        stats: { numSamples: this.numSamples, numSeries: this.numSeries, numChunks: this.numChunks },
        compaction: fields.compaction,
        version: META_VERSION_1,
        thanos: { ...fields.thanos, segment_files: [...this.segments.segmentFiles], files },
      };
      await publishBlock(this.tmpDir, this.dir, this.parentDir, meta);
      this.state = 'done';
      return meta;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Drops everything written so far. */
  async abort(): Promise<void> {
    if (this.state === 'done' || this.state === 'aborted') return;
    const wasOpen = this.state === 'open';
    this.state = 'aborted';
    if (wasOpen) {
      await this.segments.discard();
      await this.index.discard();
    }
    await rm(this.tmpDir, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
