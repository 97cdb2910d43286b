import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { InMemoryBucket, listAll } from '@panoptes/bucket';
import { RemoteWriteDecoder, encodeWriteRequestV1, tenantHashSeed } from '@panoptes/proto';
import { defaultHeadConfig } from '@panoptes/tsdb';
import { HeadCompactor } from './head-compactor';
import { BlockShipper, defaultBlockShipperConfig } from './shipper';
import { TenantDb } from './tenant-db';
import { FailingBucket } from './testing/shipper-test-util';

const H = 3_600_000;
const RANGE = 2 * H;
const BASE = 1_700_006_400_000; // a multiple of 2h

function append(db: TenantDb, times: number[]) {
  const body = encodeWriteRequestV1({
    timeseries: [{ labels: [{ name: '__name__', value: 'm' }], samples: times.map((t, i) => ({ timestamp: t, value: i })) }],
  });
  const r = db.append(new RemoteWriteDecoder().decode(body, 1, tenantHashSeed(db.tenant)), { maxSeries: 0, maxSeriesPerMetric: 0 });
  expect(r.rejected).toBe(0);
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

  it('waits for the retention period before truncating, and a forced pass cuts the open range too', async () => {
    const db = TenantDb.create('t', { ...defaultHeadConfig(), blockRangeMs: RANGE }, nopLogger);
    append(db, [BASE, BASE + RANGE + H]);
    clock.set(BASE + RANGE + 30 * 60_000); // 30 min after the first range's end
    const compactor = make(H);
    await compactor.run([db], false);
    expect(db.head.minTime).toBe(BASE); // retained
    const forced = await compactor.run([db], true);
    expect(forced).toMatchObject({ blocksCut: 1, shipFailures: 0 });
    expect(await blocksInBucket()).toBe(2);
    expect(db.head.numSeries).toBe(0);
  });
});
