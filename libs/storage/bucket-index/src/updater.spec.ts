import { Bucket, InMemoryBucket } from '@panoptes/bucket';
import { FakeClock, UnavailableError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { emptyBucketIndex } from './bucket-index';
import { markForDeletion } from './markers';
import { T0, blockId, putBlock, testBlock } from './testing/blocks';
import { CountingBucket } from './testing/test-bucket';
import { BucketIndexUpdater, BucketIndexUpdaterConfig, defaultBucketIndexUpdaterConfig } from './updater';

const T = 't1';

describe('BucketIndexUpdater', () => {
  let clock: FakeClock;
  let bucket: CountingBucket;
  const updater = (config: Partial<BucketIndexUpdaterConfig> = {}, b: Bucket = bucket) =>
    new BucketIndexUpdater({ ...defaultBucketIndexUpdaterConfig(), ...config }, b, clock, nopLogger);

  beforeEach(() => {
    clock = new FakeClock(T0 + 86_400_000);
    bucket = new CountingBucket(new InMemoryBucket('memory', clock));
  });

  it('stamps the index with the time it was built', async () => {
    await clock.advance(1234);
    expect((await updater().update(T)).index).toEqual(emptyBucketIndex(T0 + 86_400_000 + 1234));
  });

  it('ages a partial block by its newest object, not by its ULID time', async () => {
    const id = blockId(1, T0);
    await bucket.put(`${T}/${id}/chunks/000001`, Buffer.from('c'));
    await clock.advance(5_000);
    await bucket.put(`${T}/${id}/index`, Buffer.from('i'));
    const newest = clock.now();
    await clock.advance(4_000);

    const { partials } = await updater().update(T);

    expect(partials).toEqual([{ id, idTime: T0, lastModified: newest, ageMs: 4_000 }]);
  });

  it('takes only ULID-named directories of the tenant for blocks', async () => {
    const b = testBlock(1);
    await putBlock(bucket, T, b);
    await bucket.put(`${T}/bucket-index.json.gz`, Buffer.from('x'));
    await bucket.put(`${T}/debug/${blockId(2)}/meta.json`, Buffer.from('x'));
    await bucket.put(`${T}/${blockId(3).toLowerCase()}/meta.json`, Buffer.from('x'));
    await bucket.put(`${T}/${blockId(4)}.tmp/meta.json`, Buffer.from('x'));
    await bucket.put(`other-tenant/${blockId(5)}/index`, Buffer.from('x'));

    const { index, partials, corrupted } = await updater().update(T);

    expect(index.blocks.map((x) => x.id)).toEqual([b.id]);
    expect(partials).toEqual([]);
    expect(corrupted).toEqual([]);
  });

  it('reports a corrupt global deletion mark and leaves it out of the index', async () => {
    const [a, b] = [testBlock(1), testBlock(2)];
    await putBlock(bucket, T, a);
    await putBlock(bucket, T, b);
    const mark = await markForDeletion(bucket, T, a.id, 'r', clock);
    await bucket.put(`${T}/markers/${b.id}-deletion-mark.json`, Buffer.from('nope'));

    const { index, corrupted } = await updater().update(T);

    expect(index.blockDeletionMarks).toEqual([{ id: a.id, deletionTime: mark.deletionTime }]);
    expect(corrupted).toEqual([{ id: b.id, key: `${T}/markers/${b.id}-deletion-mark.json`, error: expect.any(String) }]);
  });

  it.each([
    ['listing the tenant', 'list', `${T}/`],
    ['reading a meta.json', 'get', '/meta.json'],
    ['the attributes of a meta.json', 'attributes', '/meta.json'],
    ['listing markers/', 'list', `${T}/markers/`],
    ['reading a deletion mark', 'get', '-deletion-mark.json'],
  ])('fails the whole update when the store fails %s, rather than dropping entries', async (_case, op, suffix) => {
    const b = testBlock(1);
    await putBlock(bucket, T, b);
    await markForDeletion(bucket, T, b.id, 'r', clock);
    bucket.fail = (o, key) => (o === op && key.endsWith(suffix) ? new UnavailableError('object_store_unavailable', 'down') : undefined);

    await expect(updater().update(T)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('reads at most readConcurrency meta.json files at once', async () => {
    for (let n = 1; n <= 8; n++) await putBlock(bucket, T, testBlock(n));
    let inFlight = 0;
    let maxInFlight = 0;
    const gated = new CountingBucket(bucket);
    const get = gated.get.bind(gated);
    gated.get = async (key) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      try {
        return await get(key);
      } finally {
        inFlight--;
      }
    };

    const { index } = await updater({ readConcurrency: 3 }, gated).update(T);

    expect(index.blocks).toHaveLength(8);
    expect(maxInFlight).toBe(3);
  });

  it('keeps previous entries as they are, even when they disagree with meta.json (blocks are immutable)', async () => {
    const b = testBlock(1);
    await putBlock(bucket, T, b);
    const first = await updater().update(T);
    const previous = { ...first.index, blocks: [{ ...first.index.blocks[0], compactionLevel: 99 }] };

    const { index } = await updater().update(T, previous);

    expect(index.blocks[0].compactionLevel).toBe(99);
    expect(bucket.count('get', '/meta.json')).toBe(1);
  });
});
