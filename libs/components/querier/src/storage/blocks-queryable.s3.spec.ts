import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelsString, type Labels } from '@panoptes/block-formats';
import { S3Bucket, ScratchS3Bucket } from '@panoptes/bucket';
import { BucketIndexLoader, defaultBucketIndexLoaderConfig } from '@panoptes/bucket-index';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import type { EncodedChunk, StoredSeries } from '@panoptes/promql';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { Matcher } from '@panoptes/tsdb';
import { Registry } from 'prom-client';
import { BlocksQueryable } from './blocks-queryable';
import { defaultQuerierStorageConfig } from './config';
import { BlockFactory, samplesBetween, type TestSeries, writeIndex, xorChunk } from './testing/blocks';

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 1);
const T = NOW - 48 * HOUR;
const TENANT = 'tenant-s3';
const show = (list: readonly (StoredSeries | TestSeries)[]) =>
  list.map((s) => ({ labels: labelsString(s.labels), chunks: s.chunks.map((c: EncodedChunk) => `${c.minT}-${c.maxT}:${Buffer.from(c.data).toString('hex')}`) }));

describeWithService('s3', 'BlocksQueryable reading blocks from MinIO', (env) => {
  const scratch = new ScratchS3Bucket(env, uniqueName('panoptes-querier-blocks'));
  const factory = new BlockFactory();
  let bucket: S3Bucket;
  let syncDir: string;

  beforeAll(async () => {
    await scratch.create();
    bucket = new S3Bucket(scratch.config());
    await factory.init();
    syncDir = await mkdtemp(join(tmpdir(), 'querier-s3-sync-'));
  });

  afterAll(async () => {
    await bucket?.close();
    await scratch.destroy();
    await factory.cleanup();
    if (syncDir) await rm(syncDir, { recursive: true, force: true });
  });

  it('selects exact series and chunk bytes from a block uploaded with uploadBlock, through the bucket index, and survives its replacement', async () => {
    const labelsOf = (i: number): Labels => [
      ['__name__', 'http_requests_total'],
      ['code', i % 3 === 0 ? '500' : '200'],
      ['pod', `pod-${String(i).padStart(3, '0')}`],
    ];
    const series: TestSeries[] = Array.from({ length: 150 }, (_, i) => ({
      labels: labelsOf(i),
      chunks: [xorChunk(samplesBetween(T, T + 30 * 60_000, 15_000, i)), xorChunk(samplesBetween(T + 30 * 60_000 + 15_000, T + HOUR, 15_000, i))],
    }));
    const first = await factory.upload(bucket, TENANT, series);
    await writeIndex(bucket, TENANT, [first], NOW - 60_000);

    const clock = new FakeClock(NOW);
    const registry = new Registry();
    const loader = new BucketIndexLoader({ ...defaultBucketIndexLoaderConfig(), maxStalePeriodMs: 0 }, bucket, clock, nopLogger, registry);
    const queryable = new BlocksQueryable({ ...defaultQuerierStorageConfig(), syncDir }, bucket, loader, clock, nopLogger, registry);
    const select = async (): Promise<StoredSeries[]> => {
      const out: StoredSeries[] = [];
      const q = queryable.querier(TENANT, T - HOUR, T + 2 * HOUR);
      for await (const s of q.select([new Matcher('=', 'code', '500')], { start: T - HOUR, end: T + 2 * HOUR, step: 0, range: 0 })) out.push(s);
      return out;
    };

    const want = series.filter((_, i) => i % 3 === 0);
    expect(show(await select())).toEqual(show(want));
    expect(await queryable.querier(TENANT, T - HOUR, T + 2 * HOUR).labelValues('code', [])).toEqual(['200', '500']);

    // The compactor replaces the block: the querier, still holding the old bucket index, re-reads it.
    const second = await factory.upload(bucket, TENANT, series);
    await writeIndex(bucket, TENANT, [second], NOW);
    for await (const key of bucket.list(`${TENANT}/${first.ulid}/`, { recursive: true })) await bucket.delete(key);
    expect(show(await select())).toEqual(show(want));
    expect(await registry.getSingleMetricAsString('panoptes_querier_blocks_vanished_total')).toContain('panoptes_querier_blocks_vanished_total 1');
  });
});
