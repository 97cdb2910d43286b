import { ulid as newUlid } from 'ulid';
import { PanoptesError, ValidationError } from '@panoptes/common';
import { BlockReader } from './block-reader';
import { DEFAULT_MAX_SEGMENT_BYTES } from './chunk-segments';
import { GoHeap } from './compact-heap';
import { CompactionSource, DirSource, ReaderSource, SourceSeries, SeriesCursor } from './compact-input';
import { DEFAULT_SAMPLES_PER_MERGED_CHUNK, MergeChunk, SeriesMerger } from './compact-merge';
import { COMPACTOR_SHARD_ID_LABEL, formatShardId, LabelsShardHasher, validateShard } from './compact-shard';
import { isSubrange } from './compact-tombstones';
import { CompactedBlockWriter } from './compact-writer';
import { CorruptBlockError } from './errors';
import { compareLabels, compareUtf8, labelsString } from './labels';
import { BlockMeta, SOURCE_COMPACTOR } from './meta';
import { Tombstone } from './tombstones';
import { XOR_MAX_SAMPLES } from './xor-chunk';

/**
 * An input block: a block directory (streamed from disk, its tombstones file applied), a
 * `BlockReader` held in memory (no tombstones: the reader does not load them), or a reader with
 * the tombstones to apply.
 */
export type CompactionInput = string | BlockReader | { reader: BlockReader; tombstones?: readonly Tombstone[] };

export interface CompactionConfig {
  /** Most samples per chunk re-encoded by a merge (Prometheus: 120). */
  samplesPerChunk: number;
  /** Largest chunk segment file of the output block, bytes (Prometheus: 512 MiB). */
  maxSegmentBytes: number;
  /** Most postings entries (4 bytes each) held at once while writing the output index. */
  postingsBatchEntries: number;
  /** Read-ahead window per open input file (index, chunk segment), bytes. */
  readWindowBytes: number;
}

export function defaultCompactionConfig(): CompactionConfig {
  return {
    samplesPerChunk: DEFAULT_SAMPLES_PER_MERGED_CHUNK,
    maxSegmentBytes: DEFAULT_MAX_SEGMENT_BYTES,
    postingsBatchEntries: 4 << 20,
    readWindowBytes: 1 << 20,
  };
}

export interface CompactOptions {
  /** ULID of the output block; a new one when absent. */
  ulid?: string;
  /**
   * Split compaction (Mimir split-and-merge): keep only the series with
   * `labels.Hash() % splitShards === shardIndex` and label the block
   * `__compactor_shard_id__="<shardIndex+1>_of_<splitShards>"`. Both or neither.
   */
  splitShards?: number;
  shardIndex?: number;
  config?: CompactionConfig;
  /** Stops the compaction (the partial output is removed) when aborted. */
  signal?: AbortSignal;
}

export interface CompactionStats {
  /** Series read from the inputs, summed over inputs. */
  inputSeries: number;
  /** Input series outside the requested shard (split compaction). */
  seriesOutsideShard: number;
  outputSeries: number;
  outputSamples: number;
  /** Output chunks stored exactly as in an input (not re-encoded). */
  chunksCopied: number;
  /** Output chunks encoded by the compaction (overlaps merged, tombstones applied). */
  chunksReencoded: number;
  /** Input chunks dropped as exact replicas of another input's chunk. */
  duplicateChunks: number;
  /** Input chunks dropped whole by tombstones. */
  deletedChunks: number;
  /** Runs of overlapping chunks merged sample by sample. */
  overlapMerges: number;
}

export interface CompactionResult {
  /** The new block's meta; null when nothing was left to write (all deleted or outside the shard). */
  meta: BlockMeta | null;
  /** `<outDir>/<ulid>`, or null when no block was written. */
  dir: string | null;
  stats: CompactionStats;
}

/**
 * The inputs cannot be compacted into one block: they disagree on external labels (tenant,
 * shard…) or on downsampling resolution. The planner grouped them wrongly; nothing was written.
 */
export class IncompatibleBlocksError extends PanoptesError {
  constructor(reason: string, message: string) {
    super('unprocessable', reason, message);
  }
}

interface CursorState {
  source: CompactionSource;
  cursor: SeriesCursor;
  at: SourceSeries;
}

function cursorLess(a: CursorState, b: CursorState): boolean {
  return compareLabels(a.at.labels, b.at.labels) < 0;
}

const ABORT_CHECK_EVERY = 1024;

