import { Registry } from 'prom-client';
import { encodeTime } from 'ulid';
import { BlockMeta, encodeMeta } from '@panoptes/block-formats';
import { InMemoryBucket, listAll } from '@panoptes/bucket';
import { markForDeletion, readBucketIndex } from '@panoptes/bucket-index';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { BlocksCleaner, defaultBlocksCleanerConfig } from './blocks-cleaner';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

function id(n: number): string {
  return encodeTime(T0, 10) + String(n).padStart(16, '0');
}

async function putBlock(bucket: InMemoryBucket, tenant: string, n: number, minTime: number, opts: { partial?: boolean } = {}) {
  const meta: BlockMeta = {
    ulid: id(n),
    minTime,
    maxTime: minTime + 2 * H,
    stats: { numSeries: 1, numSamples: 1, numChunks: 1 },
    compaction: { level: 1, sources: [id(n)] },
    version: 1,
  };
  await bucket.put(`${tenant}/${id(n)}/chunks/000001`, Buffer.from('c'));
  await bucket.put(`${tenant}/${id(n)}/index`, Buffer.from('i'));
  if (!opts.partial) await bucket.put(`${tenant}/${id(n)}/meta.json`, Buffer.from(encodeMeta(meta)));
}

describe('BlocksCleaner', () => {
  let bucket: InMemoryBucket;
  let clock: FakeClock;
  const make = (retentionMs = 0, partialDelay = 0) =>
    new BlocksCleaner(
      { ...defaultBlocksCleanerConfig(), deletionDelayMs: H, partialBlockDeletionDelayMs: partialDelay },
      bucket,
      () => retentionMs,
      clock,
      nopLogger,
      new Registry(),
    );

  beforeEach(() => {
    bucket = new InMemoryBucket();
    clock = new FakeClock(T0 + 48 * H);
  });

  it('writes the bucket index listing complete blocks only', async () => {
    await putBlock(bucket, 't', 1, T0);
    await putBlock(bucket, 't', 2, T0 + 2 * H);
    await putBlock(bucket, 't', 3, T0 + 4 * H, { partial: true });
    const r = await make().clean('t');
    expect(r.blocks).toBe(2);
    expect((await readBucketIndex(bucket, 't')).blocks.map((b) => b.id)).toEqual([id(1), id(2)]);
  });

  it('marks blocks past the retention period, and deletes them only after the deletion delay, meta.json first', async () => {
    await putBlock(bucket, 't', 1, T0); // ends 46h before now
    await putBlock(bucket, 't', 2, T0 + 40 * H); // ends 6h before now
    const cleaner = make(24 * H);
    expect(await cleaner.clean('t')).toMatchObject({ markedForRetention: 1, deleted: 0, blocks: 2 });
    const index = await readBucketIndex(bucket, 't');
    expect(index.blockDeletionMarks.map((m) => m.id)).toEqual([id(1)]);

    clock.set(T0 + 48 * H + 30 * 60_000); // within the delay: still there
    expect(await cleaner.clean('t')).toMatchObject({ deleted: 0, blocks: 2 });
    clock.set(T0 + 50 * H);
    expect(await cleaner.clean('t')).toMatchObject({ deleted: 1, blocks: 1 });
    expect(await listAll(bucket, `t/${id(1)}/`, { recursive: true })).toEqual([]);
    const after = await readBucketIndex(bucket, 't');
    expect(after.blocks.map((b) => b.id)).toEqual([id(2)]);
    expect(after.blockDeletionMarks).toEqual([]);
  });

  it('deletes blocks marked by someone else (e.g. compaction sources) after the delay, once the published index showed the mark', async () => {
    await putBlock(bucket, 't', 1, T0);
    await markForDeletion(bucket, 't', id(1), 'compacted', clock);
    clock.set(clock.now() + 2 * H);
    // The mark is past the delay, but no index has shown it to queriers yet (its compactor died
    // before publishing one): this pass publishes it, the next one deletes.
    const cleaner = make();
    expect(await cleaner.clean('t')).toMatchObject({ deleted: 0, blocks: 1 });
    expect((await readBucketIndex(bucket, 't')).blockDeletionMarks.map((m) => m.id)).toEqual([id(1)]);
    expect(await cleaner.clean('t')).toMatchObject({ deleted: 1, blocks: 0 });
  });

  it('deletes partial blocks (crashed uploads) only once older than the partial-block delay', async () => {
    // Object ages come from the bucket's own modification times (wall clock).
    await putBlock(bucket, 't', 1, T0, { partial: true });
    clock.set(Date.now());
    expect(await make(0, 24 * H).clean('t')).toMatchObject({ partialsDeleted: 0 });
    expect(await listAll(bucket, `t/${id(1)}/`, { recursive: true })).toHaveLength(2);
    clock.set(Date.now() + 25 * H);
    expect(await make(0, 0).clean('t')).toMatchObject({ partialsDeleted: 0 }); // 0 = never
    expect(await make(0, 24 * H).clean('t')).toMatchObject({ partialsDeleted: 1 });
    expect(await listAll(bucket, `t/${id(1)}/`, { recursive: true })).toEqual([]);
  });

  it('deletes every block of a tenant marked for deletion and reports when it is done', async () => {
    await putBlock(bucket, 'gone', 1, T0);
    await putBlock(bucket, 'gone', 2, T0 + 2 * H, { partial: true });
    await putBlock(bucket, 'kept', 1, T0);
    const cleaner = make();
    await cleaner.clean('gone');
    await cleaner.requestTenantDeletion('gone');
    expect(await cleaner.tenantDeletionFinished('gone')).toBe(false);
    expect(await cleaner.clean('gone')).toMatchObject({ deleted: 2 });
    expect(await cleaner.tenantDeletionFinished('gone')).toBe(true);
    await expect(readBucketIndex(bucket, 'gone')).rejects.toMatchObject({ reason: 'bucket_index_not_found' });
    expect(await listAll(bucket, 'kept/', { recursive: true })).toContain(`kept/${id(1)}/meta.json`);
  });
});
