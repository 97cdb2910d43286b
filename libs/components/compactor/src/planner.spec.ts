import { ValidationError } from '@panoptes/common';
import { CompactionPlanInput, planCompaction, planCompactionJobs } from './planner';
import { CompactionPlannerConfig, defaultCompactionPlannerConfig, validateCompactionPlannerConfig } from './planner-config';
import { blockIdHash, fnv1a32String, fnv1a64Hex, ulidBytes } from './planner-hash';
import {
  COMPACTOR_SHARD_ID_LABEL,
  CompactionJob,
  PlannableBlock,
  compareCompactionJobs,
  formatCompactorShardId,
  parseCompactorShardId,
} from './planner-job';

const H = 3_600_000;
const M = 60_000;
const TENANT = 't1';
const ORG = { __org_id__: TENANT };
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A valid ULID derived from a readable name, so scenarios read as names and ids stay stable. */
function idOf(name: string): string {
  let n = BigInt(`0x${fnv1a64Hex(name)}`);
  let s = '';
  for (let i = 0; i < 13; i++) {
    s = CROCKFORD[Number(n & 31n)] + s;
    n >>= 5n;
  }
  return `01J${'0'.repeat(10)}${s}`;
}

const names = new Map<string, string>();
function nameOf(id: string): string {
  return names.get(id) ?? id;
}

interface BlockOpts {
  level?: number;
  labels?: Record<string, string>;
  /** Upload time in hours; default: 10 minutes after maxTime. */
  uploadedH?: number;
  source?: string;
}

/** A block named `name` covering [minH, maxH) hours. */
function blk(name: string, minH: number, maxH: number, o: BlockOpts = {}): PlannableBlock {
  const id = idOf(name);
  names.set(id, name);
  return {
    id,
    minTime: Math.round(minH * H),
    maxTime: Math.round(maxH * H),
    uploadedAt: o.uploadedH !== undefined ? Math.round(o.uploadedH * H) : Math.round(maxH * H) + 10 * M,
    compactionLevel: o.level ?? 1,
    source: o.source ?? (o.level && o.level > 1 ? 'compactor' : 'receive'),
    labels: o.labels ?? ORG,
  };
}

/** `count` blocks of `lenH` hours each from `fromH`, named `<prefix><i>`. */
function series(prefix: string, fromH: number, count: number, lenH: number, o: BlockOpts = {}): PlannableBlock[] {
  return Array.from({ length: count }, (_, i) => blk(`${prefix}${i}`, fromH + i * lenH, fromH + (i + 1) * lenH, o));
}

/** Same range uploaded by `rf` replicas, named `<prefix>1..rf`. */
function replicas(prefix: string, minH: number, maxH: number, rf: number, o: BlockOpts = {}): PlannableBlock[] {
  return Array.from({ length: rf }, (_, i) => blk(`${prefix}${i + 1}`, minH, maxH, o));
}

/** Samples 15 s into and before the end of each 2h range: real ingester blocks never span their whole range. */
const S15 = 15 / 3600;

function cfg(over: Partial<CompactionPlannerConfig> = {}): CompactionPlannerConfig {
  return { ...defaultCompactionPlannerConfig(), ...over };
}

/** `<stage> <startH>-<endH>h [sources]` and, when sharded, `<shard>`; compact and readable in failures. */
function show(job: CompactionJob): string {
  const shard = job.labels[COMPACTOR_SHARD_ID_LABEL] ? ` ${job.labels[COMPACTOR_SHARD_ID_LABEL]}` : '';
  return `${job.stage} ${job.rangeStart / H}-${job.rangeEnd / H}h${shard} [${job.sourceBlockIds.map(nameOf).sort().join(',')}]`;
}

function plan(blocks: PlannableBlock[], nowH: number, config = cfg(), extra: Partial<CompactionPlanInput> = {}) {
  return planCompaction({ tenant: TENANT, blocks, now: Math.round(nowH * H), ...extra }, config);
}

interface Scenario {
  name: string;
  blocks: PlannableBlock[];
  nowH: number;
  config?: Partial<CompactionPlannerConfig>;
  deletion?: string[];
  noCompact?: string[];
  jobs: string[];
  deferred?: string[];
  excluded?: string[];
}

