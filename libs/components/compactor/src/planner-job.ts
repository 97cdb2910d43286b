import type { BucketIndexBlock } from '@panoptes/bucket-index';
import { COMPACTOR_SHARD_ID_LABEL, formatShardId } from '@panoptes/block-formats';

// The shard label is block-formats' (the compaction writes it); re-exported for planner users.
export { COMPACTOR_SHARD_ID_LABEL };

/** `"<index+1>_of_<count>"` for a 0-based shard index (the label value block-formats writes). */
export function formatCompactorShardId(index: number, count: number): string {
  return formatShardId(index, count);
}

const SHARD_ID_RE = /^([1-9][0-9]*)_of_([1-9][0-9]*)$/;

/** The 0-based index and count of a shard label value, or undefined if it is not `<i>_of_<n>` with 1 ≤ i ≤ n. */
export function parseCompactorShardId(value: string): { index: number; count: number } | undefined {
  const m = SHARD_ID_RE.exec(value);
  if (!m) return undefined;
  const index = Number(m[1]) - 1;
  const count = Number(m[2]);
  return index < count ? { index, count } : undefined;
}

/** What the planner reads of a block: a bucket-index entry has all of it. */
export type PlannableBlock = Pick<BucketIndexBlock, 'id' | 'minTime' | 'maxTime' | 'uploadedAt' | 'compactionLevel' | 'source' | 'labels'>;

/**
 * - `split`: merges its sources (unsharded blocks of one smallest-range window, one split group of
 *   them) and writes one block per shard (Mimir's split stage).
 * - `vertical`: merges sources of which at least two overlap in time (replicas' copies of a range,
 *   out-of-order or backfilled blocks), deduplicating samples.
 * - `merge`: merges adjacent, non-overlapping sources into one block of a larger range
 *   (horizontal compaction; Mimir's merge stage).
 * - `rewrite`: writes one block again without the samples of pending series deletion requests
 *   (same range, labels and compaction level); for blocks no other job takes.
 */
export type CompactionStage = 'split' | 'vertical' | 'merge' | 'rewrite';

/** One block a job writes. */
export interface CompactionJobOutput {
  /** External labels of the output block (`thanos.labels`): the sources' labels, plus the shard label for a split output. */
  labels: Record<string, string>;
  /** 0-based shard of the output, when it is sharded. */
  shardIndex?: number;
  /** Shard count of the output, when it is sharded. */
  shardCount?: number;
}

/**
 * One compaction the planner asks for: merge `sources` (one tenant, same external labels) into the
 * block(s) in `outputs`, then mark the sources for deletion. Everything here is a function of the
 * planner's input, so every compactor that plans from the same bucket index computes the same jobs,
 * keys and hashes; a compactor runs the jobs whose `hash` the compactor ring gives to it.
 */
export interface CompactionJob<B extends PlannableBlock = PlannableBlock> {
  tenant: string;
  /**
   * Unique among the tenant's jobs, stable while the job's inputs are:
   * `<shardingKey>@<16 hex digits: FNV-1a 64 of the sources' external labels without the shard label>`.
   */
  key: string;
  /**
   * `<tenant>/<stage>-<rangeStart>-<rangeEnd>[-<shard>]`, Mimir's sharding key with `/` after the
   * tenant (tenant IDs never hold `/`). `<shard>` is the split group (`<g+1>_of_<splitGroups>`)
   * for a split job, the sources' shard label for a job over split blocks, absent otherwise. A
   * rewrite job: `<tenant>/rewrite-<block ulid>`.
   */
  shardingKey: string;
  /** FNV-1a 32 of `shardingKey`: the ring token that decides which compactor runs the job (as Mimir). */
  hash: number;
  stage: CompactionStage;
  /**
   * Start of the aligned compaction window the job belongs to, ms, inclusive (a multiple of its
   * length). A rewrite job has no window: its block's minTime.
   */
  rangeStart: number;
  /**
   * End of that window, ms, exclusive; `rangeEnd - rangeStart` is one of the configured block
   * ranges. A rewrite job: its block's maxTime.
   */
  rangeEnd: number;
  /** Time range of the output block(s): the sources' lowest minTime, ms, inclusive. */
  minTime: number;
  /** The sources' highest maxTime, ms, exclusive. */
  maxTime: number;
  /** The source blocks, sorted by id. */
  sources: B[];
  /** Their ids, sorted. */
  sourceBlockIds: string[];
  /** Compaction level of the output block(s): the highest source level + 1 (a rewrite keeps its source's level). */
  compactionLevel: number;
  /** External labels shared by every source (empty values dropped). */
  labels: Record<string, string>;
  /**
   * Shard of the job's output. A job over split blocks: that shard (`shardIndex` of `shardCount`).
   * A split job: `shardCount` = the shards it writes, `shardIndex` absent (it writes every shard;
   * see `outputs`). Unsharded: both absent.
   */
  shardIndex?: number;
  shardCount?: number;
  /** Split jobs only: the 0-based split group of the sources, of `splitGroupCount`. */
  splitGroupIndex?: number;
  splitGroupCount?: number;
  /** The blocks the job writes: one per shard for a split job, one otherwise. */
  outputs: CompactionJobOutput[];
}

const STAGE_ORDER: Record<CompactionStage, number> = { split: 0, vertical: 1, merge: 1, rewrite: 2 };

/**
 * The order jobs are run in (Mimir's `smallest-range-oldest-blocks-first`): smallest window first
 * (deduplicate replicas before anything else), then oldest window (more likely complete), then
 * split before merge, then oldest data, then key. A total order: the result never depends on the
 * order blocks were listed in.
 */
export function compareCompactionJobs(a: CompactionJob, b: CompactionJob): number {
  return (
    a.rangeEnd - a.rangeStart - (b.rangeEnd - b.rangeStart) ||
    a.rangeStart - b.rangeStart ||
    STAGE_ORDER[a.stage] - STAGE_ORDER[b.stage] ||
    a.minTime - b.minTime ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}
