import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { InMemoryBucket, listAll } from '@panoptes/bucket';
import { RemoteWriteDecoder, encodeWriteRequestV1, tenantHashSeed } from '@panoptes/proto';
import { BlockMeta, parseMeta } from '@panoptes/block-formats';
import { Matcher, defaultHeadConfig } from '@panoptes/tsdb';
import { HeadCompactor } from './head-compactor';
import { BlockShipper, defaultBlockShipperConfig } from './shipper';
import { TenantDb } from './tenant-db';
import { FailingBucket } from './testing/shipper-test-util';

const H = 3_600_000;
const RANGE = 2 * H;
const M = 60_000;
const BASE = 1_700_006_400_000; // a multiple of 2h

function appendOutcome(db: TenantDb, name: string, times: number[]) {
  const body = encodeWriteRequestV1({
    timeseries: [{ labels: [{ name: '__name__', value: name }], samples: times.map((t, i) => ({ timestamp: t, value: i })) }],
  });
  return db.append(new RemoteWriteDecoder().decode(body, 1, tenantHashSeed(db.tenant)), { maxSeries: 0, maxSeriesPerMetric: 0 });
}

function append(db: TenantDb, times: number[]) {
  expect(appendOutcome(db, 'm', times).rejected).toBe(0);
}

/** Timestamps of series `m` in the head, in order. */
function samplesInHead(db: TenantDb): number[] {
  const out: number[] = [];
  for (const s of db.head.select([new Matcher('=', '__name__', 'm')], -Infinity, Infinity)) out.push(...s.iterator().readAll().timestamps);
  return out;
}

