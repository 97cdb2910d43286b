import { encodeTime } from 'ulid';
import { planCompaction } from './planner';
import { defaultCompactionPlannerConfig } from './planner-config';
import { PlannableDeletion, deletionApplied, needsDeletionRewrite } from './planner-deletions';
import { COMPACTOR_SHARD_ID_LABEL, PlannableBlock } from './planner-job';

const H = 3_600_000;
const M = 60_000;
const DAY0 = Date.UTC(2024, 5, 1);
const TENANT = 't1';
const ORG = { __org_id__: TENANT };
const MARGIN = 5 * M;
/** When the request was made: two days after DAY0. */
const MADE = DAY0 + 48 * H;

/** A block ULID minted at `mintedAt`, told apart by `n`. */
function idAt(mintedAt: number, n: number): string {
  return encodeTime(mintedAt, 10) + String(n).padStart(16, '0');
}

interface Opts {
  level?: number;
  source?: string;
  /** When the block's ULID was minted; default: 10 minutes after its maxTime. */
  mintedAt?: number;
  labels?: Record<string, string>;
  n?: number;
}

/** A block over [DAY0 + minH, DAY0 + maxH) hours. */
function blk(minH: number, maxH: number, o: Opts = {}): PlannableBlock {
  const maxTime = DAY0 + maxH * H;
  return {
    id: idAt(o.mintedAt ?? maxTime + 10 * M, o.n ?? 0),
    minTime: DAY0 + minH * H,
    maxTime,
    uploadedAt: maxTime + 10 * M,
    compactionLevel: o.level ?? 1,
    source: o.source ?? ((o.level ?? 1) > 1 ? 'compactor' : 'receive'),
    labels: o.labels ?? ORG,
  };
}

/** Deletes [DAY0 + fromH, DAY0 + toH] hours; made at MADE. */
function req(fromH: number, toH: number): PlannableDeletion {
  return { id: idAt(MADE, 99), startMs: DAY0 + fromH * H, endMs: DAY0 + toH * H, createdAt: MADE };
}

function plan(blocks: PlannableBlock[], requests: PlannableDeletion[], now = MADE + 10 * M) {
  return planCompaction({ tenant: TENANT, blocks, now, seriesDeletions: { requests, appliedMarginMs: MARGIN } }, defaultCompactionPlannerConfig());
}

const describeJob = (j: { stage: string; sourceBlockIds: string[]; compactionLevel: number }) => `${j.stage} [${j.sourceBlockIds.length}] level ${j.compactionLevel}`;

describe('deletion rules of the planner', () => {
  it.each([
    { name: 'an ingester block, however recent', block: blk(0, 2, { mintedAt: MADE + H }), applied: false },
    { name: 'a compactor block minted before the request', block: blk(0, 24, { level: 3, mintedAt: MADE - H }), applied: false },
    { name: 'a compactor block minted within the margin after the request', block: blk(0, 24, { level: 3, mintedAt: MADE + MARGIN - 1 }), applied: false },
    { name: 'a compactor block minted a margin after the request', block: blk(0, 24, { level: 3, mintedAt: MADE + MARGIN }), applied: true },
  ])('counts as applied: $name → $applied', ({ block, applied }) => {
    expect(deletionApplied(block, req(0, 1), MARGIN)).toBe(applied);
  });

  it.each([
    { name: 'an ingester block overlapping the range', block: blk(0, 2), now: MADE, rewrite: true },
    { name: 'a block ending where the range starts (maxTime is exclusive)', block: blk(0, 2), range: [2, 3], now: MADE, rewrite: false },
    { name: 'a block starting at the last deleted ms', block: blk(1, 3), range: [0, 1], now: MADE, rewrite: true },
    { name: 'a compactor block minted long before the request', block: blk(0, 24, { level: 3, mintedAt: MADE - H }), now: MADE, rewrite: true },
    { name: 'a compactor block minted just before the request, while the margin runs', block: blk(0, 24, { level: 3, mintedAt: MADE - M }), now: MADE + M, rewrite: false },
    { name: 'a compactor block minted just after the request, while the margin runs', block: blk(0, 24, { level: 3, mintedAt: MADE + M }), now: MADE + 2 * M, rewrite: false },
    { name: 'the same block once the margin has passed', block: blk(0, 24, { level: 3, mintedAt: MADE + M }), now: MADE + MARGIN, rewrite: true },
    { name: 'a compactor block that applied the request', block: blk(0, 24, { level: 3, mintedAt: MADE + MARGIN }), now: MADE + H, rewrite: false },
  ])('needs a rewrite: $name → $rewrite', ({ block, range, now, rewrite }) => {
    const [from, to] = range ?? [0, 1];
    expect(needsDeletionRewrite(block, req(from, to), MARGIN, now)).toBe(rewrite);
  });
});

