import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { BlockMeta, parseMeta } from '@panoptes/block-formats';
import { InMemoryBucket, listAll } from '@panoptes/bucket';
import { FakeClock } from '@panoptes/common';
import { InProcessIngestLog, defaultInProcessIngestLogConfig } from '@panoptes/ingest';
import { nopLogger } from '@panoptes/log';
import { encodeIngestRecordValue, encodeWriteRequestV1 } from '@panoptes/proto';
import { Matcher, defaultHeadConfig } from '@panoptes/tsdb';
import { HeadCompactor } from './head-compactor';
import { Ingester, IngesterDurability, defaultIngesterConfig } from './ingester';
import { BlockShipper, defaultBlockShipperConfig } from './shipper';
import { SnapshotDurability } from './snapshot-durability';
import type { TenantAppendResult } from './tenant-db';

// `/ingester/flush` end to end inside one ingester, in both modes, across a restart: the flush
// cuts up to the newest sample, later samples are accepted, nothing is cut twice.

const M = 60_000;
const H = 60 * M;
const RANGE = 2 * H;
const BASE = 1_700_006_400_000; // a multiple of 2h
const TENANT = 't';
const headConfig = { ...defaultHeadConfig(), blockRangeMs: RANGE };

type Mode = 'classic' | 'ingest-log';

/** One ingester process over a data directory, an ingest log (or WAL) directory and a bucket. */
class Process {
  readonly log: InProcessIngestLog;
  readonly ingester: Ingester;
  private readonly producer;

  constructor(
    readonly mode: Mode,
    dir: string,
    bucket: InMemoryBucket,
    clock: FakeClock,
    /** false: stop like a crash, without the final snapshot. */
    cleanStop: boolean,
  ) {
    this.log = new InProcessIngestLog({ ...defaultInProcessIngestLogConfig(), dir: join(dir, 'log'), fsync: false }, nopLogger, new Registry());
    const shipper = new BlockShipper({ ...defaultBlockShipperConfig(), dataDir: join(dir, 'tsdb') }, bucket, clock, nopLogger, new Registry());
    const compactor = new HeadCompactor({ blockRangeMs: RANGE, retentionPeriodMs: 13 * H }, shipper, clock, nopLogger);
    const snapshots = new SnapshotDurability({ dir: join(dir, 'snapshots'), intervalMs: 24 * H }, headConfig, clock, nopLogger);
    const durability: IngesterDurability = {
      load: (i) => snapshots.load(i),
      afterBatch: (i, next) => snapshots.afterBatch(i, next),
      close: cleanStop ? (i, next) => snapshots.close(i, next) : undefined,
    };
    this.producer = this.log.producer();
    this.ingester = new Ingester(
      { ...defaultIngesterConfig(headConfig), consumeMaxWaitMs: 10, mode },
      this.log.consumer(0, 'ingester'),
      mode === 'classic' ? this.producer : undefined,
      () => ({ maxSeries: 0, maxSeriesPerMetric: 0 }),
      durability,
      compactor,
      clock,
      nopLogger,
      new Registry(),
    );
  }

  async start(): Promise<void> {
    await this.log.ensureTopic(1);
    await this.ingester.start();
  }

  async stop(): Promise<void> {
    await this.ingester.stop();
    await this.log.close();
  }

  /** Writes one sample of series m{k} the way the mode does; resolves with the ingester's outcome. */
  async write(k: number, t: number): Promise<TenantAppendResult> {
    const body = Buffer.from(
      encodeWriteRequestV1({
        timeseries: [
          {
            labels: [
              { name: '__name__', value: 'm' },
              { name: 'k', value: String(k) },
            ],
            samples: [{ timestamp: t, value: t / M }],
          },
        ],
      }),
    );
    if (this.mode === 'classic') return this.ingester.push(TENANT, body);
    const [written] = await this.producer.produce([{ partition: 0, tenant: TENANT, value: encodeIngestRecordValue(1, body), timestampMs: t }]);
    const result = await this.ingester.whenApplied(written.offset);
    if (result === undefined) throw new Error(`record ${written.offset} was not applied`);
    return result;
  }

  /** Timestamps per series k in the head. */
  head(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const s of this.ingester.select(TENANT, [new Matcher('=', '__name__', 'm')], -Infinity, Infinity)) {
      out[s.labels.find(([n]) => n === 'k')![1]] = [...s.iterator().readAll().timestamps];
    }
    return out;
  }
}

