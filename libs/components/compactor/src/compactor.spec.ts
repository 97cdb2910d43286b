import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { BlockReader } from '@panoptes/block-formats';
import { FilesystemBucket, defaultFilesystemBucketConfig } from '@panoptes/bucket';
import { blockDataFiles, downloadBlock, readBucketIndex, uploadBlock } from '@panoptes/bucket-index';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { Head, defaultHeadConfig } from '@panoptes/tsdb';
import { seriesHash53OfLabels } from '@panoptes/proto';
import { Operation, RandomTokenGenerator, RingSnapshot, seededRandom } from '@panoptes/ring';
import { BlocksCleaner } from './blocks-cleaner';
import { Compactor } from './compactor';
import { CompactionJobRunner } from './job-runner';
import { defaultCompactionPlannerConfig } from './planner-config';

const H = 3_600_000;
const BASE = Math.floor((Date.now() - 30 * H) / (2 * H)) * 2 * H;

/** One 2h block of `series` series × 120 samples (15 s apart) cut from a head, as an ingester would. */
async function cutBlock(dir: string, series: number, base = BASE): Promise<string> {
  const head = new Head(defaultHeadConfig(), 'team-r', nopLogger, new Registry());
  const app = head.appender();
  for (let s = 0; s < series; s++) {
    const names = ['__name__', 'pod'];
    const values = ['rf_total', `p${s}`];
    const ref = head.getOrCreateSeries(seriesHash53OfLabels(names, values), names, values);
    for (let i = 0; i < 120; i++) app.append(ref, base + i * 15_000, s * 1000 + i);
  }
  app.commit();
  const meta = await head.cutBlock(base, base + 2 * H, dir, { externalLabels: { __org_id__: 'team-r' } });
  return meta!.ulid;
}

async function samplesOf(dir: string): Promise<string[]> {
  const reader = await BlockReader.open(dir);
  const out: string[] = [];
  for (const ref of reader.index.allPostings()) {
    const s = reader.samples(ref);
    const labels = s.labels.map((l) => l.join('=')).join(',');
    s.timestamps.forEach((t, i) => out.push(`${labels} ${t} ${s.values[i]}`));
  }
  return out.sort();
}

describe('Compactor cycle (vertical compaction of replication-factor copies)', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('merges three overlapping RF copies into one block holding exactly one copy of the samples, and deletes the sources after the delay', async () => {
    dir = mkdtempSync(join(tmpdir(), 'compactor-rf-'));
    const bucket = new FilesystemBucket({ ...defaultFilesystemBucketConfig(), dir: join(dir, 'bucket') }, nopLogger);
    const local = join(dir, 'ingesters');
    for (let copy = 0; copy < 3; copy++) {
      const ulid = await cutBlock(join(local, String(copy)), 50);
      const blockDir = join(local, String(copy), ulid);
      const { meta } = await BlockReader.open(blockDir);
      await uploadBlock(bucket, 'team-r', await blockDataFiles(blockDir, ulid), meta, nopLogger);
    }
    const expected = await samplesOf(join(local, '0', readdirSync(join(local, '0'))[0]));

    const clock = new FakeClock(Date.now() + H); // past the first-level wait period after upload
    const registry = new Registry();
    const cleaner = new BlocksCleaner({ deletionDelayMs: 0, partialBlockDeletionDelayMs: 0 }, bucket, () => 0, clock, nopLogger, registry);
    const runner = new CompactionJobRunner({ workDir: join(dir, 'work') }, bucket, clock, nopLogger, registry);
    const compactor = new Compactor(
      { compactionIntervalMs: 60_000, planner: defaultCompactionPlannerConfig() },
      bucket,
      cleaner,
      runner,
      () => true,
      clock,
      nopLogger,
      registry,
    );
    // The plan before the cycle: one vertical job over the three copies, run by this compactor.
    expect(await compactor.plannedJobs('team-r')).toBeUndefined(); // no bucket index yet
    await cleaner.clean('team-r');
    const before = await compactor.plannedJobs('team-r');
    expect(before?.jobs).toEqual([
      expect.objectContaining({ stage: 'vertical', range_start: BASE, range_end: BASE + 2 * H, compaction_level: 2, owned_by_this_compactor: true }),
    ]);
    expect((before?.jobs[0].sources as string[]).length).toBe(3);

    await compactor.runCycle();
    expect((await compactor.plannedJobs('team-r'))?.jobs).toEqual([]);

    const index = await readBucketIndex(bucket, 'team-r');
    expect(index.blocks).toHaveLength(1);
    const [block] = index.blocks;
    expect(block.compactionLevel).toBe(2);
    expect(block.source).toBe('compactor');
    const out = join(dir, 'check');
    await downloadBlock(bucket, 'team-r', block.id, out);
    expect(await samplesOf(out)).toEqual(expected);
    expect(expected).toHaveLength(50 * 120);
  });
});