const scenarios: Scenario[] = [
  {
    name: 'RF=3 copies of one 2h range become one vertical job over the 2h window',
    blocks: replicas('a', 0, 2, 3),
    nowH: 3,
    jobs: ['vertical 0-2h [a1,a2,a3]'],
  },
  {
    name: 'RF copies still within the first-level wait period are deferred',
    blocks: replicas('a', 0, 2, 3, { uploadedH: 2 + 5 / 60 }),
    nowH: 2 + 20 / 60,
    jobs: [],
    deferred: ['first-level-wait-period: vertical 0-2h [a1,a2,a3]'],
  },
  {
    name: 'a disabled first-level wait period compacts fresh copies at once',
    blocks: replicas('a', 0, 2, 3, { uploadedH: 2 + 5 / 60 }),
    nowH: 2 + 6 / 60,
    config: { firstLevelCompactionWaitPeriodMs: 0 },
    jobs: ['vertical 0-2h [a1,a2,a3]'],
  },
  {
    name: 'pieces of one 2h window (ingester restart) are merged in the 2h window',
    blocks: [blk('p', 0, 0.5), blk('q', 0.5, 2)],
    nowH: 3,
    jobs: ['merge 0-2h [p,q]'],
  },
  {
    name: 'RF copies plus pieces of one 2h window are one job',
    blocks: [...replicas('a', 0, 1, 2), ...replicas('b', 1, 2, 2)],
    nowH: 3,
    jobs: ['vertical 0-2h [a1,a2,b1,b2]'],
  },
  {
    name: 'six 2h blocks filling a complete 12h window become one 12h merge',
    blocks: series('b', 0, 6, 2, { level: 2 }),
    nowH: 13,
    jobs: ['merge 0-12h [b0,b1,b2,b3,b4,b5]'],
  },
  {
    name: 'blocks of a still-filling 12h window are not merged',
    blocks: series('b', 0, 5, 2, { level: 2 }),
    nowH: 11,
    jobs: [],
    deferred: ['window-incomplete: merge 0-12h [b0,b1,b2,b3,b4]'],
  },
  {
    name: 'a 12h window whose blocks end before the window end waits for later data',
    blocks: series('b', 0, 6, 2, { level: 2 }).map((b) => ({ ...b, minTime: b.minTime + S15 * H, maxTime: b.maxTime - S15 * H })),
    nowH: 13,
    jobs: [],
    deferred: ['window-incomplete: merge 0-12h [b0,b1,b2,b3,b4,b5]'],
  },
  {
    name: 'that window is merged once a block of a later window exists',
    blocks: [
      ...series('b', 0, 6, 2, { level: 2 }).map((b) => ({ ...b, minTime: b.minTime + S15 * H, maxTime: b.maxTime - S15 * H })),
      blk('next', 12 + S15, 14 - S15, { level: 2 }),
    ],
    nowH: 15,
    jobs: ['merge 0-12h [b0,b1,b2,b3,b4,b5]'],
  },
  {
    name: 'that window is merged once one window length has passed since its end',
    blocks: series('b', 0, 6, 2, { level: 2 }).map((b) => ({ ...b, minTime: b.minTime + S15 * H, maxTime: b.maxTime - S15 * H })),
    nowH: 24,
    jobs: ['merge 0-12h [b0,b1,b2,b3,b4,b5]'],
  },
  {
    name: 'an incomplete window of level-1 blocks only is merged early (Mimir: their wait is the first-level wait period)',
    blocks: [blk('x0', 0, 2), blk('x1', 2, 4)],
    nowH: 5,
    jobs: ['merge 0-12h [x0,x1]'],
  },
  {
    name: 'RF copies go first; the 12h window holding them waits for them',
    blocks: [...replicas('a', 0, 2, 3), ...series('b', 2, 5, 2, { level: 2 }), blk('next', 12, 14, { level: 2 })],
    nowH: 15,
    jobs: ['vertical 0-2h [a1,a2,a3]'],
  },
  {
    name: 'RF copies of several windows are independent vertical jobs, oldest first',
    blocks: [...replicas('c', 4, 6, 3), ...replicas('a', 0, 2, 3), ...replicas('b', 2, 4, 3)],
    nowH: 7,
    jobs: ['vertical 0-2h [a1,a2,a3]', 'vertical 2-4h [b1,b2,b3]', 'vertical 4-6h [c1,c2,c3]'],
  },
  {
    name: 'a block overlapping a 2h boundary is merged vertically in the smallest window that holds it',
    blocks: [blk('x', 0, 2, { level: 2 }), blk('ooo', 1, 3, { level: 2 }), blk('z', 2, 4, { level: 2 }), blk('next', 12, 14, { level: 2 })],
    nowH: 15,
    jobs: ['vertical 0-12h [ooo,x,z]'],
  },
  {
    name: 'blocks marked for deletion or no-compact are left out',
    blocks: [...replicas('a', 0, 2, 4), ...replicas('b', 2, 4, 2)],
    nowH: 5,
    deletion: ['a4', 'b1'],
    noCompact: ['a3'],
    jobs: ['vertical 0-2h [a1,a2]'],
    excluded: ['a3: no-compact', 'a4: marked-for-deletion', 'b1: marked-for-deletion'],
  },
  {
    name: 'blocks uploaded within the consistency delay are left out',
    blocks: [...replicas('a', 0, 2, 2, { uploadedH: 2.2 }), blk('a3', 0, 2, { uploadedH: 2.9 })],
    nowH: 3,
    config: { consistencyDelayMs: 30 * M, firstLevelCompactionWaitPeriodMs: 0 },
    jobs: ['vertical 0-2h [a1,a2]'],
    excluded: ['a3: consistency-delay'],
  },
  {
    name: 'blocks the compactor wrote are exempt from the consistency delay',
    blocks: [blk('c0', 0, 12, { level: 3, uploadedH: 24.9 }), blk('c1', 12, 24, { level: 3, uploadedH: 24.95 })],
    nowH: 25,
    config: { consistencyDelayMs: 30 * M },
    jobs: ['merge 0-24h [c0,c1]'],
  },
  {
    name: '12h blocks are merged into a 24h block',
    blocks: [blk('d0', 0, 12, { level: 3 }), blk('d1', 12, 24, { level: 3 })],
    nowH: 25,
    jobs: ['merge 0-24h [d0,d1]'],
  },
  {
    name: 'a single compacted block in a window is not recompacted alone',
    blocks: [blk('d0', 0, 12, { level: 3 }), blk('e', 24, 26, { level: 2 }), blk('f', 48, 72, { level: 4 })],
    nowH: 100,
    jobs: [],
  },
  {
    name: 'blocks with different external labels are never mixed',
    blocks: [
      ...replicas('a', 0, 2, 2),
      ...replicas('z', 0, 2, 2, { labels: { ...ORG, cluster: 'eu' } }),
      blk('lone', 0, 2, { labels: { ...ORG, cluster: 'us' } }),
    ],
    nowH: 3,
    jobs: ['vertical 0-2h [a1,a2]', 'vertical 0-2h [z1,z2]'],
  },
  {
    name: 'blocks of different shards are never mixed when splitting is off',
    blocks: [
      blk('s1a', 0, 2, { level: 2, labels: { ...ORG, [COMPACTOR_SHARD_ID_LABEL]: '1_of_2' } }),
      blk('s1b', 0, 2, { level: 2, labels: { ...ORG, [COMPACTOR_SHARD_ID_LABEL]: '1_of_2' } }),
      blk('s2a', 0, 2, { level: 2, labels: { ...ORG, [COMPACTOR_SHARD_ID_LABEL]: '2_of_2' } }),
      blk('u', 0, 2, { level: 2 }),
    ],
    nowH: 5,
    jobs: ['vertical 0-2h 1_of_2 [s1a,s1b]'],
  },
  {
    name: 'overlapping blocks across the largest range boundary are never compacted together',
    blocks: [blk('p', 22, 24, { level: 2 }), blk('q', 23, 25, { level: 2 }), blk('r', 24, 26, { level: 2 })],
    nowH: 100,
    jobs: [],
  },
  {
    name: 'a block longer than the largest range is left alone',
    blocks: [blk('big', 0, 48, { level: 5 }), blk('small', 0, 2, { level: 2 }), blk('small2', 2, 4, { level: 2 })],
    nowH: 100,
    jobs: ['merge 0-12h [small,small2]'],
  },
  {
    name: 'windows before the epoch are aligned downwards',
    blocks: replicas('n', -2, 0, 2),
    nowH: 1,
    jobs: ['vertical -2-0h [n1,n2]'],
  },
  {
    name: 'splitting on: RF copies of a 2h window become one split job writing every shard',
    blocks: replicas('a', 0, 2, 3),
    nowH: 3,
    config: { splitAndMergeShards: 4 },
    jobs: ['split 0-2h [a1,a2,a3]'],
  },
  {
    name: 'splitting on: a single unsharded block is split too',
    blocks: [blk('one', 0, 2)],
    nowH: 3,
    config: { splitAndMergeShards: 4 },
    jobs: ['split 0-2h [one]'],
  },
  {
    name: 'splitting on: sharded blocks of a window wait while unsharded ones remain to split',
    blocks: [
      blk('s1a', 0, 2, { level: 2, labels: { ...ORG, [COMPACTOR_SHARD_ID_LABEL]: '1_of_2' } }),
      blk('s1b', 0, 2, { level: 2, labels: { ...ORG, [COMPACTOR_SHARD_ID_LABEL]: '1_of_2' } }),
      blk('late', 0, 2),
    ],
    nowH: 5,
    config: { splitAndMergeShards: 2 },
    jobs: ['split 0-2h [late]'],
  },
  {
    name: 'splitting on: unsharded blocks larger than the smallest range are merged, not split',
    blocks: [blk('u0', 0, 12, { level: 3 }), blk('u1', 12, 24, { level: 3 })],
    nowH: 25,
    config: { splitAndMergeShards: 4 },
    jobs: ['merge 0-24h [u0,u1]'],
  },
];

