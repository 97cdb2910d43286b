import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ulid as newUlid } from 'ulid';
import { ValidationError, writeFileSynced } from '@panoptes/common';
import { publishBlock, thanosFileList } from './block-publish';
import { ChunkSegmentWriter, DEFAULT_MAX_SEGMENT_BYTES } from './chunk-segments';
import { FileSink } from './file-sink';
import { ChunkMeta, IndexBuilder, IndexSeries, writeIndex } from './index-format';
import { compareLabels, Labels, labelsString, validateLabels } from './labels';
import { BlockMeta, META_VERSION_1, SOURCE_RECEIVE } from './meta';
import { encodeEmptyTombstones } from './tombstones';
import { CHUNK_ENCODING_XOR, XOR_MAX_SAMPLES, XorChunkEncoder } from './xor-chunk';

export interface BlockWriterConfig {
  /** Most samples per XOR chunk; a new chunk is cut after this many (Prometheus uses 120). */
  samplesPerChunk: number;
  /** Largest chunk segment file in bytes before a new one is started (Prometheus: 512 MiB). */
  maxSegmentBytes: number;
}

export function defaultBlockWriterConfig(): BlockWriterConfig {
  return { samplesPerChunk: 120, maxSegmentBytes: DEFAULT_MAX_SEGMENT_BYTES };
}

export interface BlockWriterOptions {
  /** The block's ULID; a new one (current time) when absent. */
  ulid?: string;
  /** `thanos.labels` of meta.json, e.g. `{ __org_id__: tenant }`. */
  externalLabels?: Record<string, string>;
  /** `thanos.source` of meta.json; `receive` (an ingester) when absent. */
  source?: string;
}

/** An already encoded chunk to store as is. */
export interface EncodedChunk {
  /** Chunk encoding byte; XOR (1) when absent. */
  encoding?: number;
  data: Uint8Array;
  /** First and last sample timestamps (ms, inclusive). */
  mint: number;
  maxt: number;
}

/** Timestamps beyond ±2^51 ms (~71,000 years) would make XOR deltas-of-deltas inexact. */
const MAX_ABS_TIMESTAMP = 2 ** 51;

// Word indexes of a float64's high and low 32 bits in a Uint32Array view.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

interface PendingSeries extends IndexSeries {
  chunks: ChunkMeta[];
}

/**
 * Writes one block in the Prometheus TSDB format: `<parentDir>/<ulid>/{meta.json, index,
 * chunks/000001…, tombstones}`.
 *
 * Chunks stream to the segment files as series are added (in any order; adding them in label
 * order keeps a series' chunks next to its neighbours' for reads, and lets the index be built as
 * they arrive), so memory holds only labels and chunk metas, never all chunk bytes. `finish()`
 * sorts the series if they came out of order, writes the index, tombstones and meta.json, and
 * renames the directory into place: until then the block lives in
 * `<ulid>.tmp-for-creation`, a name Prometheus and Panoptes ignore, so a half-written block never
 * appears. `abort()` removes it.
 *
 * States: open (addSeries…) → finish() → done | abort() → aborted.
 */
export class BlockWriter {
  readonly ulid: string;
  private readonly tmpDir: string;
  private readonly finalDir: string;
  private readonly series: PendingSeries[] = [];
  /**
   * The index, built as series arrive while they come in label order (as the head adds them);
   * dropped at the first series out of order, then `finish()` sorts and builds it from `series`.
   */
  private index: IndexBuilder | undefined = new IndexBuilder();
  private readonly encoder = new XorChunkEncoder();
  private segments: ChunkSegmentWriter | undefined;
  private state: 'open' | 'done' | 'aborted' = 'open';
  private minTime = Infinity;
  private maxTime = -Infinity;
  private numSamples = 0;
  private numChunks = 0;

  constructor(
    private readonly config: BlockWriterConfig,
    private readonly parentDir: string,
    private readonly options: BlockWriterOptions = {},
  ) {
    if (!Number.isInteger(config.samplesPerChunk) || config.samplesPerChunk < 1 || config.samplesPerChunk > XOR_MAX_SAMPLES) {
      throw new ValidationError(
        'invalid_samples_per_chunk',
        `samplesPerChunk must be an integer between 1 and ${XOR_MAX_SAMPLES}; got ${config.samplesPerChunk}`,
      );
    }
    this.ulid = options.ulid ?? newUlid();
    this.finalDir = join(parentDir, this.ulid);
    this.tmpDir = `${this.finalDir}.tmp-for-creation`;
  }

  /** Where the finished block is (or will be). */
  get dir(): string {
    return this.finalDir;
  }

  /** The chunk segment writer when it is open already, without an await; else undefined (then `chunkWriter()`). */
  private openSegments(): ChunkSegmentWriter | undefined {
    return this.state === 'open' ? this.segments : undefined;
  }

  private async chunkWriter(): Promise<ChunkSegmentWriter> {
    if (this.state !== 'open') throw new ValidationError('block_writer_closed', `block ${this.ulid} is already finished or aborted`);
    if (!this.segments) {
      await mkdir(join(this.tmpDir, 'chunks'), { recursive: true });
      this.segments = new ChunkSegmentWriter(join(this.tmpDir, 'chunks'), this.config.maxSegmentBytes);
    }
    return this.segments;
  }