/**
 * Merges N blocks into one Prometheus TSDB block under `<outDir>/<ulid>` (horizontal compaction
 * of adjacent blocks and vertical compaction of overlapping ones, e.g. the RF copies uploaded by
 * several ingesters).
 *
 * - Series: the union of the inputs' series, merged by labels. Chunks of one series merge with
 *   Prometheus' compacting merger (see `SeriesMerger`): non-overlapping chunks are copied as
 *   stored, exact replicas dropped, overlapping ones merged sample by sample (one sample per
 *   timestamp) and re-encoded into chunks of `samplesPerChunk`. Inputs are ordered by
 *   (minTime, ULID) first, so the output does not depend on the order they are passed in.
 * - Tombstones of each input are applied; the output has none. A series with nothing left, or
 *   outside the requested split shard, is not written; when no series is left no block is written
 *   (`meta: null`), as Prometheus does for an empty compaction result.
 * - meta.json: time range over the inputs' metas, `compaction.level` = max input level + 1,
 *   `sources` = union (sorted), `parents` = the inputs, `thanos.labels` = the inputs' external
 *   labels (which must be equal: `IncompatibleBlocksError`) plus the shard label when splitting,
 *   `thanos.source` = `compactor`.
 * - Memory: one series at a time (its chunks from every input), the symbol tables, tombstones,
 *   read windows and the index writer's bounded postings batch, never a whole block; block
 *   directories are read with positional reads, not loaded.
 * - Crash safety: the block is written under `<ulid>.tmp-for-creation` and renamed when complete.
 */
export async function compactBlocks(
  inputs: readonly CompactionInput[],
  outDir: string,
  options: CompactOptions = {},
): Promise<CompactionResult> {
  const config = options.config ?? defaultCompactionConfig();
  validateOptions(inputs, options, config);
  const split = options.splitShards !== undefined ? { count: options.splitShards, index: options.shardIndex! } : undefined;
  const sources = await openSources(inputs, config);
  let writer: CompactedBlockWriter | undefined;
  try {
    sources.sort((a, b) => a.meta.minTime - b.meta.minTime || (a.meta.ulid < b.meta.ulid ? -1 : a.meta.ulid > b.meta.ulid ? 1 : 0));
    const common = checkCompatible(sources);
    const hasher = new LabelsShardHasher();
    const keep = split ? (s: SourceSeries) => hasher.shardOf(s.labels, split.count) === split.index : () => true;
    const symbols = await outputSymbols(sources, keep, split !== undefined);

    const minTime = Math.min(...sources.map((s) => s.meta.minTime));
    const maxTime = Math.max(...sources.map((s) => s.meta.maxTime));
    const ulid = options.ulid ?? newUlid();
    writer = new CompactedBlockWriter(outDir, ulid, symbols, config);
    await writer.open();
    const stats = await mergeSeries(sources, writer, { keep, config, signal: options.signal });

    if (writer.numSeries === 0) {
      await writer.abort();
      return { meta: null, dir: null, stats };
    }
    const labels = { ...common.labels };
    if (split) labels[COMPACTOR_SHARD_ID_LABEL] = formatShardId(split.index, split.count);
    const allSources = new Set<string>();
    for (const s of sources) for (const u of s.meta.compaction.sources ?? [s.meta.ulid]) allSources.add(u);
    const meta = await writer.finish({
      minTime,
      maxTime,
      compaction: {
        level: Math.max(...sources.map((s) => s.meta.compaction.level ?? 1)) + 1,
        sources: [...allSources].sort(),
        parents: sources.map((s) => ({ ulid: s.meta.ulid, minTime: s.meta.minTime, maxTime: s.meta.maxTime })),
      },
      thanos: { labels, downsample: { resolution: common.resolution }, source: SOURCE_COMPACTOR },
    });
    return { meta, dir: writer.dir, stats };
  } catch (err) {
    await writer?.abort();
    throw err;
  } finally {
    await Promise.all(sources.map((s) => s.close()));
  }
}

