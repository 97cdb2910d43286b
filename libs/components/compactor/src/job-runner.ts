import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ulid } from 'ulid';
import { BlockMeta, compactBlocks } from '@panoptes/block-formats';
import { Bucket } from '@panoptes/bucket';
import { BucketIndexBlock, SeriesDeletionRequest, blockDataFiles, downloadBlock, markForDeletion, uploadBlock } from '@panoptes/bucket-index';
import { Clock } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { addDeletionTombstones, parseDeletion } from './deletion-tombstones';
import { deletionOverlaps } from './planner-deletions';
import { CompactionJob } from './planner-job';

export interface JobRunnerConfig {
  /** Local directory for the blocks a job downloads and writes; emptied per job. */
  workDir: string;
}

/** What a job produced. */
export interface JobResult {
  outputs: BlockMeta[];
  samples: number;
  /** IDs of the pending series deletion requests applied to the outputs. */
  deletionsApplied: string[];
}

/** Where the runner reads a tenant's series deletion requests, uncached: `SeriesDeletionStore`. */
export interface SeriesDeletionLister {
  list(tenant: string): Promise<SeriesDeletionRequest[]>;
}

/** No series deletion requests, ever (a runner built without a store). */
export const NO_SERIES_DELETIONS: SeriesDeletionLister = { list: async () => [] };

/**
 * Runs one planned compaction job: downloads its source blocks, merges them with `compactBlocks`
 * (one output, or one per shard for a split job), uploads every output (meta.json last), and only
 * then marks the sources for deletion. A crash at any point leaves the bucket readable: before
 * the marks, sources and any uploaded output coexist and overlap (the read path deduplicates, and
 * the next plan merges them again: identical samples are dropped); after, the sources stay
 * readable until the cleaner deletes them past the deletion delay.
 *
 * Series deletion: every job applies the tenant's pending requests that overlap it, as tombstones
 * of its inputs (`addDeletionTombstones`), so no output holds their samples. The outputs' ULIDs are
 * minted before the requests are listed: that order is what makes `deletionApplied` (a compactor
 * block whose ULID time is past a request's creation plus a margin applied it) true. A `rewrite`
 * job's output keeps its source's compaction level.
 */
export class CompactionJobRunner {
  private readonly jobs: Counter<'stage' | 'outcome'>;
  private readonly duration: Histogram<'stage'>;

  constructor(
    private readonly config: JobRunnerConfig,
    private readonly bucket: Bucket,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
    private readonly deletions: SeriesDeletionLister = NO_SERIES_DELETIONS,
  ) {
    this.jobs = new Counter({
      name: 'panoptes_compactor_jobs_total',
      help: 'Compaction jobs run, by stage (vertical, merge, split, rewrite) and outcome (success, failure).',
      labelNames: ['stage', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'panoptes_compactor_job_duration_seconds',
      help: 'Time to download, merge and upload one compaction job.',
      labelNames: ['stage'],
      buckets: [1, 5, 15, 60, 300, 900, 3600],
      registers: [registry],
    });
  }

  async run(job: CompactionJob<BucketIndexBlock>, signal?: AbortSignal): Promise<JobResult> {
    const end = this.duration.startTimer({ stage: job.stage });
    const dir = join(this.config.workDir, job.tenant, job.sourceBlockIds[0]);
    await rm(dir, { recursive: true, force: true });
    try {
      const shards = job.stage === 'split' && job.shardCount !== undefined && job.shardIndex === undefined ? job.shardCount : 0;
      // Minted before the requests are listed (see `deletionApplied`).
      const ulids = Array.from({ length: Math.max(1, shards) }, () => ulid(this.clock.now()));
      const deletions = (await this.deletions.list(job.tenant))
        .filter((r) => r.state === 'pending' && deletionOverlaps(job, r))
        .map(parseDeletion);
      const inputs: string[] = [];
      let tombstones = 0;
      for (const id of job.sourceBlockIds) {
        const inDir = join(dir, 'in', id);
        await mkdir(inDir, { recursive: true });
        await downloadBlock(this.bucket, job.tenant, id, inDir);
        if (deletions.length > 0) tombstones += await addDeletionTombstones(inDir, deletions);
        inputs.push(inDir);
      }
      const outDir = join(dir, 'out');
      await mkdir(outDir, { recursive: true });
      const outputs: BlockMeta[] = [];
      let samples = 0;
      for (let i = 0; i < ulids.length; i++) {
        const result = await compactBlocks(inputs, outDir, shards > 0 ? { ulid: ulids[i], splitShards: shards, shardIndex: i, signal } : { ulid: ulids[i], signal });
        if (result.meta === null || result.dir === null) continue;
        // compactBlocks writes level = highest input level + 1; a rewrite stays at its source's level.
        const meta = job.stage === 'rewrite' ? { ...result.meta, compaction: { ...result.meta.compaction, level: job.compactionLevel } } : result.meta;
        outputs.push(meta);
        samples += result.stats.outputSamples;
        const files = await blockDataFiles(result.dir, meta.ulid);
        await uploadBlock(this.bucket, job.tenant, files, meta, this.logger, signal);
      }
      const into = outputs.map((m) => m.ulid).join(',') || 'nothing (every sample deleted)';
      for (const id of job.sourceBlockIds) {
        await markForDeletion(this.bucket, job.tenant, id, `compacted into ${into}`, this.clock);
      }
      this.jobs.inc({ stage: job.stage, outcome: 'success' });
      this.logger.info('compaction job done', {
        component: 'compactor',
        tenant: job.tenant,
        job: job.key,
        stage: job.stage,
        sources: job.sourceBlockIds.length,
        outputs: outputs.length,
        samples,
        deletions: deletions.length,
        tombstones,
      });
      return { outputs, samples, deletionsApplied: deletions.map((d) => d.request.id) };
    } catch (err) {
      this.jobs.inc({ stage: job.stage, outcome: 'failure' });
      throw err;
    } finally {
      end();
      await rm(dir, { recursive: true, force: true });
    }
  }
}
