const HOUR_MS = 3_600_000;

/** Largest shard count a split can have (block-formats checks the same bound when compacting). */
export const MAX_SPLIT_AND_MERGE_SHARDS = 1 << 20;

/** Settings of the compaction planner (Mimir's `-compactor.*` options of the same names). */
export interface CompactionPlannerConfig {
  /**
   * Compaction ranges in milliseconds, ascending, each a multiple of the one before
   * (`-compactor.block-ranges`). The first is the block range ingesters cut; the last bounds every
   * compacted block.
   */
  blockRangesMs: number[];
  /**
   * Shards the split stage cuts each smallest-range window into (`-compactor.split-and-merge-shards`);
   * 0 disables splitting: blocks are only merged.
   */
  splitAndMergeShards: number;
  /**
   * Groups the split stage divides a window's source blocks into, one split job each, by a hash of
   * the block ID (`-compactor.split-groups`). At least 1.
   */
  splitGroups: number;
  /**
   * Blocks whose upload completed (bucket index `uploadedAt`) less than this long ago are left out of
   * planning, in milliseconds; blocks the compactor wrote are exempt. 0 disables.
   */
  consistencyDelayMs: number;
  /**
   * A job holding a level-1 block waits until every one of its blocks was uploaded at least this
   * long ago, so the other replicas' copies of the same range arrive first, in milliseconds
   * (`-compactor.first-level-compaction-wait-period`). 0 disables.
   */
  firstLevelCompactionWaitPeriodMs: number;
}

export function defaultCompactionPlannerConfig(): CompactionPlannerConfig {
  return {
    blockRangesMs: [2 * HOUR_MS, 12 * HOUR_MS, 24 * HOUR_MS],
    splitAndMergeShards: 0,
    splitGroups: 1,
    consistencyDelayMs: 0,
    firstLevelCompactionWaitPeriodMs: 25 * 60_000,
  };
}

/** Problems with a planner config, for the config loader to report with all others. */
export function validateCompactionPlannerConfig(c: CompactionPlannerConfig): string[] {
  const problems: string[] = [];
  const ranges = c.blockRangesMs;
  if (ranges.length === 0) {
    problems.push('compactor block ranges must list at least one range (e.g. 2h,12h,24h)');
  }
  ranges.forEach((r, i) => {
    if (!Number.isSafeInteger(r) || r <= 0) {
      problems.push(`compactor block range ${i + 1} (${r} ms) must be a positive whole number of milliseconds`);
      return;
    }
    const prev = ranges[i - 1];
    if (i > 0 && Number.isSafeInteger(prev) && prev! > 0 && (r <= prev! || r % prev! !== 0)) {
      problems.push(
        `compactor block range ${i + 1} (${r} ms) must be larger than and a multiple of the range before it (${prev} ms); list ranges ascending, e.g. 2h,12h,24h`,
      );
    }
  });
  if (!Number.isInteger(c.splitAndMergeShards) || c.splitAndMergeShards < 0 || c.splitAndMergeShards > MAX_SPLIT_AND_MERGE_SHARDS) {
    problems.push(
      `compactor split-and-merge shards (${c.splitAndMergeShards}) must be a whole number in [0, ${MAX_SPLIT_AND_MERGE_SHARDS}]; 0 disables splitting`,
    );
  }
  if (!Number.isInteger(c.splitGroups) || c.splitGroups < 1 || c.splitGroups > MAX_SPLIT_AND_MERGE_SHARDS) {
    problems.push(`compactor split groups (${c.splitGroups}) must be a whole number in [1, ${MAX_SPLIT_AND_MERGE_SHARDS}]`);
  }
  for (const [name, v] of [
    ['consistency delay', c.consistencyDelayMs],
    ['first-level compaction wait period', c.firstLevelCompactionWaitPeriodMs],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) problems.push(`compactor ${name} (${v} ms) must be a non-negative number of milliseconds; 0 disables it`);
  }
  return problems;
}