describe('Ingester flush', () => {
  let dir: string;
  let bucket: InMemoryBucket;
  let clock: FakeClock;
  let running: Process | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ingester-flush-'));
    bucket = new InMemoryBucket();
    clock = new FakeClock(BASE + 21 * M);
  });
  afterEach(async () => {
    if (running?.ingester.state === 'Running') await running.stop();
    running = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (mode: Mode, cleanStop = true) => {
    running = new Process(mode, dir, bucket, clock, cleanStop);
    await running.start();
    return running;
  };
  const metas = async () => {
    const out: BlockMeta[] = [];
    for (const key of (await listAll(bucket, TENANT, { recursive: true })).filter((k) => k.endsWith('/meta.json'))) {
      out.push(parseMeta((await bucket.get(key)).toString('utf8')));
    }
    return out.sort((a, b) => a.minTime - b.minTime);
  };

  it.each<{ name: string; mode: Mode }>([
    { name: 'classic (gRPC push + WAL)', mode: 'classic' },
    { name: 'ingest-log (partition consumer)', mode: 'ingest-log' },
  ])('$name: after a flush, accepts newer samples, refuses older ones, and still answers the flushed ones', async ({ mode }) => {
    const p = await start(mode);
    expect((await p.write(0, BASE + 10 * M)).appended).toBe(1);
    expect((await p.write(0, BASE + 20 * M)).appended).toBe(1);
    expect((await p.write(1, BASE + 5 * M)).appended).toBe(1);
    expect(await p.ingester.flush()).toEqual({ blocksCut: 1, blocksShipped: 1, shipFailures: 0 });
    expect((await metas()).map((m) => [m.minTime, m.maxTime])).toEqual([[BASE + 5 * M, BASE + 20 * M + 1]]);

    expect((await p.write(0, BASE + 25 * M)).appended).toBe(1);
    expect((await p.write(1, BASE + 20 * M + 1)).appended).toBe(1);
    // Series 1's newest is 5m, but 15m is inside what the flush cut.
    expect((await p.write(1, BASE + 15 * M)).rejectedByReason).toEqual({ sample_too_old: 1 });
    expect(p.head()).toEqual({ '0': [BASE + 10 * M, BASE + 20 * M, BASE + 25 * M], '1': [BASE + 5 * M, BASE + 20 * M + 1] });
  });

  it.each<{ name: string; mode: Mode; cleanStop: boolean }>([
    { name: 'classic, clean stop (snapshot after the flush)', mode: 'classic', cleanStop: true },
    { name: 'classic, crash (WAL replayed from the start)', mode: 'classic', cleanStop: false },
    { name: 'ingest-log, clean stop (snapshot after the flush)', mode: 'ingest-log', cleanStop: true },
    { name: 'ingest-log, crash (partition replayed from the start)', mode: 'ingest-log', cleanStop: false },
  ])('$name: a restart after a flush neither loses nor cuts again a flushed sample', async ({ mode, cleanStop }) => {
    const first = await start(mode, cleanStop);
    await first.write(0, BASE + 10 * M);
    await first.write(0, BASE + 20 * M);
    await first.write(1, BASE + 5 * M);
    await first.ingester.flush();
    await first.write(0, BASE + 30 * M);
    await first.stop();

    const second = await start(mode);
    // Every accepted sample is back in the head once, the flushed ones too (queries need them).
    expect(second.head()).toEqual({ '0': [BASE + 10 * M, BASE + 20 * M, BASE + 30 * M], '1': [BASE + 5 * M] });
    expect((await second.write(1, BASE + 15 * M)).rejectedByReason).toEqual({ sample_too_old: 1 });
    expect((await second.write(1, BASE + 40 * M)).appended).toBe(1);
    expect(await second.ingester.flush()).toEqual({ blocksCut: 1, blocksShipped: 1, shipFailures: 0 });
    const blocks = await metas();
    expect(blocks.map((m) => [m.minTime, m.maxTime, m.stats.numSamples])).toEqual([
      [BASE + 5 * M, BASE + 20 * M + 1, 3],
      [BASE + 30 * M, BASE + 40 * M + 1, 2],
    ]);
  });
});