  /**
   * Adds a series from parallel arrays of timestamps (ms, strictly increasing) and values.
   * Values keep their exact bits (NaN payloads such as the staleness marker included). `labels`
   * is kept as given, not copied, until `finish()`: do not change it meanwhile.
   */
  async addSeries(labels: Labels, timestamps: Float64Array, values: Float64Array): Promise<void> {
    validateLabels(labels);
    const n = timestamps.length;
    if (n === 0 || values.length !== n) {
      throw new ValidationError(
        'invalid_samples',
        `series ${labelsString(labels)} needs at least one sample and as many values (${values.length}) as timestamps (${n})`,
      );
    }
    for (let i = 0; i < n; i++) {
      const t = timestamps[i];
      if (!Number.isInteger(t) || Math.abs(t) > MAX_ABS_TIMESTAMP || (i > 0 && t <= timestamps[i - 1])) {
        throw new ValidationError(
          'invalid_timestamps',
          `series ${labelsString(labels)}: timestamps must be integers (ms) within ±2^51, strictly increasing; sample ${i} has ${t}`,
        );
      }
    }
    const writer = this.openSegments() ?? (await this.chunkWriter());
    const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
    const chunks: ChunkMeta[] = [];
    const enc = this.encoder;
    const per = this.config.samplesPerChunk;
    for (let start = 0; start < n; start += per) {
      const end = Math.min(start + per, n);
      enc.reset();
      for (let i = start; i < end; i++) enc.appendBits(timestamps[i], words[i * 2 + HI], words[i * 2 + LO]);
      let ref = writer.tryWriteChunk(CHUNK_ENCODING_XOR, enc.bytes());
      if (ref < 0) ref = await writer.writeChunk(CHUNK_ENCODING_XOR, enc.bytes());
      chunks.push({ mint: timestamps[start], maxt: timestamps[end - 1], ref });
    }
    this.record(labels, chunks, n, timestamps[0], timestamps[n - 1]);
  }

  /**
   * Adds a series whose chunks are already encoded (e.g. cut by the ingester's head). `labels` is
   * kept as given, not copied, until `finish()`: do not change it meanwhile.
   */
  async addSeriesChunks(labels: Labels, encoded: readonly EncodedChunk[]): Promise<void> {
    validateLabels(labels);
    if (encoded.length === 0) throw new ValidationError('series_without_chunks', `series ${labelsString(labels)} has no chunks`);
    const writer = this.openSegments() ?? (await this.chunkWriter());
    const chunks: ChunkMeta[] = [];
    let samples = 0;
    for (let i = 0; i < encoded.length; i++) {
      const c = encoded[i];
      if (c.data.length < 2 || c.maxt < c.mint || (i > 0 && c.mint <= encoded[i - 1].maxt)) {
        throw new ValidationError(
          'chunks_overlap',
          `chunks of series ${labelsString(labels)} must be non-empty, in time order and not overlap (chunk ${i})`,
        );
      }
      samples += (c.data[0] << 8) | c.data[1];
      const encoding = c.encoding ?? CHUNK_ENCODING_XOR;
      let ref = writer.tryWriteChunk(encoding, c.data);
      if (ref < 0) ref = await writer.writeChunk(encoding, c.data);
      chunks.push({ mint: c.mint, maxt: c.maxt, ref });
    }
    this.record(labels, chunks, samples, encoded[0].mint, encoded[encoded.length - 1].maxt);
  }

  private record(labels: Labels, chunks: ChunkMeta[], samples: number, mint: number, maxt: number): void {
    this.series.push({ labels, chunks });
    if (this.index !== undefined) {
      if (this.index.follows(labels)) this.index.add(labels, chunks);
      else this.index = undefined;
    }
    this.numSamples += samples;
    this.numChunks += chunks.length;
    if (mint < this.minTime) this.minTime = mint;
    if (maxt > this.maxTime) this.maxTime = maxt;
  }

  /** Writes index, tombstones and meta.json and moves the block into place; returns its meta. */
  async finish(): Promise<BlockMeta> {
    if (this.series.length === 0) {
      throw new ValidationError('empty_block', `block ${this.ulid} has no series; add series before finishing or abort it`);
    }
    const segments = await this.chunkWriter();
    try {
      await segments.close();
      if (this.index === undefined) {
        this.series.sort((a, b) => compareLabels(a.labels, b.labels));
        for (let i = 1; i < this.series.length; i++) {
          if (compareLabels(this.series[i - 1].labels, this.series[i].labels) === 0) {
            throw new ValidationError(
              'duplicate_series',
              `series ${labelsString(this.series[i].labels)} was added twice to block ${this.ulid}; merge its samples into one call`,
            );
          }
        }
      }
      const indexSink = await new FileSink(join(this.tmpDir, 'index')).open();
      try {
        await (this.index !== undefined ? this.index.write(indexSink) : writeIndex(indexSink, this.series));
        await indexSink.close();
      } catch (err) {
        await indexSink.discard();
        throw err;
      }
      await writeFileSynced(join(this.tmpDir, 'tombstones'), encodeEmptyTombstones());

      const files = await thanosFileList(this.tmpDir, segments.segmentFiles);
      const meta: BlockMeta = {
        ulid: this.ulid,
        minTime: this.minTime,
        maxTime: this.maxTime + 1,
        stats: { numSamples: this.numSamples, numSeries: this.series.length, numChunks: this.numChunks },
        compaction: { level: 1, sources: [this.ulid] },
        version: META_VERSION_1,
        thanos: {
          labels: { ...(this.options.externalLabels ?? {}) },
          downsample: { resolution: 0 },
          source: this.options.source ?? SOURCE_RECEIVE,
          segment_files: [...segments.segmentFiles],
          files,
        },
      };
      await publishBlock(this.tmpDir, this.finalDir, this.parentDir, meta);
      this.state = 'done';
      return meta;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Drops everything written so far. */
  async abort(): Promise<void> {
    if (this.state === 'done') return;
    this.state = 'aborted';
    await this.segments?.discard();
    await rm(this.tmpDir, { recursive: true, force: true });
  }
}