function validateOptions(inputs: readonly CompactionInput[], options: CompactOptions, config: CompactionConfig): void {
  if (inputs.length === 0) throw new ValidationError('no_input_blocks', 'compaction needs at least one input block');
  if ((options.splitShards === undefined) !== (options.shardIndex === undefined)) {
    throw new ValidationError('invalid_compactor_shard', 'set both splitShards and shardIndex for a split compaction, or neither');
  }
  if (options.splitShards !== undefined) validateShard(options.shardIndex!, options.splitShards);
  const c = config;
  if (!Number.isInteger(c.samplesPerChunk) || c.samplesPerChunk < 1 || c.samplesPerChunk > XOR_MAX_SAMPLES) {
    throw new ValidationError('invalid_samples_per_chunk', `samplesPerChunk must be an integer between 1 and ${XOR_MAX_SAMPLES}; got ${c.samplesPerChunk}`);
  }
  if (!(c.postingsBatchEntries >= 1) || !(c.readWindowBytes >= 64)) {
    throw new ValidationError(
      'invalid_compaction_config',
      `postingsBatchEntries must be >= 1 and readWindowBytes >= 64; got ${c.postingsBatchEntries} and ${c.readWindowBytes}`,
    );
  }
}

async function openSources(inputs: readonly CompactionInput[], config: CompactionConfig): Promise<CompactionSource[]> {
  const opened: CompactionSource[] = [];
  try {
    for (const input of inputs) {
      if (typeof input === 'string') opened.push(await DirSource.open(input, { readWindowBytes: config.readWindowBytes }));
      else if (input instanceof BlockReader) opened.push(new ReaderSource(input));
      else opened.push(new ReaderSource(input.reader, input.tombstones ?? []));
    }
  } catch (err) {
    await Promise.all(opened.map((s) => s.close()));
    throw err;
  }
  return opened;
}

function labelsKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

function checkCompatible(sources: readonly CompactionSource[]): { labels: Record<string, string>; resolution: number } {
  const seen = new Set<string>();
  for (const s of sources) {
    if (seen.has(s.meta.ulid)) {
      throw new ValidationError('duplicate_input_block', `block ${s.meta.ulid} is given twice (${s.name}); pass each block once`);
    }
    seen.add(s.meta.ulid);
  }
  const first = sources[0];
  const labels = first.meta.thanos?.labels ?? {};
  const resolution = first.meta.thanos?.downsample?.resolution ?? 0;
  for (const s of sources.slice(1)) {
    const other = s.meta.thanos?.labels ?? {};
    if (labelsKey(other) !== labelsKey(labels)) {
      throw new IncompatibleBlocksError(
        'external_labels_mismatch',
        `blocks ${first.meta.ulid} and ${s.meta.ulid} have different external labels (${labelsKey(labels)} vs ${labelsKey(other)}); compact only blocks of one tenant and shard together`,
      );
    }
    const res = s.meta.thanos?.downsample?.resolution ?? 0;
    if (res !== resolution) {
      throw new IncompatibleBlocksError(
        'downsample_resolution_mismatch',
        `blocks ${first.meta.ulid} and ${s.meta.ulid} have different downsampling resolutions (${resolution} vs ${res}); compact only blocks of one resolution together`,
      );
    }
  }
  return { labels: { ...labels }, resolution };
}

/**
 * The output's symbol table. Without deletions or a split it is the union of the inputs' tables
 * (what Prometheus does). Otherwise a first pass over the inputs' series keeps only strings of
 * series that survive, so a deleted series' label values (or another shard's) do not linger in
 * the new block. A series emptied only by several intervals together (each chunk partly deleted)
 * may still leave its strings: harmless, and rare.
 */
async function outputSymbols(
  sources: readonly CompactionSource[],
  keep: (s: SourceSeries) => boolean,
  split: boolean,
): Promise<string[]> {
  const union = mergeSorted(sources.map((s) => s.symbols));
  // DirSource owns its table; a BlockReader's belongs to the caller.
  for (const s of sources) if (s instanceof DirSource) shareStrings(union, s.symbols as string[]);
  if (!split && sources.every((s) => s.tombstones.size === 0)) return union;
  const used = new Set<string>();
  for (const source of sources) {
    const cursor = source.series();
    for (let s = await cursor.next(); s; s = await cursor.next()) {
      if (!keep(s)) continue;
      const intervals = source.tombstones.get(s.ref);
      if (intervals && s.chunks.every((c) => isSubrange(c.mint, c.maxt, intervals))) continue;
      for (const [n, v] of s.labels) {
        used.add(n);
        used.add(v);
      }
    }
  }
  return union.filter((s) => used.has(s));
}

/**
 * Points `symbols` (sorted, a subset of `union`) at `union`'s string objects, so the inputs'
 * near-identical symbol tables (RF copies) hold each string once instead of once per input.
 */