describe('split-and-merge over two compactors sharing a ring', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('spreads one tenant\'s split and merge jobs over both by job hash, and together they leave one block per shard holding one copy', async () => {
    dir = mkdtempSync(join(tmpdir(), 'compactor-split-'));
    // A fixed window, so the jobs' sharding keys (and so their owners) are the same on every run.
    const base = Date.UTC(2024, 0, 1);
    const bucket = new FilesystemBucket({ ...defaultFilesystemBucketConfig(), dir: join(dir, 'bucket') }, nopLogger);
    const local = join(dir, 'ingesters');
    for (let copy = 0; copy < 4; copy++) {
      const ulid = await cutBlock(join(local, String(copy)), 40, base);
      const blockDir = join(local, String(copy), ulid);
      const { meta } = await BlockReader.open(blockDir);
      await uploadBlock(bucket, 'team-r', await blockDataFiles(blockDir, ulid), meta, nopLogger);
    }
    const expected = await samplesOf(join(local, '0', readdirSync(join(local, '0'))[0]));

    const clock = new FakeClock(Date.now() + H); // past the first-level wait period after upload
    const tokens = new RandomTokenGenerator(seededRandom(7));
    const taken = new Set<number>();
    const instance = (id: string) => {
      const t = tokens.generate(128, taken);
      t.forEach((x) => taken.add(x));
      return [id, { addr: id, zone: '', state: 'ACTIVE' as const, tokens: t, heartbeatMs: clock.now(), registeredAtMs: 0 }] as const;
    };
    const ring = RingSnapshot.fromDesc({ instances: Object.fromEntries([instance('compactor-1'), instance('compactor-2')]) }, { heartbeatTimeoutMs: 0, zoneAwarenessEnabled: false, name: 'compactor' });
    const ownerOf = (hash: number) => ring.get(hash >>> 0, Operation.Write, 1, clock.now()).instances[0].id;
    const planner = { ...defaultCompactionPlannerConfig(), splitAndMergeShards: 2, splitGroups: 2 };

    const jobsRun = new Map<string, number>();
    const compactors = ['compactor-1', 'compactor-2'].map((id) => {
      const registry = new Registry();
      const cleaner = new BlocksCleaner({ deletionDelayMs: 0, partialBlockDeletionDelayMs: 0 }, bucket, () => 0, clock, nopLogger, registry);
      const runner = new CompactionJobRunner({ workDir: join(dir, 'work', id) }, bucket, clock, nopLogger, registry);
      const run = runner.run.bind(runner);
      runner.run = (...args) => {
        jobsRun.set(id, (jobsRun.get(id) ?? 0) + 1);
        return run(...args);
      };
      // The tenant (its index and deletes) belongs to compactor-1; each job to its hash's owner.
      const owns = (key: string | number) => (typeof key === 'string' ? id === 'compactor-1' : ownerOf(key) === id);
      return new Compactor({ compactionIntervalMs: 60_000, planner }, bucket, cleaner, runner, owns, clock, nopLogger, registry);
    });

    // Cycles in turn, as two processes would run them, until the plan is empty.
    for (let round = 0; round < 6; round++) {
      for (const c of compactors) await c.runCycle();
      if ((await compactors[0].plannedJobs('team-r'))?.jobs.length === 0) break;
    }

    expect([...jobsRun.keys()].sort()).toEqual(['compactor-1', 'compactor-2']);
    const index = await readBucketIndex(bucket, 'team-r');
    expect(index.blocks).toHaveLength(2);
    const shards: string[] = [];
    let samples: string[] = [];
    for (const block of index.blocks) {
      const out = join(dir, 'check', block.id);
      await downloadBlock(bucket, 'team-r', block.id, out);
      const { meta } = await BlockReader.open(out);
      shards.push(meta.thanos?.labels?.__compactor_shard_id__ ?? '');
      samples = samples.concat(await samplesOf(out));
    }
    expect(shards.sort()).toEqual(['1_of_2', '2_of_2']);
    expect(samples.sort()).toEqual(expected);
  });
});
