import { ValidationError } from '@panoptes/common';
import { CompactionPlannerConfig, validateCompactionPlannerConfig } from './planner-config';
import { PlannerDeletions, needsDeletionRewrite } from './planner-deletions';
import { blockIdHash, fnv1a32String, fnv1a64Hex } from './planner-hash';
import {
  COMPACTOR_SHARD_ID_LABEL,
  CompactionJob,
  CompactionJobOutput,
  CompactionStage,
  PlannableBlock,
  compareCompactionJobs,
  formatCompactorShardId,
  parseCompactorShardId,
} from './planner-job';

/** One tenant's blocks and marks, as the bucket index (and the no-compact marker listing) give them. */
export interface CompactionPlanInput<B extends PlannableBlock = PlannableBlock> {
  tenant: string;
  /** Every complete block of the tenant (bucket index `blocks`), in any order. */
  blocks: readonly B[];
  /** Ids of blocks marked for deletion (bucket index `blockDeletionMarks`). */
  deletionMarked?: Iterable<string>;
  /** Ids of blocks marked no-compact (`listGlobalMarkers(...).noCompact`). */
  noCompactMarked?: Iterable<string>;
  /** Current time, ms since the Unix epoch: the only clock the planner reads. */
  now: number;
  /**
   * The tenant's pending series deletion requests: a compactable block overlapping one it did not
   * apply, and not a source of a job planned now, gets a `rewrite` job (PLANNER.md rule 9).
   */
  seriesDeletions?: PlannerDeletions;
}

export type BlockExclusionReason = 'marked-for-deletion' | 'no-compact' | 'consistency-delay';

/** A block left out of planning altogether. */
export interface ExcludedBlock {
  id: string;
  reason: BlockExclusionReason;
}

/**
 * - `window-incomplete`: the job's window may still receive blocks (Mimir's rule, see PLANNER.md).
 * - `first-level-wait-period`: a level-1 source was uploaded too recently.
 */
export type JobDeferralReason = 'window-incomplete' | 'first-level-wait-period';

/** A job that would be planned but must wait; it still holds back the larger jobs it conflicts with. */
export interface DeferredJob<B extends PlannableBlock = PlannableBlock> {
  job: CompactionJob<B>;
  reason: JobDeferralReason;
}

export interface CompactionPlan<B extends PlannableBlock = PlannableBlock> {
  /** Jobs to run now, in run order (`compareCompactionJobs`); no block is a source of two of them. */
  jobs: CompactionJob<B>[];
  /** Jobs that will be planned once their reason clears, same order. */
  deferred: DeferredJob<B>[];
  /** Blocks not considered at all, sorted by id. */
  excluded: ExcludedBlock[];
}

/** `thanos.source` values of blocks the compactor wrote itself: exempt from the consistency delay (as in Thanos). */
const CONSISTENCY_DELAY_EXEMPT_SOURCES: ReadonlySet<string> = new Set(['compactor', 'compactor.repair', 'bucket.repair']);

/** The jobs to run now for one tenant (see `planCompaction`). */
export function planCompactionJobs<B extends PlannableBlock>(input: CompactionPlanInput<B>, config: CompactionPlannerConfig): CompactionJob<B>[] {
  return planCompaction(input, config).jobs;
}

/**
 * Plans one tenant's compaction after Mimir's split-and-merge grouper (rules in PLANNER.md):
 *   1. leave out blocks marked for deletion or no-compact, and blocks uploaded less than
 *      `consistencyDelayMs` ago;
 *   2. group blocks by external labels without the shard label; nothing crosses groups;
 *   3. for each configured range, smallest first, cut the group into aligned windows
 *      [k·R, (k+1)·R) holding the blocks that lie entirely inside; in the smallest range, with
 *      splitting on, a window holding unsharded blocks gets split jobs; otherwise each shard's
 *      blocks in the window (the unsharded ones being one "shard") become one job when there are
 *      at least two. A candidate that overlaps an earlier one in time (same group) of the other
 *      stage, or of the same stage and shard, is dropped: small windows go first;
 *   4. defer jobs of a still-filling window and jobs with freshly uploaded level-1 blocks.
 * Pure and deterministic: the same input gives the same plan in every process.
 */