function shareStrings(union: readonly string[], symbols: string[]): void {
  let j = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    while (j < union.length && union[j] !== s) j++;
    if (j < union.length) symbols[i] = union[j];
  }
}

/** Union of sorted, unique string lists (UTF-8 byte order), sorted and unique. */
function mergeSorted(lists: ReadonlyArray<readonly string[]>): string[] {
  if (lists.length === 1) return [...lists[0]];
  const pos = lists.map(() => 0);
  const out: string[] = [];
  for (;;) {
    let min: string | undefined;
    for (let i = 0; i < lists.length; i++) {
      const s = lists[i][pos[i]];
      if (s !== undefined && (min === undefined || compareUtf8(s, min) < 0)) min = s;
    }
    if (min === undefined) return out;
    out.push(min);
    for (let i = 0; i < lists.length; i++) if (lists[i][pos[i]] === min) pos[i]++;
  }
}

interface MergeParams {
  keep: (s: SourceSeries) => boolean;
  config: CompactionConfig;
  signal: AbortSignal | undefined;
}

/**
 * The k-way merge over the inputs' series in label order (Prometheus' `genericMergeSeriesSet`,
 * with the same heap, so series of equal labels reach the chunk merger in the same order), one
 * series at a time into the writer.
 */
async function mergeSeries(sources: readonly CompactionSource[], writer: CompactedBlockWriter, p: MergeParams): Promise<CompactionStats> {
  const stats: CompactionStats = {
    inputSeries: 0,
    seriesOutsideShard: 0,
    outputSeries: 0,
    outputSamples: 0,
    chunksCopied: 0,
    chunksReencoded: 0,
    duplicateChunks: 0,
    deletedChunks: 0,
    overlapMerges: 0,
  };
  const merger = new SeriesMerger(p.config.samplesPerChunk);
  const heap = new GoHeap<CursorState>(cursorLess);
  for (const source of sources) {
    const cursor = source.series();
    const at = await cursor.next();
    if (at) heap.push({ source, cursor, at });
  }
  const current: CursorState[] = [];
  const inputs: MergeChunk[][] = [];
  let n = 0;
  for (;;) {
    for (const c of current) {
      const at = await c.cursor.next();
      if (at) {
        c.at = at;
        heap.push(c);
      }
    }
    if (heap.length === 0) break;
    current.length = 0;
    const labels = heap.peek().at.labels;
    while (heap.length > 0 && compareLabels(labels, heap.peek().at.labels) === 0) current.push(heap.pop());
    stats.inputSeries += current.length;
    if (++n % ABORT_CHECK_EVERY === 0) p.signal?.throwIfAborted();
    if (!p.keep(current[0].at)) {
      stats.seriesOutsideShard += current.length;
      continue;
    }

    inputs.length = 0;
    for (const c of current) {
      const s = c.at;
      const chunks: MergeChunk[] = new Array(s.chunks.length);
      for (let i = 0; i < s.chunks.length; i++) {
        const m = s.chunks[i];
        if (m.mint < c.source.meta.minTime || m.maxt >= c.source.meta.maxTime) {
          throw new CorruptBlockError(
            `${c.source.name}: series ${labelsString(s.labels)} has a chunk ${m.mint}..${m.maxt} outside the block's range [${c.source.meta.minTime}, ${c.source.meta.maxTime}); the block is damaged`,
          );
        }
        const rec = await c.source.chunk(m.ref);
        chunks[i] = { mint: m.mint, maxt: m.maxt, encoding: rec.encoding, data: rec.data, reencoded: false };
      }
      inputs.push(merger.applyTombstones(chunks, c.source.tombstones.get(s.ref)));
    }
    const merged = merger.merge(inputs);
    if (merged.length > 0) {
      const before = writer.numSamples;
      await writer.addSeries(labels, merged);
      stats.outputSeries++;
      stats.outputSamples += writer.numSamples - before;
      for (const c of merged) {
        if (c.reencoded) stats.chunksReencoded++;
        else stats.chunksCopied++;
      }
    }
    // The writer has copied the chunks: the inputs may reuse their memory.
    for (const c of current) c.source.recycle();
  }
  p.signal?.throwIfAborted();
  stats.duplicateChunks = merger.counters.duplicateChunks;
  stats.deletedChunks = merger.counters.deletedChunks;
  stats.overlapMerges = merger.counters.overlapMerges;
  return stats;
}
