export * from './compactor';
export * from './blocks-cleaner';
export * from './compactor.controller';
export { planCompaction, planCompactionJobs } from './planner';
export type { CompactionPlan, CompactionPlanInput, DeferredJob, ExcludedBlock, BlockExclusionReason, JobDeferralReason } from './planner';
export { defaultCompactionPlannerConfig, validateCompactionPlannerConfig, MAX_SPLIT_AND_MERGE_SHARDS } from './planner-config';
export type { CompactionPlannerConfig } from './planner-config';
export { COMPACTOR_SHARD_ID_LABEL, compareCompactionJobs, formatCompactorShardId, parseCompactorShardId } from './planner-job';
export type { CompactionJob, CompactionJobOutput, CompactionStage, PlannableBlock } from './planner-job';