export function planCompaction<B extends PlannableBlock>(input: CompactionPlanInput<B>, config: CompactionPlannerConfig): CompactionPlan<B> {
  const problems = validateCompactionPlannerConfig(config);
  if (problems.length > 0) {
    throw new ValidationError('invalid_compactor_planner_config', `invalid compaction planner config: ${problems.join('; ')}`);
  }
  const { compactable, excluded } = filterBlocks(input, config);

  const candidates: Candidate<B>[] = [];
  for (const group of groupByLabels(compactable)) {
    const planned: Candidate<B>[] = [];
    config.blockRangesMs.forEach((range, i) => {
      for (const c of planRange(group, range, i === 0, config)) {
        if (!planned.some((p) => conflicts(c, p))) planned.push(c);
      }
    });
    candidates.push(...planned);
  }

  // Highest maxTime over every compactable block of the tenant (Mimir: over all groups).
  let highestMaxTime = -Infinity;
  for (const b of compactable) highestMaxTime = Math.max(highestMaxTime, b.maxTime);

  const jobs: CompactionJob<B>[] = [];
  const deferred: DeferredJob<B>[] = [];
  for (const c of candidates) {
    const job = toJob(input.tenant, c, config);
    const reason = deferral(job, highestMaxTime, input.now, config);
    if (reason) deferred.push({ job, reason });
    else jobs.push(job);
  }
  jobs.push(...rewriteJobs(input, compactable, jobs, deferred));
  jobs.sort(compareCompactionJobs);
  deferred.sort((a, b) => compareCompactionJobs(a.job, b.job));
  return { jobs, deferred, excluded };
}

function filterBlocks<B extends PlannableBlock>(
  input: CompactionPlanInput<B>,
  config: CompactionPlannerConfig,
): { compactable: B[]; excluded: ExcludedBlock[] } {
  const deletion = new Set(input.deletionMarked ?? []);
  const noCompact = new Set(input.noCompactMarked ?? []);
  const compactable: B[] = [];
  const excluded: ExcludedBlock[] = [];
  for (const b of [...input.blocks].sort((x, y) => compareStrings(x.id, y.id))) {
    if (deletion.has(b.id)) excluded.push({ id: b.id, reason: 'marked-for-deletion' });
    else if (noCompact.has(b.id)) excluded.push({ id: b.id, reason: 'no-compact' });
    else if (
      config.consistencyDelayMs > 0 &&
      !CONSISTENCY_DELAY_EXEMPT_SOURCES.has(b.source) &&
      input.now - b.uploadedAt < config.consistencyDelayMs
    ) {
      excluded.push({ id: b.id, reason: 'consistency-delay' });
    } else compactable.push(b);
  }
  return { compactable, excluded };
}

/** Blocks sharing external labels (shard label aside): the only blocks that may meet in a job. */
interface LabelGroup<B> {
  /** Canonical form of `labels` (sorted JSON pairs). */
  key: string;
  /** The group's labels without the shard label. */
  labels: Record<string, string>;
  /** Sorted by (minTime, maxTime, id). */
  blocks: B[];
}

function groupByLabels<B extends PlannableBlock>(blocks: readonly B[]): LabelGroup<B>[] {
  const groups = new Map<string, LabelGroup<B>>();
  for (const b of blocks) {
    const labels = groupLabels(b);
    const key = canonicalLabels(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, labels, blocks: [] }));
    g.blocks.push(b);
  }
  const out = [...groups.values()].sort((a, b) => compareStrings(a.key, b.key));
  for (const g of out) g.blocks.sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime || compareStrings(a.id, b.id));
  return out;
}

/** The block's external labels without empty values (absent, as in Prometheus) and without the shard label. */
function groupLabels(b: PlannableBlock): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(b.labels ?? {})) {
    if (value !== '' && name !== COMPACTOR_SHARD_ID_LABEL) out[name] = value;
  }
  return out;
}

function canonicalLabels(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => compareStrings(a, b)));
}

/** The block's shard label value; '' when unsharded. */
function shardOf(b: PlannableBlock): string {
  return b.labels?.[COMPACTOR_SHARD_ID_LABEL] ?? '';
}

type Phase = 'split' | 'merge';

/** A job before deferral checks: one aligned window, one group, one shard (or split group). */
interface Candidate<B> {
  group: LabelGroup<B>;
  phase: Phase;
  rangeStart: number;
  rangeEnd: number;
  /** merge: the sources' shard label ('' = unsharded); split: the split group id. */
  shardId: string;
  splitGroup?: { index: number; count: number };
  /** Sorted by (minTime, maxTime, id). */
  blocks: B[];
}

interface Window<B> {
  start: number;
  end: number;
  blocks: B[];
}

/** The window's start: the multiple of `range` at or before `t` (also for negative times). */
function windowStart(t: number, range: number): number {
  return Math.floor(t / range) * range;
}

/**
 * Cuts blocks (sorted by minTime) into aligned windows of `range` (Mimir's `groupBlocksByRange`):
 * a window starts at the window of its first block's minTime and takes the following blocks that
 * start in it and end by its end. A block reaching past the end of the window it starts in is in
 * no window of this range (a larger range may hold it). Empty windows are not returned.
 */
