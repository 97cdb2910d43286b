import { Gauge, type Registry } from 'prom-client';
import { Bucket } from '@panoptes/bucket';
import { type BucketIndex, listTenants, readBucketIndex } from '@panoptes/bucket-index';
import { Clock, errorMessage, sleep } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { BlocksCleaner } from './blocks-cleaner';
import { CompactionJobRunner } from './job-runner';
import { type CompactionPlan, planCompaction } from './planner';
import type { CompactionJob } from './planner-job';
import { CompactionPlannerConfig } from './planner-config';
import type { PlannerDeletions } from './planner-deletions';
import type { SeriesDeletions } from './series-deletions';

export interface CompactorConfig {
  /** How often every owned tenant is processed, ms. */
  compactionIntervalMs: number;
  /** Which jobs to plan (block ranges, split-and-merge). */
  planner: CompactionPlannerConfig;
}

/** A tenant's plan as `/compactor/tenant/{tenant}/planned_jobs` shows it (times in ms). */
export interface PlannedJobs {
  tenant: string;
  /** When the bucket index the plan was made from was built, ms. */
  index_updated_at: number;
  jobs: Record<string, unknown>[];
  deferred: Record<string, unknown>[];
  excluded: { id: string; reason: string }[];
}

/** Whether this compactor owns a key (a tenant, or a job's hash) on the compactor ring. */
export type Ownership = (key: string | number) => boolean;

/**
 * The compactor. Each cycle, for every tenant it owns on the compactor ring: the blocks cleaner
 * updates the bucket index, applies retention, deletes blocks whose deletion delay passed and old
 * partial uploads, and carries out tenant deletions; then the tenant's compaction jobs this
 * compactor owns run (merging, deduplicating, and rewriting blocks overlapping pending series
 * deletion requests); last, the tenant's owner moves its series deletion requests on (processed,
 * removed) against the fresh bucket index.
 */
export class Compactor extends Service {
  private lastTenants: string[] = [];
  private cycle: Promise<void> | undefined;

  constructor(
    private readonly config: CompactorConfig,
    private readonly bucket: Bucket,
    readonly cleaner: BlocksCleaner,
    private readonly runner: CompactionJobRunner,
    private readonly owns: Ownership,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
    /** Whether this instance has joined its ring (the first cycle waits for it). */
    private readonly joined: () => boolean = () => true,
    /** Series deletion requests; without them nothing is deleted by selector. */
    private readonly deletions?: SeriesDeletions,
  ) {
    super('compactor');
    const ownedCount = () => this.lastTenants.length;
    new Gauge({
      name: 'panoptes_compactor_tenants',
      help: 'Tenants this compactor owned in its last cycle.',
      registers: [registry],
      collect() {
        this.set(ownedCount());
      },
    });
  }

  /** Tenants owned in the last cycle (`/compactor/tenants`). */
  tenants(): string[] {
    return [...this.lastTenants];
  }

  /**
   * The tenant's compaction plan from its current bucket index, as the next cycle would make it
   * (`/compactor/tenant/{tenant}/planned_jobs`): jobs to run now with whether this compactor owns
   * each, jobs deferred with their reason, and blocks left out with theirs. Undefined when the
   * tenant has no bucket index yet.
   */
  async plannedJobs(tenant: string): Promise<PlannedJobs | undefined> {
    const index = await readBucketIndex(this.bucket, tenant).catch(() => undefined);
    if (index === undefined) return undefined;
    const seriesDeletions = this.deletions ? await this.deletions.forPlanning(tenant) : undefined;
    const plan = this.plan(tenant, index, seriesDeletions);
    const describe = (j: CompactionJob) => ({
      key: j.key,
      stage: j.stage,
      range_start: j.rangeStart,
      range_end: j.rangeEnd,
      min_time: j.minTime,
      max_time: j.maxTime,
      sources: j.sourceBlockIds,
      compaction_level: j.compactionLevel,
      ...(j.shardCount === undefined ? {} : { shard: j.shardIndex === undefined ? `split into ${j.shardCount}` : `${j.shardIndex + 1}_of_${j.shardCount}` }),
    });
    return {
      tenant,
      index_updated_at: index.updatedAt,
      jobs: plan.jobs.map((j) => ({ ...describe(j), owned_by_this_compactor: this.owns(j.hash) })),
      deferred: plan.deferred.map((d) => ({ ...describe(d.job), reason: d.reason })),
      excluded: plan.excluded,
    };
  }

  /** The tenant's compaction plan now, from its bucket index. */
  private plan(tenant: string, index: BucketIndex, seriesDeletions: PlannerDeletions | undefined): CompactionPlan {
    return planCompaction({ tenant, blocks: index.blocks, deletionMarked: index.blockDeletionMarks.map((m) => m.id), now: this.clock.now(), seriesDeletions }, this.config.planner);
  }

  /** Runs one cycle now (or joins the running one). */
  runCycle(): Promise<void> {
    this.cycle ??= this.doCycle().finally(() => {
      this.cycle = undefined;
    });
    return this.cycle;
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.joined()) await sleep(200, signal);
    while (!signal.aborted) {
      await this.runCycle().catch((err: unknown) => this.logger.error('compactor cycle failed', { component: 'compactor', err: errorMessage(err) }));
      await sleep(this.config.compactionIntervalMs, signal);
    }
  }

  private async doCycle(signal?: AbortSignal): Promise<void> {
    const tenants = await listTenants(this.bucket);
    this.lastTenants = tenants.filter((t) => this.owns(t));
    for (const tenant of tenants) {
      try {
        // The tenant's owner keeps its index and deletes; jobs are spread over compactors by job hash.
        if (this.owns(tenant)) await this.cleaner.clean(tenant);
        const ran = await this.compactTenant(tenant, signal);
        if (ran > 0 && this.owns(tenant)) await this.cleaner.clean(tenant);
        if (this.deletions && this.owns(tenant)) {
          const index = await readBucketIndex(this.bucket, tenant).catch(() => undefined);
          if (index) await this.deletions.update(tenant, index);
        }
      } catch (err) {
        this.logger.error('tenant compaction failed; retrying next cycle', { component: 'compactor', tenant, err: errorMessage(err) });
      }
    }
  }

  /** Plans the tenant's jobs from its bucket index and runs those this compactor owns; returns how many ran. */
  private async compactTenant(tenant: string, signal?: AbortSignal): Promise<number> {
    let ran = 0;
    const seriesDeletions: PlannerDeletions | undefined = this.deletions ? await this.deletions.forPlanning(tenant) : undefined;
    // Each job's outputs may enable the next stage (2h -> 12h -> 24h): plan again until nothing is left.
    for (let round = 0; round < 10 && !signal?.aborted; round++) {
      const index = await readBucketIndex(this.bucket, tenant).catch(() => undefined);
      if (index === undefined) return ran;
      const plan = this.plan(tenant, index, seriesDeletions);
      const mine = plan.jobs.filter((j) => this.owns(j.hash));
      if (mine.length === 0) return ran;
      for (const job of mine) {
        await this.runner.run(job, signal);
        ran++;
      }
      if (this.owns(tenant)) await this.cleaner.clean(tenant);
    }
    return ran;
  }
}
