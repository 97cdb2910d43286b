import { InMemoryBucket } from '@panoptes/bucket';
import { FakeClock, UnavailableError, ValidationError } from '@panoptes/common';
import { MarkerCorruptError, MarkerNotFoundError } from './errors';
import {
  listGlobalMarkers,
  markForDeletion,
  markNoCompact,
  readDeletionMark,
  readDeletionMarks,
  readNoCompactMark,
  removeDeletionMark,
} from './markers';
import { blockId } from './testing/blocks';
import { CountingBucket } from './testing/test-bucket';

const T = 't1';
const [A, B, C] = [blockId(1), blockId(2), blockId(3)];

describe('block markers', () => {
  let clock: FakeClock;
  let bucket: CountingBucket;

  beforeEach(() => {
    clock = new FakeClock(1_700_000_000_999);
    bucket = new CountingBucket(new InMemoryBucket('memory', clock));
  });

  it('stores the deletion time in Unix seconds, rounded down, and returns it in ms', async () => {
    const mark = await markForDeletion(bucket, T, A, 'retention', clock);
    expect(mark).toEqual({ id: A, deletionTime: 1_700_000_000_000, details: 'retention' });
    const stored = JSON.parse((await bucket.get(`${T}/${A}/deletion-mark.json`)).toString());
    expect(stored.deletion_time).toBe(1_700_000_000);
  });

  it('keeps the first mark when a block is marked again', async () => {
    const first = await markForDeletion(bucket, T, A, 'first', clock);
    await clock.advance(3_600_000);
    bucket.reset();
    const second = await markForDeletion(bucket, T, A, 'second', clock);
    expect(second).toEqual(first);
    expect(bucket.count('put')).toBe(0);
    expect(await readDeletionMark(bucket, T, A)).toEqual(first);
  });

  it('writes the missing global copy when the block copy survived a crash', async () => {
    const first = await markForDeletion(bucket, T, A, 'first', clock);
    await bucket.delete(`${T}/markers/${A}-deletion-mark.json`);
    await clock.advance(60_000);
    expect(await markForDeletion(bucket, T, A, 'again', clock)).toEqual(first);
    expect(await readDeletionMark(bucket, T, A)).toEqual(first);
  });

  it('replaces a corrupt block copy with a new mark', async () => {
    await bucket.put(`${T}/${A}/deletion-mark.json`, Buffer.from('garbage'));
    const mark = await markForDeletion(bucket, T, A, 'new', clock);
    expect(mark.details).toBe('new');
    expect(await readDeletionMark(bucket, T, A)).toEqual(mark);
  });

  it('writes the block copy before the global copy', async () => {
    await markNoCompact(bucket, T, A, 'manual', 'd', clock);
    expect(bucket.calls.filter((c) => c.op === 'put').map((c) => c.key)).toEqual([
      `${T}/${A}/no-compact-mark.json`,
      `${T}/markers/${A}-no-compact-mark.json`,
    ]);
  });

  it('removes a deletion mark from the block first and the global copy last, so the global mark outlives the block directory', async () => {
    await markForDeletion(bucket, T, A, 'compacted', clock);
    bucket.reset();
    await removeDeletionMark(bucket, T, A);
    expect(bucket.calls.filter((c) => c.op === 'delete').map((c) => c.key)).toEqual([`${T}/${A}/deletion-mark.json`, `${T}/markers/${A}-deletion-mark.json`]);
  });

  it('reports corrupt global marks without failing the listing, and ignores files that are not block marks', async () => {
    await markForDeletion(bucket, T, A, 'ok', clock);
    await bucket.put(`${T}/markers/${B}-deletion-mark.json`, Buffer.from('{not json'));
    await bucket.put(`${T}/markers/${C}-deletion-mark.json`, Buffer.from(JSON.stringify({ id: A, version: 1, deletion_time: 1 })));
    await bucket.put(`${T}/markers/tenant-deletion-mark.json`, Buffer.from('{}'));
    await bucket.put(`${T}/markers/${A.toLowerCase()}-deletion-mark.json`, Buffer.from('{}'));
    await bucket.put(`${T}/markers/${A}-something-else.json`, Buffer.from('{}'));

    const { marks, corrupted } = await readDeletionMarks(bucket, T);

    expect(marks.map((m) => m.id)).toEqual([A]);
    expect(corrupted).toEqual([
      { id: B, key: `${T}/markers/${B}-deletion-mark.json`, error: expect.stringContaining('not valid JSON') },
      { id: C, key: `${T}/markers/${C}-deletion-mark.json`, error: expect.stringContaining(`names block "${A}"`) },
    ]);
    expect(await listGlobalMarkers(bucket, T)).toEqual({ deletion: [A, B, C], noCompact: [] });
  });

  it.each([
    ['not JSON', 'x'],
    ['an unknown version', JSON.stringify({ id: A, version: 2, deletion_time: 1 })],
    ['no deletion time', JSON.stringify({ id: A, version: 1 })],
    ['a fractional deletion time', JSON.stringify({ id: A, version: 1, deletion_time: 1.5 })],
  ])('reads a mark with %s as MarkerCorruptError', async (_case, content) => {
    await bucket.put(`${T}/markers/${A}-deletion-mark.json`, Buffer.from(content));
    const err = await readDeletionMark(bucket, T, A).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarkerCorruptError);
    expect(err).toMatchObject({ reason: 'marker_corrupt', key: `${T}/markers/${A}-deletion-mark.json` });
  });

  it('reads a missing mark as MarkerNotFoundError', async () => {
    await expect(readNoCompactMark(bucket, T, A)).rejects.toBeInstanceOf(MarkerNotFoundError);
  });

  it('passes store errors through instead of skipping the mark', async () => {
    await markForDeletion(bucket, T, A, 'ok', clock);
    bucket.fail = (op) => (op === 'get' ? new UnavailableError('object_store_unavailable', 'down') : undefined);
    await expect(readDeletionMarks(bucket, T)).rejects.toBeInstanceOf(UnavailableError);
  });

  it.each([
    ['markForDeletion', () => markForDeletion(bucket, T, 'not-a-ulid', 'x', clock)],
    ['markNoCompact with a lower-case ULID', () => markNoCompact(bucket, T, A.toLowerCase(), 'manual', 'x', clock)],
    ['readDeletionMark with a path', () => readDeletionMark(bucket, T, `${A}/../x`)],
  ])('rejects a block ID that is not a ULID (%s)', async (_case, call) => {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ reason: 'invalid_block_id' });
  });

  it('rejects an invalid tenant before touching the store', async () => {
    await expect(markForDeletion(bucket, '../other', A, 'x', clock)).rejects.toMatchObject({ reason: 'invalid_tenant' });
    expect(bucket.calls).toEqual([]);
  });
});