function windows<B extends PlannableBlock>(blocks: readonly B[], range: number): Window<B>[] {
  const out: Window<B>[] = [];
  let i = 0;
  while (i < blocks.length) {
    const start = windowStart(blocks[i]!.minTime, range);
    const end = start + range;
    if (blocks[i]!.maxTime > end) {
      i++;
      continue;
    }
    const inWindow: B[] = [];
    for (; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (b.minTime >= end) break;
      if (b.maxTime > end) continue;
      inWindow.push(b);
    }
    if (inWindow.length > 0) out.push({ start, end, blocks: inWindow });
  }
  return out;
}

function planRange<B extends PlannableBlock>(
  group: LabelGroup<B>,
  range: number,
  smallest: boolean,
  config: CompactionPlannerConfig,
): Candidate<B>[] {
  const out: Candidate<B>[] = [];
  for (const w of windows(group.blocks, range)) {
    if (smallest && config.splitAndMergeShards > 0) {
      const unsharded = w.blocks.filter((b) => shardOf(b) === '');
      if (unsharded.length > 0) {
        // Split first: merging this window's sharded blocks waits until nothing is left to split.
        out.push(...splitCandidates(group, w, unsharded, config.splitGroups));
        continue;
      }
    }
    const byShard = new Map<string, B[]>();
    for (const b of w.blocks) {
      const shard = shardOf(b);
      const list = byShard.get(shard);
      if (list) list.push(b);
      else byShard.set(shard, [b]);
    }
    for (const shardId of [...byShard.keys()].sort(compareStrings)) {
      const blocks = byShard.get(shardId)!;
      // A lone block is never compacted alone: nothing to merge.
      if (blocks.length < 2) continue;
      out.push({ group, phase: 'merge', rangeStart: w.start, rangeEnd: w.end, shardId, blocks });
    }
  }
  return out;
}

/** Split jobs for a window's unsharded blocks: one per split group (Mimir: `HashBlockID(id) % splitGroups`). */
function splitCandidates<B extends PlannableBlock>(group: LabelGroup<B>, w: Window<B>, unsharded: B[], splitGroups: number): Candidate<B>[] {
  const byGroup = new Map<number, B[]>();
  for (const b of unsharded) {
    const g = blockIdHash(b.id) % splitGroups;
    const list = byGroup.get(g);
    if (list) list.push(b);
    else byGroup.set(g, [b]);
  }
  return [...byGroup.keys()]
    .sort((a, b) => a - b)
    .map((index) => ({
      group,
      phase: 'split' as const,
      rangeStart: w.start,
      rangeEnd: w.end,
      shardId: formatCompactorShardId(index, splitGroups),
      splitGroup: { index, count: splitGroups },
      blocks: byGroup.get(index)!,
    }));
}

/**
 * Whether two candidates of the same label group cannot both be planned (Mimir's
 * `job.conflicts`): their windows overlap and they are of different stages (merging waits for
 * splitting), or of the same stage and shard (the larger window waits for the smaller).
 */
function conflicts<B>(a: Candidate<B>, b: Candidate<B>): boolean {
  if (a.rangeStart >= b.rangeEnd || b.rangeStart >= a.rangeEnd) return false;
  if (a.phase !== b.phase) return true;
  return a.shardId === b.shardId;
}

function toJob<B extends PlannableBlock>(tenant: string, c: Candidate<B>, config: CompactionPlannerConfig): CompactionJob<B> {
  const stage: CompactionStage = c.phase === 'split' ? 'split' : anyOverlap(c.blocks) ? 'vertical' : 'merge';
  const shardingKey = `${tenant}/${stage}-${c.rangeStart}-${c.rangeEnd}${c.shardId === '' ? '' : `-${c.shardId}`}`;
  let minTime = Infinity;
  let maxTime = -Infinity;
  let maxLevel = 0;
  for (const b of c.blocks) {
    minTime = Math.min(minTime, b.minTime);
    maxTime = Math.max(maxTime, b.maxTime);
    maxLevel = Math.max(maxLevel, b.compactionLevel);
  }
  const sources = [...c.blocks].sort((a, b) => compareStrings(a.id, b.id));
  const job: CompactionJob<B> = {
    tenant,
    key: `${shardingKey}@${fnv1a64Hex(c.group.key)}`,
    shardingKey,
    hash: fnv1a32String(shardingKey),
    stage,
    rangeStart: c.rangeStart,
    rangeEnd: c.rangeEnd,
    minTime,
    maxTime,
    sources,
    sourceBlockIds: sources.map((b) => b.id),
    compactionLevel: maxLevel + 1,
    labels: { ...c.group.labels },
    outputs: [],
  };
  if (c.phase === 'split') {
    const n = config.splitAndMergeShards;
    job.shardCount = n;
    job.splitGroupIndex = c.splitGroup!.index;
    job.splitGroupCount = c.splitGroup!.count;
    for (let i = 0; i < n; i++) {
      job.outputs.push({ labels: { ...c.group.labels, [COMPACTOR_SHARD_ID_LABEL]: formatCompactorShardId(i, n) }, shardIndex: i, shardCount: n });
    }
  } else if (c.shardId !== '') {
    job.labels[COMPACTOR_SHARD_ID_LABEL] = c.shardId;
    const output: CompactionJobOutput = { labels: { ...job.labels } };
    const shard = parseCompactorShardId(c.shardId);
    if (shard) {
      job.shardIndex = output.shardIndex = shard.index;
      job.shardCount = output.shardCount = shard.count;
    }
    job.outputs.push(output);
  } else {
    job.outputs.push({ labels: { ...job.labels } });
  }
  return job;
}

