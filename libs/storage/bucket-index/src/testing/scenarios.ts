import { Bucket, PrefixedBucket } from '@panoptes/bucket';
import { SystemClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { uniqueName } from '@panoptes/testing';
import { BucketIndex, readBucketIndex, writeBucketIndex } from '../bucket-index';
import { BucketIndexCorruptError, BucketIndexNotFoundError } from '../errors';
import {
  NO_COMPACT_REASON_MANUAL,
  markForDeletion,
  markNoCompact,
  readDeletionMarks,
  readNoCompactMarks,
  removeDeletionMark,
  removeNoCompactMark,
} from '../markers';
import { SeriesDeletionStore, defaultSeriesDeletionStoreConfig, listSeriesDeletionRequests } from '../series-deletion';
import { listTenants } from '../tenants';
import { BucketIndexUpdater, defaultBucketIndexUpdaterConfig } from '../updater';
import { T0, putBlock, putPartialBlock, removeBlock, testBlock } from './blocks';
import { CountingBucket } from './test-bucket';

/**
 * The bucket index's behaviour on a real backend: run by the specs over InMemoryBucket,
 * FilesystemBucket and (integration) S3Bucket on MinIO. Each test works in its own tenant, so a
 * shared bucket is fine. Times come from the backend's clock (mtime, S3 LastModified).
 */
export function runBucketIndexScenarios(backend: string, bucketOf: () => Bucket): void {
  describe(`bucket index over ${backend}`, () => {
    const clock = new SystemClock();
    let bucket: CountingBucket;
    let tenant: string;
    const updater = () => new BucketIndexUpdater(defaultBucketIndexUpdaterConfig(), bucket, clock, nopLogger);

    beforeEach(() => {
      bucket = new CountingBucket(bucketOf());
      tenant = uniqueName('tenant');
    });

    it('builds an empty index for a tenant without blocks', async () => {
      const before = Date.now();
      const { index, partials, corrupted } = await updater().update(tenant);
      expect(index).toMatchObject({ version: 1, blocks: [], blockDeletionMarks: [] });
      expect(index.updatedAt).toBeGreaterThanOrEqual(before);
      expect(partials).toEqual([]);
      expect(corrupted).toEqual([]);
    });

    it('indexes every complete block with the fields of its meta.json and the upload time of meta.json', async () => {
      const blocks = [testBlock(1), testBlock(2, { level: 3, source: 'compactor', segments: 3 })];
      for (const b of blocks) await putBlock(bucket, tenant, b);

      const { index } = await updater().update(tenant);

      expect(index.blocks).toEqual(
        await Promise.all(
          blocks.map(async (b) => ({
            id: b.id,
            minTime: b.minTime,
            maxTime: b.maxTime,
            uploadedAt: (await bucket.attributes(`${tenant}/${b.id}/meta.json`)).lastModifiedMs,
            compactionLevel: b.level,
            source: b.source,
            segmentFormat: '1b6d',
            segmentCount: b.segments,
            labels: { __org_id__: 'tenant-a' },
            stats: b.meta.stats,
          })),
        ),
      );
    });

    it('reads meta.json only for blocks new since the previous index, and drops blocks whose directory vanished', async () => {
      const [b1, b2, b3] = [testBlock(1), testBlock(2), testBlock(3)];
      await putBlock(bucket, tenant, b1);
      await putBlock(bucket, tenant, b2);
      const first = await updater().update(tenant);
      expect(bucket.count('get', '/meta.json')).toBe(2);

      await putBlock(bucket, tenant, b3);
      await removeBlock(bucket, tenant, b1.id);
      bucket.reset();
      const second = await updater().update(tenant, first.index);

      expect(bucket.calls.filter((c) => c.op === 'get' && c.key.endsWith('/meta.json')).map((c) => c.key)).toEqual([
        `${tenant}/${b3.id}/meta.json`,
      ]);
      expect(second.index.blocks.map((b) => b.id)).toEqual([b2.id, b3.id]);
      // The reused entry is the previous one, unchanged.
      expect(second.index.blocks[0]).toEqual(first.index.blocks[1]);
    });

    it('leaves a block without meta.json out of the index and reports it as partial with its age', async () => {
      const [complete, partial] = [testBlock(1), testBlock(2)];
      await putBlock(bucket, tenant, complete);
      await putPartialBlock(bucket, tenant, partial);
      const newest = (await bucket.attributes(`${tenant}/${partial.id}/index`)).lastModifiedMs;

      const { index, partials } = await updater().update(tenant);

      expect(index.blocks.map((b) => b.id)).toEqual([complete.id]);
      expect(partials).toHaveLength(1);
      expect(partials[0]).toMatchObject({ id: partial.id, idTime: T0 });
      expect(partials[0].lastModified).toBe(newest);
      expect(partials[0].ageMs).toBeGreaterThanOrEqual(0);
      expect(partials[0].ageMs).toBeLessThan(60_000);

      // Once meta.json lands, the next update indexes it.
      await bucket.put(`${tenant}/${partial.id}/meta.json`, Buffer.from(JSON.stringify(partial.meta)));
      const next = await updater().update(tenant, index);
      expect(next.index.blocks.map((b) => b.id)).toEqual([complete.id, partial.id]);
      expect(next.partials).toEqual([]);
    });

    it.each([
      ['meta.json is not JSON', () => '{"ulid": '],
      ['meta.json has an unknown version', (id: string) => JSON.stringify({ ...testBlock(2).meta, ulid: id, version: 7 })],
      ['meta.json names another block', () => JSON.stringify(testBlock(9).meta)],
    ])('leaves a block out of the index and reports it as corrupted when %s', async (_case, content) => {
      const good = testBlock(1);
      const bad = testBlock(2);
      await putBlock(bucket, tenant, good);
      await putPartialBlock(bucket, tenant, bad);
      await bucket.put(`${tenant}/${bad.id}/meta.json`, Buffer.from(content(bad.id)));

      const { index, corrupted, partials } = await updater().update(tenant);

      expect(index.blocks.map((b) => b.id)).toEqual([good.id]);
      expect(partials).toEqual([]);
      expect(corrupted).toEqual([{ id: bad.id, key: `${tenant}/${bad.id}/meta.json`, error: expect.any(String) }]);
    });

    it('writes a deletion mark in the block and in markers/, in Thanos format, and the index reflects it', async () => {
      const [b1, b2] = [testBlock(1), testBlock(2)];
      await putBlock(bucket, tenant, b1);
      await putBlock(bucket, tenant, b2);
      const before = Math.floor(Date.now() / 1000) * 1000;

      const mark = await markForDeletion(bucket, tenant, b1.id, 'compacted into another block', clock);

      expect(mark.deletionTime).toBeGreaterThanOrEqual(before);
      expect(mark.deletionTime % 1000).toBe(0);
      const local = JSON.parse((await bucket.get(`${tenant}/${b1.id}/deletion-mark.json`)).toString());
      const global = JSON.parse((await bucket.get(`${tenant}/markers/${b1.id}-deletion-mark.json`)).toString());
      expect(local).toEqual({ id: b1.id, version: 1, details: 'compacted into another block', deletion_time: mark.deletionTime / 1000 });
      expect(global).toEqual(local);

      const { index } = await updater().update(tenant);
      // A marked block stays in the index (readers stop using it after a delay); its mark is listed.
      expect(index.blocks.map((b) => b.id)).toEqual([b1.id, b2.id]);
      expect(index.blockDeletionMarks).toEqual([{ id: b1.id, deletionTime: mark.deletionTime }]);
      expect(await readDeletionMarks(bucket, tenant)).toEqual({ marks: [mark], corrupted: [] });
    });

    it('lists markers/ once per update, reads only marks new since the previous index and drops removed ones', async () => {
      const [b1, b2] = [testBlock(1), testBlock(2)];
      await putBlock(bucket, tenant, b1);
      await putBlock(bucket, tenant, b2);
      await markForDeletion(bucket, tenant, b1.id, 'r', clock);
      const first = await updater().update(tenant);

      await markForDeletion(bucket, tenant, b2.id, 'r', clock);
      bucket.reset();
      const second = await updater().update(tenant, first.index);
      expect(second.index.blockDeletionMarks.map((m) => m.id)).toEqual([b1.id, b2.id]);
      expect(bucket.count('list', `${tenant}/markers/`)).toBe(1);
      expect(bucket.calls.filter((c) => c.key.includes('deletion-mark')).map((c) => c.key)).toEqual([
        `${tenant}/markers/${b2.id}-deletion-mark.json`,
      ]);

      await removeDeletionMark(bucket, tenant, b1.id);
      expect(await bucket.exists(`${tenant}/${b1.id}/deletion-mark.json`)).toBe(false);
      const third = await updater().update(tenant, second.index);
      expect(third.index.blockDeletionMarks.map((m) => m.id)).toEqual([b2.id]);
    });

    it('keeps the deletion mark of a block that is already partly deleted', async () => {
      const b = testBlock(1);
      await putBlock(bucket, tenant, b);
      const mark = await markForDeletion(bucket, tenant, b.id, 'retention', clock);
      // The cleaner deletes meta.json first: the block turns partial but its mark stays visible.
      await bucket.delete(`${tenant}/${b.id}/meta.json`);

      const { index, partials } = await updater().update(tenant);
      expect(index.blocks).toEqual([]);
      expect(index.blockDeletionMarks).toEqual([{ id: b.id, deletionTime: mark.deletionTime }]);
      expect(partials.map((p) => p.id)).toEqual([b.id]);
    });

    it('round-trips the index through a gzipped bucket-index.json.gz', async () => {
      await putBlock(bucket, tenant, testBlock(1));
      await putBlock(bucket, tenant, testBlock(2, { level: 2 }));
      await markForDeletion(bucket, tenant, testBlock(1).id, 'r', clock);
      const { index } = await updater().update(tenant);

      await writeBucketIndex(bucket, tenant, index);

      const stored = await bucket.get(`${tenant}/bucket-index.json.gz`);
      expect([stored[0], stored[1]]).toEqual([0x1f, 0x8b]);
      expect(await readBucketIndex(bucket, tenant)).toEqual<BucketIndex>(index);
    });

    it('reports a missing index as BucketIndexNotFoundError and an undecodable one as BucketIndexCorruptError', async () => {
      const missing = await readBucketIndex(bucket, tenant).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(BucketIndexNotFoundError);
      expect(missing).toMatchObject({ reason: 'bucket_index_not_found', tenant });

      await bucket.put(`${tenant}/bucket-index.json.gz`, Buffer.from('{"version":1}'));
      const corrupt = await readBucketIndex(bucket, tenant).catch((e: unknown) => e);
      expect(corrupt).toBeInstanceOf(BucketIndexCorruptError);
      expect(corrupt).toMatchObject({ reason: 'bucket_index_corrupt', tenant });
    });

    it('writes, lists and removes no-compact marks in the block and in markers/', async () => {
      const b = testBlock(1);
      await putBlock(bucket, tenant, b);

      const mark = await markNoCompact(bucket, tenant, b.id, NO_COMPACT_REASON_MANUAL, 'operator says so', clock);

      const global = JSON.parse((await bucket.get(`${tenant}/markers/${b.id}-no-compact-mark.json`)).toString());
      expect(global).toEqual({
        id: b.id,
        version: 1,
        details: 'operator says so',
        no_compact_time: mark.noCompactTime / 1000,
        reason: 'manual',
      });
      expect(await bucket.exists(`${tenant}/${b.id}/no-compact-mark.json`)).toBe(true);
      expect(await readNoCompactMarks(bucket, tenant)).toEqual({ marks: [mark], corrupted: [] });
      // A no-compact mark is not a deletion mark.
      expect((await updater().update(tenant)).index.blockDeletionMarks).toEqual([]);

      await removeNoCompactMark(bucket, tenant, b.id);
      expect(await readNoCompactMarks(bucket, tenant)).toEqual({ marks: [], corrupted: [] });
      expect(await bucket.exists(`${tenant}/${b.id}/no-compact-mark.json`)).toBe(false);
    });

    it('lists tenants: top-level directories, without reserved names and top-level objects', async () => {
      const root = new PrefixedBucket(bucket, uniqueName('root'));
      for (const key of [
        'tenant-b/01J00000000000000000000000/meta.json',
        'tenant-a/bucket-index.json.gz',
        '__markers__/tenant-a/tenant-deletion-mark.json',
        '__debug__/x',
        'shared-rules/r.yaml',
        'top-level-object.json',
      ]) {
        await root.put(key, Buffer.from('x'));
      }
      expect(await listTenants(root)).toEqual(['shared-rules', 'tenant-a', 'tenant-b']);
      expect(await listTenants(root, ['shared-rules'])).toEqual(['tenant-a', 'tenant-b']);
    });

    it('stores, lists and removes series deletion requests under markers/series-deletion/, unseen by the index and the marker listing', async () => {
      const b = testBlock(1);
      await putBlock(bucket, tenant, b);
      await markForDeletion(bucket, tenant, b.id, 'test', clock);
      const before = await updater().update(tenant);
      const store = new SeriesDeletionStore(defaultSeriesDeletionStoreConfig(), bucket, clock, nopLogger);

      const first = await store.create(tenant, ['up{job="api"}'], T0, T0 + 60_000);
      const second = await store.create(tenant, ['up', 'down'], T0, T0 + 120_000);
      await store.write({ ...second, state: 'processed', processedAt: Date.now() });

      expect(await bucket.exists(`${tenant}/markers/series-deletion/${first.id}.json`)).toBe(true);
      expect((await store.list(tenant)).map((r) => [r.id, r.state])).toEqual(
        [
          [first.id, 'pending'],
          [second.id, 'processed'],
        ].sort(([a], [c]) => (a < c ? -1 : 1)),
      );
      expect(await store.pending(tenant)).toEqual([first]);
      const after = await updater().update(tenant, before.index);
      expect({ ...after, index: { ...after.index, updatedAt: 0 } }).toEqual({ ...before, index: { ...before.index, updatedAt: 0 } });
      expect(await readDeletionMarks(bucket, tenant)).toMatchObject({ marks: [{ id: b.id }], corrupted: [] });

      await store.remove(tenant, first.id);
      await store.remove(tenant, second.id);
      expect(await listSeriesDeletionRequests(bucket, tenant)).toEqual({ requests: [], corrupted: [] });
    });
  });
}