describe('planCompaction', () => {
  it.each(scenarios)('$name', (s) => {
    const marks = { deletionMarked: s.deletion?.map(idOf), noCompactMarked: s.noCompact?.map(idOf) };
    const result = plan(s.blocks, s.nowH, cfg(s.config), marks);
    expect(result.jobs.map(show)).toEqual(s.jobs);
    expect(result.deferred.map((d) => `${d.reason}: ${show(d.job)}`)).toEqual(s.deferred ?? []);
    expect(result.excluded.map((e) => `${nameOf(e.id)}: ${e.reason}`).sort()).toEqual(s.excluded ?? []);
    expect(planCompactionJobs({ tenant: TENANT, blocks: s.blocks, now: Math.round(s.nowH * H), ...marks }, cfg(s.config))).toEqual(result.jobs);
  });

  it('describes a vertical job fully: range, level, labels, output, key and hash', () => {
    const [job] = plan(replicas('a', 0, 2, 3), 3).jobs;
    const ids = ['a1', 'a2', 'a3'].map(idOf).sort();
    expect(job).toMatchObject({
      tenant: TENANT,
      stage: 'vertical',
      rangeStart: 0,
      rangeEnd: 2 * H,
      minTime: 0,
      maxTime: 2 * H,
      sourceBlockIds: ids,
      compactionLevel: 2,
      labels: ORG,
      outputs: [{ labels: ORG }],
      shardingKey: 't1/vertical-0-7200000',
      key: `t1/vertical-0-7200000@${fnv1a64Hex(JSON.stringify([['__org_id__', TENANT]]))}`,
      hash: 4239831602, // FNV-1a 32 of the sharding key, computed independently
    });
    expect(job!.sources.map((b) => b.id)).toEqual(ids);
    expect(job!.shardIndex).toBeUndefined();
    expect(job!.shardCount).toBeUndefined();
  });

  it('keeps the caller’s block objects (e.g. full bucket-index entries) as job sources', () => {
    const blocks = replicas('a', 0, 2, 2).map((b) => ({ ...b, segmentCount: 3 }));
    const [job] = planCompactionJobs({ tenant: TENANT, blocks, now: 3 * H }, cfg());
    expect(job!.sources.every((b) => b.segmentCount === 3)).toBe(true);
    expect(job!.sources[0]).toBe(blocks.find((b) => b.id === job!.sourceBlockIds[0]));
  });

  it('output level is the highest source level plus one', () => {
    const [job] = plan([blk('a', 0, 2, { level: 1 }), blk('b', 0, 2, { level: 3 })], 3).jobs;
    expect(job!.compactionLevel).toBe(4);
  });

  it('rejects an invalid config with every problem in one ValidationError', () => {
    const run = () => plan([], 0, cfg({ blockRangesMs: [2 * H, 5 * H], splitGroups: 0 }));
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(/multiple of the range before it.*split groups/);
  });
});

