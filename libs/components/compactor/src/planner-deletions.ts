import { SOURCE_COMPACTOR } from '@panoptes/block-formats';
import { blockIdTime } from '@panoptes/bucket-index';
import type { PlannableBlock } from './planner-job';

/** What the planner reads of a pending series deletion request (`SeriesDeletionRequest` has it all). */
export interface PlannableDeletion {
  id: string;
  /** First deleted timestamp, ms, inclusive. */
  startMs: number;
  /** Last deleted timestamp, ms, inclusive. */
  endMs: number;
  /** When the request was made, ms. */
  createdAt: number;
}

/** The tenant's pending series deletion requests and the margin of the "applied" rule. */
export interface PlannerDeletions {
  requests: readonly PlannableDeletion[];
  /** See `deletionApplied`, ms. */
  appliedMarginMs: number;
}

type DeletionBlock = Pick<PlannableBlock, 'id' | 'minTime' | 'maxTime' | 'source'>;

/** Whether the block ([minTime, maxTime)) holds timestamps of the request's range ([startMs, endMs]). */
export function deletionOverlaps(block: Pick<PlannableBlock, 'minTime' | 'maxTime'>, request: PlannableDeletion): boolean {
  return block.minTime <= request.endMs && request.startMs < block.maxTime;
}

/**
 * Whether the block is known to have been written with the request applied: the compactor wrote
 * it (`source` `compactor`) and its ULID time is at least `marginMs` after the request was made.
 * This holds because the job runner mints its outputs' ULIDs before it lists the tenant's pending
 * requests, and applies every one it lists: a ULID minted after the request's object became
 * visible means the request was listed. The margin covers what separates "made" (`createdAt`,
 * stamped before the object is written) from "visible" (the put's duration) and the clock skew
 * between the process that took the request and the compactor. Blocks cut by ingesters never
 * count: they may hold samples written before the request whatever their age.
 */
export function deletionApplied(block: Pick<PlannableBlock, 'id' | 'source'>, request: PlannableDeletion, marginMs: number): boolean {
  return block.source === SOURCE_COMPACTOR && blockIdTime(block.id) >= request.createdAt + marginMs;
}

/**
 * Whether the block must be rewritten now for the request: it overlaps the request's range and
 * did not provably apply it. A block the compactor wrote within `marginMs` of the request (before
 * or after) probably applied it already: it is rewritten only once the margin has passed, since a
 * rewrite right away would be just as uncertain and could repeat every planning round.
 */
export function needsDeletionRewrite(block: DeletionBlock, request: PlannableDeletion, marginMs: number, now: number): boolean {
  if (!deletionOverlaps(block, request) || deletionApplied(block, request, marginMs)) return false;
  const uncertain = block.source === SOURCE_COMPACTOR && blockIdTime(block.id) >= request.createdAt - marginMs;
  return !uncertain || now >= request.createdAt + marginMs;
}
