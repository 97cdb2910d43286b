import { Counter, type Registry } from 'prom-client';
import { BucketIndex, SeriesDeletionRequest, SeriesDeletionStore } from '@panoptes/bucket-index';
import { Clock, ValidationError } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { PlannerDeletions, deletionApplied, deletionOverlaps } from './planner-deletions';

const HOUR_MS = 3_600_000;

export interface SeriesDeletionsConfig {
  /**
   * A request is marked processed no sooner than this after it was made, ms. By then every sample
   * written before it must have left the ingesters: shipped in a block (which the compactor then
   * rewrites) and older than the querier's -querier.query-ingesters-within, so no ingester answer
   * holds it. Default 14h: the 13h default of that option plus an hour.
   */
  minPendingMs: number;
  /** A processed request stays listed this long after it was processed, then is deleted, ms. */
  processedRetentionMs: number;
  /**
   * The margin of the "block applied the request" rule (`deletionApplied`), ms: what may separate
   * a request's creation time from the moment compactors can list it (its put) plus the clock skew
   * between the process that took it and the compactors.
   */
  appliedMarginMs: number;
}

export function defaultSeriesDeletionsConfig(): SeriesDeletionsConfig {
  return { minPendingMs: 14 * HOUR_MS, processedRetentionMs: 24 * HOUR_MS, appliedMarginMs: 5 * 60_000 };
}

/**
 * The compactor's side of series deletion (`delete_series`): taking, listing and cancelling
 * requests for the API, telling the planner what is pending, and moving requests through their
 * states (see `SeriesDeletionRequest`):
 *
 *   pending --(minPendingMs passed, and every block of the tenant's bucket index overlapping the
 *              range, blocks marked for deletion included, applied it)--> processed
 *   processed --(processedRetentionMs passed)--> deleted
 *
 * Blocks marked for deletion count because queriers keep reading them until they are deleted; so
 * a request is processed only once no readable block holds its samples, and the querier may stop
 * applying it. A block marked no-compact is never rewritten: a request overlapping one stays
 * pending (queriers keep hiding its samples) until the mark is removed.
 */
export class SeriesDeletions {
  private readonly events: Counter<'event'>;

  constructor(
    readonly config: SeriesDeletionsConfig,
    readonly store: SeriesDeletionStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.events = new Counter({
      name: 'panoptes_compactor_series_deletion_requests_total',
      help: 'Series deletion requests by event: created, cancelled, processed (applied to every block), removed (past retention).',
      labelNames: ['event'],
      registers: [registry],
    });
  }

  /** Stores a new pending request (selectors and times already validated by the caller). */
  async create(tenant: string, matchers: readonly string[], startMs: number, endMs: number): Promise<SeriesDeletionRequest> {
    // First, so a failure leaves no request behind: cached query results from before it are
    // stale from now on (the query-frontend keys on the generation).
    await this.store.bumpGeneration(tenant);
    const request = await this.store.create(tenant, matchers, startMs, endMs);
    this.events.inc({ event: 'created' });
    this.logger.info('series deletion requested', { component: 'compactor', tenant, request: request.id, matchers: request.matchers.join(' or '), start: startMs, end: endMs });
    return request;
  }

  /** Every request of the tenant, read now, oldest first. */
  list(tenant: string): Promise<SeriesDeletionRequest[]> {
    return this.store.list(tenant);
  }

  /**
   * Cancels a pending request (its object is removed). Blocks rewritten before the cancel stay
   * without its samples; the others show them again. Throws `SeriesDeletionRequestNotFoundError`,
   * or a `ValidationError` for a processed request (its samples are gone).
   */
  async cancel(tenant: string, id: string): Promise<void> {
    const request = await this.store.get(tenant, id);
    if (request.state !== 'pending') {
      throw new ValidationError(
        'series_deletion_already_processed',
        `series deletion request ${id} of tenant "${tenant}" was already processed: its samples are deleted from storage and cannot be restored`,
        { tenant },
      );
    }
    await this.store.bumpGeneration(tenant);
    await this.store.remove(tenant, id);
    this.events.inc({ event: 'cancelled' });
    this.logger.info('series deletion cancelled', { component: 'compactor', tenant, request: id });
  }

  /** The tenant's pending requests as the planner takes them (read now). */
  async forPlanning(tenant: string): Promise<PlannerDeletions> {
    const requests = (await this.store.list(tenant)).filter((r) => r.state === 'pending');
    return { requests, appliedMarginMs: this.config.appliedMarginMs };
  }

  /**
   * One pass over the tenant's requests against its current bucket index (the cleaner's, after
   * this cycle's jobs): marks processed the pending requests applied everywhere, deletes processed
   * ones past their retention. Run by the tenant's owner only.
   */
  async update(tenant: string, index: BucketIndex): Promise<{ processed: number; removed: number }> {
    const now = this.clock.now();
    const result = { processed: 0, removed: 0 };
    for (const r of await this.store.list(tenant)) {
      if (r.state === 'processed') {
        if (now - (r.processedAt ?? 0) < this.config.processedRetentionMs) continue;
        await this.store.remove(tenant, r.id);
        this.events.inc({ event: 'removed' });
        result.removed++;
        continue;
      }
      if (now - r.createdAt < this.config.minPendingMs) continue;
      const unapplied = index.blocks.filter((b) => deletionOverlaps(b, r) && !deletionApplied(b, r, this.config.appliedMarginMs));
      if (unapplied.length > 0) {
        this.logger.debug('series deletion still pending', { component: 'compactor', tenant, request: r.id, blocks: unapplied.map((b) => b.id).join(',') });
        continue;
      }
      await this.store.write({ ...r, state: 'processed', processedAt: now });
      this.events.inc({ event: 'processed' });
      result.processed++;
      this.logger.info('series deletion processed', { component: 'compactor', tenant, request: r.id });
    }
    return result;
  }
}