/**
 * Rule 9: one `rewrite` job per compactable block that overlaps a pending deletion request it did
 * not apply (`needsDeletionRewrite`) and is not a source of a job planned now, nor of one waiting
 * only for the first-level wait period (that job applies the request, soon). One block in, one
 * block out: same labels, shard and level. Rewrites are how a request reaches the blocks no merge
 * will take again (the top range, lone blocks).
 */
function rewriteJobs<B extends PlannableBlock>(
  input: CompactionPlanInput<B>,
  compactable: readonly B[],
  planned: readonly CompactionJob<B>[],
  deferred: readonly DeferredJob<B>[],
): CompactionJob<B>[] {
  const deletions = input.seriesDeletions;
  if (!deletions || deletions.requests.length === 0) return [];
  const busy = new Set<string>();
  for (const j of planned) for (const id of j.sourceBlockIds) busy.add(id);
  for (const d of deferred) if (d.reason === 'first-level-wait-period') for (const id of d.job.sourceBlockIds) busy.add(id);
  const out: CompactionJob<B>[] = [];
  for (const b of compactable) {
    if (busy.has(b.id)) continue;
    if (!deletions.requests.some((r) => needsDeletionRewrite(b, r, deletions.appliedMarginMs, input.now))) continue;
    const labels = groupLabels(b);
    const shard = shardOf(b);
    const shardingKey = `${input.tenant}/rewrite-${b.id}`;
    const job: CompactionJob<B> = {
      tenant: input.tenant,
      key: `${shardingKey}@${fnv1a64Hex(canonicalLabels(labels))}`,
      shardingKey,
      hash: fnv1a32String(shardingKey),
      stage: 'rewrite',
      rangeStart: b.minTime,
      rangeEnd: b.maxTime,
      minTime: b.minTime,
      maxTime: b.maxTime,
      sources: [b],
      sourceBlockIds: [b.id],
      compactionLevel: b.compactionLevel,
      labels: shard === '' ? labels : { ...labels, [COMPACTOR_SHARD_ID_LABEL]: shard },
      outputs: [],
    };
    const output: CompactionJobOutput = { labels: { ...job.labels } };
    const parsed = shard === '' ? undefined : parseCompactorShardId(shard);
    if (parsed) {
      job.shardIndex = output.shardIndex = parsed.index;
      job.shardCount = output.shardCount = parsed.count;
    }
    job.outputs.push(output);
    out.push(job);
  }
  return out;
}

/** Whether any two blocks overlap in time; blocks sorted by minTime. */
function anyOverlap(blocks: readonly PlannableBlock[]): boolean {
  let reach = -Infinity;
  for (const b of blocks) {
    if (b.minTime < reach) return true;
    reach = Math.max(reach, b.maxTime);
  }
  return false;
}

/**
 * Why a job must wait, if it must. Window rule (Mimir's split-and-merge grouper, which keeps a job
 * when any of these holds): its window ends at or before the newest data of the tenant (highest
 * maxTime), or one full window length has passed since its end, or all its sources are level 1
 * (their wait is the first-level wait period instead), or its sources span the whole window.
 */
function deferral(job: CompactionJob, highestMaxTime: number, now: number, config: CompactionPlannerConfig): JobDeferralReason | undefined {
  const length = job.rangeEnd - job.rangeStart;
  let minLevel = Infinity;
  let maxLevel = 0;
  let lastUpload = -Infinity;
  for (const b of job.sources) {
    minLevel = Math.min(minLevel, b.compactionLevel);
    maxLevel = Math.max(maxLevel, b.compactionLevel);
    lastUpload = Math.max(lastUpload, b.uploadedAt);
  }
  const windowDone = job.rangeEnd <= highestMaxTime || job.rangeEnd + length <= now || maxLevel === 1 || job.maxTime - job.minTime === length;
  if (!windowDone) return 'window-incomplete';
  // Mimir's jobWaitPeriodElapsed: a job with any level-1 block waits until none of its blocks was uploaded within the period.
  const wait = config.firstLevelCompactionWaitPeriodMs;
  if (wait > 0 && minLevel === 1 && lastUpload > now - wait) return 'first-level-wait-period';
  return undefined;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