describe('rewrite jobs (PLANNER.md rule 9)', () => {
  it('rewrites a top-level block overlapping a pending request into one block of the same level and labels', () => {
    const top = blk(0, 24, { level: 4, mintedAt: DAY0 + 25 * H });
    const { jobs } = plan([top], [req(5, 6)]);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      stage: 'rewrite',
      sourceBlockIds: [top.id],
      compactionLevel: 4,
      minTime: top.minTime,
      maxTime: top.maxTime,
      labels: ORG,
      outputs: [{ labels: ORG }],
      shardingKey: `${TENANT}/rewrite-${top.id}`,
      key: expect.stringMatching(new RegExp(`^${TENANT}/rewrite-${top.id}@[0-9a-f]{16}$`)),
    });
  });

  it('keeps the shard of a split block', () => {
    const labels = { ...ORG, [COMPACTOR_SHARD_ID_LABEL]: '2_of_4' };
    const { jobs } = plan([blk(0, 24, { level: 3, mintedAt: DAY0 + 25 * H, labels })], [req(5, 6)]);
    expect(jobs[0]).toMatchObject({ stage: 'rewrite', labels, shardIndex: 1, shardCount: 4, outputs: [{ labels, shardIndex: 1, shardCount: 4 }] });
  });

  it('plans nothing for blocks outside every pending range, or without requests', () => {
    const blocks = [blk(0, 24, { level: 3, mintedAt: DAY0 + 25 * H })];
    expect(plan(blocks, [req(30, 31)]).jobs).toEqual([]);
    expect(plan(blocks, []).jobs).toEqual([]);
  });

  it('leaves a block to the merge planned for it: the merge applies the request', () => {
    const copies = [blk(0, 2, { n: 1 }), blk(0, 2, { n: 2 })];
    expect(plan(copies, [req(0, 1)]).jobs.map(describeJob)).toEqual(['vertical [2] level 2']);
  });

  it('leaves RF copies to the merge that waits only for the first-level wait period', () => {
    const copies = [blk(0, 2, { n: 1 }), blk(0, 2, { n: 2 })].map((b) => ({ ...b, uploadedAt: MADE }));
    const p = plan(copies, [req(0, 1)], MADE + M);
    expect(p.jobs).toEqual([]);
    expect(p.deferred.map((d) => d.reason)).toEqual(['first-level-wait-period']);
  });

  it('rewrites the sources of a merge deferred because its window is still filling', () => {
    // Two level-2 blocks of a 12h window that is neither complete nor old: the merge waits.
    const a = blk(0, 2, { level: 2, mintedAt: DAY0 + 3 * H, n: 1 });
    const b = blk(2, 4, { level: 2, mintedAt: DAY0 + 3.5 * H, n: 2 });
    const p = planCompaction(
      { tenant: TENANT, blocks: [a, b], now: DAY0 + 5 * H, seriesDeletions: { requests: [{ ...req(1, 3), createdAt: DAY0 + 4 * H }], appliedMarginMs: MARGIN } },
      defaultCompactionPlannerConfig(),
    );
    expect(p.deferred.map((d) => d.reason)).toEqual(['window-incomplete']);
    expect(p.jobs.map(describeJob)).toEqual(['rewrite [1] level 2', 'rewrite [1] level 2']);
  });

  it('does not rewrite blocks marked for deletion or no-compact', () => {
    const [a, b] = [blk(0, 24, { level: 3, mintedAt: DAY0 + 25 * H, n: 1 }), blk(24, 48, { level: 3, mintedAt: DAY0 + 49 * H, n: 2 })];
    const p = planCompaction(
      { tenant: TENANT, blocks: [a, b], deletionMarked: [a.id], noCompactMarked: [b.id], now: MADE + H, seriesDeletions: { requests: [req(0, 40)], appliedMarginMs: MARGIN } },
      defaultCompactionPlannerConfig(),
    );
    expect(p.jobs).toEqual([]);
  });
});