describe('split-and-merge', () => {
  const shard = (i: number, n: number) => ({ ...ORG, [COMPACTOR_SHARD_ID_LABEL]: formatCompactorShardId(i, n) });

  it('a split job writes one output per shard, labelled <i+1>_of_<n>', () => {
    const [job] = plan(replicas('a', 0, 2, 3), 3, cfg({ splitAndMergeShards: 4 })).jobs;
    expect(job).toMatchObject({
      stage: 'split',
      shardCount: 4,
      splitGroupIndex: 0,
      splitGroupCount: 1,
      compactionLevel: 2,
      labels: ORG,
      shardingKey: 't1/split-0-7200000-1_of_1',
    });
    expect(job!.shardIndex).toBeUndefined();
    expect(job!.outputs).toEqual([0, 1, 2, 3].map((i) => ({ labels: shard(i, 4), shardIndex: i, shardCount: 4 })));
    expect(job!.outputs.map((o) => o.labels[COMPACTOR_SHARD_ID_LABEL])).toEqual(['1_of_4', '2_of_4', '3_of_4', '4_of_4']);
  });

  it('with 4 split groups, 16 sources of a window make 4 split jobs grouped by Mimir’s block-id hash', () => {
    const blocks = replicas('g', 0, 2, 16);
    const jobs = plan(blocks, 3, cfg({ splitAndMergeShards: 4, splitGroups: 4 })).jobs;
    expect(jobs.map((j) => j.splitGroupIndex)).toEqual([0, 1, 2, 3]);
    expect(jobs.map((j) => j.shardingKey)).toEqual([1, 2, 3, 4].map((g) => `t1/split-0-7200000-${g}_of_4`));
    for (const j of jobs) {
      for (const id of j.sourceBlockIds) expect(blockIdHash(id) % 4).toBe(j.splitGroupIndex);
    }
    expect(jobs.flatMap((j) => j.sourceBlockIds).sort()).toEqual(blocks.map((b) => b.id).sort());
  });

  it('given the split outputs of 2 split groups, merges each shard of the window vertically', () => {
    const config = cfg({ splitAndMergeShards: 4, splitGroups: 2 });
    const blocks = replicas('g', 0, 2, 6);
    const first = plan(blocks, 3, config);
    expect(first.jobs.map((j) => j.stage)).toEqual(['split', 'split']);
    const after = runJobs(blocks, first.jobs, 3);
    const second = plan(after, 5, config);
    expect(second.jobs.map(show)).toEqual(
      [1, 2, 3, 4].map((i) => `vertical 0-2h ${i}_of_4 [${first.jobs.map((j) => `${j.key}#${i - 1}`).join(',')}]`),
    );
    for (const [i, j] of second.jobs.entries()) {
      expect(j).toMatchObject({ shardIndex: i, shardCount: 4, compactionLevel: 3, labels: shard(i, 4), outputs: [{ labels: shard(i, 4), shardIndex: i, shardCount: 4 }] });
    }
  });

  it('given split outputs of a whole 12h window, merges each shard into a 12h block', () => {
    const config = cfg({ splitAndMergeShards: 4 });
    const blocks = [0, 2, 4, 6, 8, 10].flatMap((t) => replicas(`w${t}-`, t, t + 2, 3));
    const first = plan(blocks, 13, config);
    expect(first.jobs).toHaveLength(6);
    expect(new Set(first.jobs.map((j) => j.stage))).toEqual(new Set(['split']));
    const second = plan(runJobs(blocks, first.jobs, 13), 13, config);
    expect(second.jobs.map((j) => [j.stage, j.rangeStart, j.rangeEnd, j.labels[COMPACTOR_SHARD_ID_LABEL], j.sources.length])).toEqual(
      [1, 2, 3, 4].map((i) => ['merge', 0, 12 * H, `${i}_of_4`, 6]),
    );
  });
});

/**
 * Runs jobs as an executor would: each source replaced by its outputs (one block per output, id
 * `<job key>#<output index>`, level and range from the job, uploaded at `nowH`).
 */
function runJobs(blocks: PlannableBlock[], jobs: CompactionJob[], nowH: number): PlannableBlock[] {
  const consumed = new Set(jobs.flatMap((j) => j.sourceBlockIds));
  const out = blocks.filter((b) => !consumed.has(b.id));
  for (const j of jobs) {
    j.outputs.forEach((o, i) => {
      const name = `${j.key}#${i}`;
      const id = idOf(name);
      names.set(id, name);
      out.push({ id, minTime: j.minTime, maxTime: j.maxTime, uploadedAt: nowH * H, compactionLevel: j.compactionLevel, source: 'compactor', labels: o.labels });
    });
  }
  return out;
}

/** Plans and runs until nothing is left to do; returns the final blocks. */
function converge(blocks: PlannableBlock[], nowH: number, config: CompactionPlannerConfig): { blocks: PlannableBlock[]; rounds: number } {
  let current = blocks;
  for (let round = 1; round <= 20; round++) {
    const { jobs } = plan(current, nowH, config);
    if (jobs.length === 0) return { blocks: current, rounds: round - 1 };
    current = runJobs(current, jobs, nowH);
  }
  throw new Error('planner did not converge in 20 rounds');
}

describe('compaction converges', () => {
  const day = [...Array(12).keys()].flatMap((k) =>
    replicas(`r${k}-`, 2 * k + S15, 2 * k + 2 - S15, 3),
  );

  it.each([
    { name: 'RF=3 ingester blocks of a day end as one 24h block', config: cfg(), shards: [undefined], rounds: 3 },
    { name: 'with split-and-merge (4 shards, 2 groups) they end as one 24h block per shard', config: cfg({ splitAndMergeShards: 4, splitGroups: 2 }), shards: ['1_of_4', '2_of_4', '3_of_4', '4_of_4'], rounds: 4 },
  ])('$name', ({ config, shards, rounds }) => {
    const result = converge(day, 100, config);
    expect(result.rounds).toBe(rounds);
    const final = [...result.blocks].sort((a, b) => (a.labels![COMPACTOR_SHARD_ID_LABEL] ?? '').localeCompare(b.labels![COMPACTOR_SHARD_ID_LABEL] ?? ''));
    expect(final.map((b) => b.labels![COMPACTOR_SHARD_ID_LABEL])).toEqual(shards);
    for (const b of final) {
      expect([b.minTime, b.maxTime]).toEqual([S15 * H, (24 - S15) * H]);
      expect(b.labels!.__org_id__).toBe(TENANT);
    }
  });
});

describe('determinism and invariants', () => {
  function shuffled<T>(xs: readonly T[], rnd: () => number): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** A messy tenant: replicas, pieces, out-of-order blocks, compacted blocks, two label sets, some shards. */
  function randomTenant(seed: number): PlannableBlock[] {
    const rnd = mulberry32(seed);
    const blocks: PlannableBlock[] = [];
    for (let i = 0; i < 60; i++) {
      const kind = rnd();
      const labels = rnd() < 0.2 ? { ...ORG, cluster: 'b' } : rnd() < 0.15 ? { ...ORG, [COMPACTOR_SHARD_ID_LABEL]: `${1 + Math.floor(rnd() * 2)}_of_2` } : ORG;
      const start = Math.floor(rnd() * 36) * 2;
      if (kind < 0.6) blocks.push(blk(`s${seed}-${i}`, start + (rnd() < 0.5 ? S15 : 0), start + 2 - (rnd() < 0.5 ? S15 : 0), { labels, uploadedH: start + 2 + rnd() }));
      else if (kind < 0.75) blocks.push(blk(`s${seed}-${i}`, start + 1, start + 3, { labels, level: 2 }));
      else if (kind < 0.9) blocks.push(blk(`s${seed}-${i}`, Math.floor(start / 12) * 12, Math.floor(start / 12) * 12 + 12, { labels, level: 3 }));
      else blocks.push(blk(`s${seed}-${i}`, start, start + 0.5 + rnd(), { labels, level: 2 }));
    }
    return blocks;
  }

  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
  const configs: [string, CompactionPlannerConfig][] = [
    ['merge only', cfg()],
    ['split 3 shards, 2 groups', cfg({ splitAndMergeShards: 3, splitGroups: 2 })],
  ];

  it.each(configs)('%s: the plan does not depend on the order blocks are listed in', (_name, config) => {
    for (const seed of seeds) {
      const blocks = randomTenant(seed);
      const a = plan(blocks, 40, config);
      const b = plan(shuffled(blocks, mulberry32(seed * 7)), 40, config);
      expect(b).toEqual(a);
    }
  });

  it.each(configs)('%s: every job is well-formed and no block feeds two jobs', (_name, config) => {
    const ranges = new Set(config.blockRangesMs);
    const largest = config.blockRangesMs[config.blockRangesMs.length - 1]!;
    const stages = new Set<string>();
    for (const seed of seeds) {
      const { jobs, deferred } = plan(randomTenant(seed), 40, config);
      const all = [...jobs, ...deferred.map((d) => d.job)];
      for (const j of all) stages.add(j.stage);
      const seen = new Set<string>();
      const keys = new Set<string>();
      for (const j of all) {
        const length = j.rangeEnd - j.rangeStart;
        expect(ranges.has(length)).toBe(true);
        expect(j.rangeStart % length).toBe(0);
        expect(Math.floor(j.minTime / largest)).toBe(Math.floor((j.maxTime - 1) / largest));
        expect(j.maxTime - j.minTime).toBeLessThanOrEqual(largest);
        expect(j.sourceBlockIds).toEqual([...j.sourceBlockIds].sort());
        expect(j.sources.length).toBeGreaterThanOrEqual(j.stage === 'split' ? 1 : 2);
        for (const b of j.sources) {
          expect(b.minTime).toBeGreaterThanOrEqual(j.rangeStart);
          expect(b.maxTime).toBeLessThanOrEqual(j.rangeEnd);
          expect(seen.has(b.id)).toBe(false);
          seen.add(b.id);
          // Same labels everywhere; a split job's sources are all unsharded.
          expect(b.labels).toEqual(j.labels);
        }
        expect(keys.has(j.key)).toBe(false);
        keys.add(j.key);
        expect(j.hash).toBe(fnv1a32String(j.shardingKey));
        expect(j.key.startsWith(`${j.shardingKey}@`)).toBe(true);
      }
      expect([...jobs].sort(compareCompactionJobs)).toEqual(jobs);
    }
    // The random tenants exercise every kind of job, so the checks above are not vacuous.
    expect([...stages].sort()).toEqual(config.splitAndMergeShards > 0 ? ['split', 'vertical'] : ['merge', 'vertical']);
  });
});

describe('planner hashes and shard ids', () => {
  it.each([
    { name: 'empty string', input: '', expected: 0x811c9dc5 },
    { name: '"a"', input: 'a', expected: 3826002220 },
    { name: 'a sharding key', input: 't1/vertical-0-7200000', expected: 4239831602 },
  ])('FNV-1a 32 of $name matches Go hash/fnv', ({ input, expected }) => {
    expect(fnv1a32String(input)).toBe(expected);
  });

  it('FNV-1a 64 matches Go hash/fnv', () => {
    expect(fnv1a64Hex('a')).toBe('af63dc4c8601ec8c');
  });

  it('decodes a ULID to its 16 bytes and hashes them as Mimir’s HashBlockID', () => {
    expect(Buffer.from(ulidBytes('01ARZ3NDEKTSV4RRFFQ69G5FAV')!).toString('hex')).toBe('01563e3ab5d3d6764c61efb99302bd5b');
    expect(blockIdHash('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(4098868864);
    expect(ulidBytes('not-a-ulid')).toBeUndefined();
    expect(blockIdHash('not-a-ulid')).toBe(fnv1a32String('not-a-ulid'));
  });

  it.each([
    { value: '1_of_4', expected: { index: 0, count: 4 } },
    { value: '4_of_4', expected: { index: 3, count: 4 } },
    { value: '5_of_4', expected: undefined },
    { value: '0_of_4', expected: undefined },
    { value: 'x', expected: undefined },
  ])('parses shard id $value', ({ value, expected }) => {
    expect(parseCompactorShardId(value)).toEqual(expected);
  });
});

describe('validateCompactionPlannerConfig', () => {
  it.each<[string, Partial<CompactionPlannerConfig>, RegExp | null]>([
    ['the defaults are valid', {}, null],
    ['no ranges', { blockRangesMs: [] }, /at least one range/],
    ['a range that is not a multiple of the previous', { blockRangesMs: [2 * H, 5 * H] }, /multiple of the range before it/],
    ['descending ranges', { blockRangesMs: [12 * H, 2 * H] }, /larger than and a multiple/],
    ['a non-positive range', { blockRangesMs: [0] }, /positive whole number/],
    ['negative shards', { splitAndMergeShards: -1 }, /split-and-merge shards/],
    ['zero split groups', { splitGroups: 0 }, /split groups/],
    ['a negative consistency delay', { consistencyDelayMs: -1 }, /consistency delay/],
    ['a negative wait period', { firstLevelCompactionWaitPeriodMs: -5 }, /first-level compaction wait period/],
  ])('%s', (_name, over, problem) => {
    const problems = validateCompactionPlannerConfig(cfg(over));
    if (problem) expect(problems.join('\n')).toMatch(problem);
    else expect(problems).toEqual([]);
  });
});