describe('HeadCompactor', () => {
  let dir: string;
  let bucket: FailingBucket;
  let clock: FakeClock;
  const make = (retentionPeriodMs = 0) => {
    const shipper = new BlockShipper({ ...defaultBlockShipperConfig(), dataDir: join(dir, 'tsdb') }, bucket, clock, nopLogger, new Registry());
    return new HeadCompactor({ blockRangeMs: RANGE, retentionPeriodMs }, shipper, clock, nopLogger);
  };
  const blocksInBucket = async () => (await listAll(bucket, 't', { recursive: true })).filter((k) => k.endsWith('/meta.json')).length;
  const metas = async () => {
    const out: BlockMeta[] = [];
    for (const key of (await listAll(bucket, 't', { recursive: true })).filter((k) => k.endsWith('/meta.json'))) {
      out.push(parseMeta((await bucket.get(key)).toString('utf8')));
    }
    return out.sort((a, b) => a.minTime - b.minTime);
  };
  /** [minTime, maxTime) of the uploaded blocks, oldest first. */
  const blockRanges = async () => (await metas()).map((m) => [m.minTime, m.maxTime]);
  const blockSamples = async () => (await metas()).reduce((n, m) => n + m.stats.numSamples, 0);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'head-compactor-'));
    bucket = new FailingBucket(new InMemoryBucket());
    clock = new FakeClock(BASE + 10 * H);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    { name: 'the head spans less than the range plus half', newest: BASE + RANGE + H - 1, cut: 0 },
    { name: 'the first range is closed for appends (newest ≥ end + R/2)', newest: BASE + RANGE + H, cut: 1 },
    { name: 'two ranges are closed', newest: BASE + 2 * RANGE + H, cut: 2 },
  ])('cuts only closed ranges: $name → $cut block(s)', async ({ newest, cut }) => {
    const db = TenantDb.create('t', { ...defaultHeadConfig(), blockRangeMs: RANGE }, nopLogger);
    const times: number[] = [];
    for (let t = BASE; t < newest; t += 15 * 60_000) times.push(t);
    times.push(newest);
    append(db, times);
    const compactor = make();
    await compactor.init();
    const r = await compactor.run([db], false);
    expect(r).toEqual({ blocksCut: cut, blocksShipped: cut, shipFailures: 0 });
    expect(await blocksInBucket()).toBe(cut);
    // Truncated up to the cut ranges: the head keeps only what is not in a block.
    expect(db.head.minTime).toBe(cut === 0 ? BASE : BASE + cut * RANGE);
    // A second pass cuts nothing new.
    expect((await compactor.run([db], false)).blocksCut).toBe(0);
  });

  it('keeps the head until the upload succeeded, and never cuts a range twice, also after a restart', async () => {
    const db = TenantDb.create('t', { ...defaultHeadConfig(), blockRangeMs: RANGE }, nopLogger);
    append(db, [BASE, BASE + H, BASE + RANGE + H]);
    bucket.failPut = () => true;
    const first = await make().run([db], false);
    expect(first).toMatchObject({ blocksCut: 1, blocksShipped: 0, shipFailures: 1 });
    expect(db.head.minTime).toBe(BASE); // not truncated: the block is only local

    bucket.failPut = () => false;
    const restarted = make();
    await restarted.init(); // learns the cut range from the local block
    const second = await restarted.run([db], false);
    expect(second).toEqual({ blocksCut: 0, blocksShipped: 1, shipFailures: 0 });
    expect(await blocksInBucket()).toBe(1);
    expect(db.head.minTime).toBe(BASE + RANGE + H);
  });

  it('waits for the retention period before truncating, and a forced pass cuts the open range up to the newest sample without truncating', async () => {
    const db = TenantDb.create('t', { ...defaultHeadConfig(), blockRangeMs: RANGE }, nopLogger);
    append(db, [BASE, BASE + RANGE + H]);
    clock.set(BASE + RANGE + 30 * 60_000); // 30 min after the first range's end
    const compactor = make(H);
    await compactor.run([db], false);
    expect(db.head.minTime).toBe(BASE); // retained
    const forced = await compactor.run([db], true);
    expect(forced).toMatchObject({ blocksCut: 1, shipFailures: 0 });
    expect(await blockRanges()).toEqual([
      [BASE, BASE + 1],
      [BASE + RANGE + H, BASE + RANGE + H + 1],
    ]);
    expect(compactor.cutEnd('t')).toBe(BASE + RANGE + H + 1);
    expect(db.head.minTime).toBe(BASE); // still retained, flushed data included
    expect(samplesInHead(db)).toEqual([BASE, BASE + RANGE + H]);
  });

  it.each([
    { name: 'within the open range', times: [BASE + 10 * M, BASE + 20 * M], blocks: [[BASE + 10 * M, BASE + 20 * M + 1]] },
    {
      name: 'over two ranges',
      times: [BASE + H, BASE + RANGE + 10 * M],
      blocks: [
        [BASE + H, BASE + H + 1],
        [BASE + RANGE + 10 * M, BASE + RANGE + 10 * M + 1],
      ],
    },
  ])('a forced pass cuts [oldest, newest + 1) $name, aligned on range ends', async ({ times, blocks }) => {
    const db = TenantDb.create('t', { ...defaultHeadConfig(), blockRangeMs: RANGE }, nopLogger);
    append(db, times);
    const compactor = make(H);
    expect(await compactor.run([db], true)).toEqual({ blocksCut: blocks.length, blocksShipped: blocks.length, shipFailures: 0 });
    expect(await blockRanges()).toEqual(blocks);
    // Nothing new: a second flush cuts nothing (and ends).
    expect(await compactor.run([db], true)).toEqual({ blocksCut: 0, blocksShipped: 0, shipFailures: 0 });
  });

  it('after a flush, accepts newer samples, refuses older ones, and keeps everything queryable', async () => {
    const db = TenantDb.create('t', { ...defaultHeadConfig(), blockRangeMs: RANGE }, nopLogger);
    append(db, [BASE + 10 * M, BASE + 20 * M]);
    await make(13 * H).run([db], true);
    append(db, [BASE + 20 * M + 1, BASE + 30 * M]);
    expect(appendOutcome(db, 'other', [BASE + 15 * M]).rejectedByReason).toEqual({ sample_too_old: 1 });
    expect(appendOutcome(db, 'other', [BASE + 25 * M]).appended).toBe(1);
    expect(samplesInHead(db)).toEqual([BASE + 10 * M, BASE + 20 * M, BASE + 20 * M + 1, BASE + 30 * M]);
  });

  it('after a flush, the normal cut of the same range holds only the rest of it, and truncation after the retention period keeps only what no block holds', async () => {
    const db = TenantDb.create('t', { ...defaultHeadConfig(), blockRangeMs: RANGE }, nopLogger);
    append(db, [BASE + 10 * M, BASE + 20 * M]);
    clock.set(BASE + 21 * M);
    const compactor = make(13 * H);
    await compactor.run([db], true);
    append(db, [BASE + 40 * M, BASE + 100 * M]);
    clock.set(BASE + RANGE + H + M);
    append(db, [BASE + RANGE + H]); // closes [BASE, BASE+2h)
    expect(await compactor.run([db], false)).toEqual({ blocksCut: 1, blocksShipped: 1, shipFailures: 0 });
    expect(await blockRanges()).toEqual([
      [BASE + 10 * M, BASE + 20 * M + 1],
      [BASE + 40 * M, BASE + 100 * M + 1],
    ]);
    expect(await blockSamples()).toBe(4);
    expect(samplesInHead(db)).toEqual([BASE + 10 * M, BASE + 20 * M, BASE + 40 * M, BASE + 100 * M, BASE + RANGE + H]);

    expect(compactor.cutEnd('t')).toBe(BASE + RANGE);
    clock.set(BASE + RANGE + 13 * H);
    await compactor.run([db], false);
    expect(samplesInHead(db)).toEqual([BASE + RANGE + H]);
    expect(await blockRanges()).toHaveLength(2);
  });

  it('truncates at the end of a flush once its retention is over: the samples after it stay, the flushed ones go', async () => {
    const db = TenantDb.create('t', { ...defaultHeadConfig(), blockRangeMs: RANGE }, nopLogger);
    append(db, [BASE + 10 * M, BASE + 20 * M]);
    const compactor = make(13 * H);
    clock.set(BASE + 21 * M);
    await compactor.run([db], true);
    append(db, [BASE + 30 * M, BASE + 40 * M]); // same series: a new chunk starts at the flush end
    clock.set(BASE + 20 * M + 1 + 13 * H);
    expect(await compactor.run([db], false)).toEqual({ blocksCut: 0, blocksShipped: 0, shipFailures: 0 });
    expect(samplesInHead(db)).toEqual([BASE + 30 * M, BASE + 40 * M]);
    expect(await blockSamples()).toBe(2);
  });

  it('after a restart from a head that never saw the flush (replayed from scratch), cuts no flushed sample again and refuses samples older than the flush', async () => {
    const config = { ...defaultHeadConfig(), blockRangeMs: RANGE };
    const db = TenantDb.create('t', config, nopLogger);
    const before = [BASE + 10 * M, BASE + 20 * M];
    append(db, before);
    await make(13 * H).run([db], true);
    append(db, [BASE + 30 * M]);

    // Restart: the head is rebuilt from the log (a snapshot older than the flush), the local block is still there.
    const replayed = TenantDb.create('t', config, nopLogger);
    append(replayed, [...before, BASE + 30 * M]);
    const restarted = make(13 * H);
    await restarted.init();
    restarted.markCuts([replayed]);
    expect(appendOutcome(replayed, 'other', [BASE + 15 * M]).rejectedByReason).toEqual({ sample_too_old: 1 });
    append(replayed, [BASE + 50 * M]);
    await restarted.run([replayed], true);
    append(replayed, [BASE + RANGE + H]);
    await restarted.run([replayed], false);
    expect(await blockRanges()).toEqual([
      [BASE + 10 * M, BASE + 20 * M + 1],
      [BASE + 30 * M, BASE + 50 * M + 1],
    ]);
    expect(await blockSamples()).toBe(4);
    expect(samplesInHead(replayed)).toEqual([BASE + 10 * M, BASE + 20 * M, BASE + 30 * M, BASE + 50 * M, BASE + RANGE + H]);
  });
});
