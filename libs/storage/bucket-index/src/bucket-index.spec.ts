import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { BlockMeta } from '@panoptes/block-formats';
import {
  BucketIndex,
  BucketIndexBlock,
  blockEntryFromMeta,
  blockWithin,
  decodeBucketIndex,
  encodeBucketIndex,
  segmentFiles,
} from './bucket-index';
import { BucketIndexCorruptError } from './errors';
import { testBlock } from './testing/blocks';

const gzipAsync = promisify(gzip);

const sampleIndex = (): BucketIndex => ({
  version: 1,
  blocks: [
    { ...blockEntryFromMeta(testBlock(1).meta, 1_700_000_000_000) },
    { id: testBlock(2).id, minTime: 10, maxTime: 20, uploadedAt: 30, compactionLevel: 2, source: '' },
  ],
  blockDeletionMarks: [{ id: testBlock(1).id, deletionTime: 1_700_000_100_000 }],
  updatedAt: 1_700_000_200_000,
});

describe('bucket index codec', () => {
  it('round-trips an index through gzipped JSON', async () => {
    const index = sampleIndex();
    const encoded = await encodeBucketIndex(index);
    expect([encoded[0], encoded[1]]).toEqual([0x1f, 0x8b]);
    expect(await decodeBucketIndex(encoded, 't1')).toEqual(index);
  });

  it('drops unknown fields and an unknown segment format, keeping the rest of the entry', async () => {
    const raw = sampleIndex() as unknown as { blocks: Array<Record<string, unknown>>; extra?: number };
    raw.extra = 1;
    raw.blocks[1] = { ...raw.blocks[1], future: true, segmentFormat: '2x9d', segmentCount: 4 };
    const decoded = await decodeBucketIndex(await gzipAsync(Buffer.from(JSON.stringify(raw))), 't1');
    expect(decoded).not.toHaveProperty('extra');
    expect(decoded.blocks[1]).toEqual({ id: testBlock(2).id, minTime: 10, maxTime: 20, uploadedAt: 30, compactionLevel: 2, source: '' });
  });

  const mutate = (f: (raw: Record<string, unknown> & { blocks: Array<Record<string, unknown>> }) => void) => () => {
    const raw = JSON.parse(JSON.stringify(sampleIndex()));
    f(raw);
    return gzipAsync(Buffer.from(JSON.stringify(raw)));
  };
  it.each<[string, () => Promise<Buffer>, string]>([
    ['plain JSON, not gzip', async () => Buffer.from(JSON.stringify(sampleIndex())), 'not gzip'],
    ['gzip of something that is not JSON', () => gzipAsync(Buffer.from('{"version": 1,')), 'not valid JSON'],
    ['a truncated gzip stream', async () => (await encodeBucketIndex(sampleIndex())).subarray(0, 20), 'not gzip'],
    ['a JSON array', () => gzipAsync(Buffer.from('[]')), 'not a JSON object'],
    ['an unknown version', mutate((r) => (r.version = 2)), 'unsupported version 2'],
    ['blocks missing', mutate((r) => delete (r as Record<string, unknown>).blocks), '"blocks" is not an array'],
    ['deletion marks missing', mutate((r) => delete r.blockDeletionMarks), '"blockDeletionMarks" is not an array'],
    ['updatedAt not a number', mutate((r) => (r.updatedAt = '2024')), '"updatedAt" is not a number'],
    ['a block ID that is not a ULID', mutate((r) => (r.blocks[0].id = 'nope')), 'blocks[0].id is not a block ULID'],
    ['a block without maxTime', mutate((r) => delete r.blocks[1].maxTime), 'blocks[1].maxTime is not a number'],
    ['a block without source', mutate((r) => delete r.blocks[1].source), 'blocks[1].source is not a string'],
    ['stats with a missing field', mutate((r) => (r.blocks[0].stats = { numSeries: 1 })), 'blocks[0].stats needs numbers'],
    ['labels that are not strings', mutate((r) => (r.blocks[0].labels = { a: 1 })), 'blocks[0].labels is not an object of strings'],
    ['a segment count that is not an integer', mutate((r) => (r.blocks[0].segmentCount = 1.5)), 'blocks[0].segmentCount'],
    [
      'a deletion mark without time',
      mutate((r) => delete (r.blockDeletionMarks as Array<Record<string, unknown>>)[0].deletionTime),
      'blockDeletionMarks[0].deletionTime is not a number',
    ],
  ])('rejects %s with BucketIndexCorruptError naming the problem and the tenant', async (_case, data, problem) => {
    const err = await decodeBucketIndex(await data(), 'tenant-x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BucketIndexCorruptError);
    expect(err).toMatchObject({ reason: 'bucket_index_corrupt', tenant: 'tenant-x', kind: 'internal' });
    expect((err as Error).message).toContain(problem);
    expect((err as Error).message).toContain('tenant-x');
  });
});

describe('blockEntryFromMeta', () => {
  const withThanos = (thanos: Partial<NonNullable<BlockMeta['thanos']>> | undefined): BlockMeta => {
    const { meta } = testBlock(1);
    return { ...meta, thanos: thanos === undefined ? undefined : { ...meta.thanos!, files: undefined, ...thanos } };
  };
  it.each<[string, BlockMeta, Pick<BucketIndexBlock, 'segmentFormat' | 'segmentCount'>]>([
    [
      'files with chunks/000001..3',
      withThanos({ files: ['000001', '000002', '000003'].map((s) => ({ rel_path: `chunks/${s}` })) }),
      { segmentFormat: '1b6d', segmentCount: 3 },
    ],
    [
      'segment_files 000001, 000002',
      withThanos({ segment_files: ['000001', '000002'] }),
      { segmentFormat: '1b6d', segmentCount: 2 },
    ],
    ['segment_files with a gap', withThanos({ segment_files: ['000001', '000003'] }), {}],
    ['files with a segment of another naming', withThanos({ files: [{ rel_path: 'chunks/1' }] }), {}],
    ['files without chunks', withThanos({ files: [{ rel_path: 'index' }] }), {}],
    ['no thanos section', withThanos(undefined), {}],
  ])('detects the segment naming from %s', (_case, meta, want) => {
    const entry = blockEntryFromMeta(meta, 5);
    expect({ segmentFormat: entry.segmentFormat, segmentCount: entry.segmentCount }).toEqual({
      segmentFormat: want.segmentFormat,
      segmentCount: want.segmentCount,
    });
  });

  it('takes source, level, labels and stats from meta.json, and leaves out empty labels and a missing source', () => {
    const { meta } = testBlock(4, { level: 2, source: 'compactor' });
    expect(blockEntryFromMeta(meta, 99)).toMatchObject({
      id: meta.ulid,
      uploadedAt: 99,
      compactionLevel: 2,
      source: 'compactor',
      labels: { __org_id__: 'tenant-a' },
      stats: meta.stats,
    });
    const bare = blockEntryFromMeta({ ...meta, thanos: undefined }, 99);
    expect(bare.source).toBe('');
    expect(bare).not.toHaveProperty('labels');
  });

  it('rebuilds segment file names from the index entry alone', () => {
    const entry = blockEntryFromMeta(testBlock(1, { segments: 3 }).meta, 0);
    expect(segmentFiles(entry)).toEqual(['000001', '000002', '000003']);
    expect(segmentFiles({ ...entry, segmentFormat: undefined, segmentCount: undefined })).toBeUndefined();
  });

  it.each([
    ['a range ending at minTime', 0, 100, true],
    ['a range ending just before minTime', 0, 99, false],
    ['a range starting at maxTime (exclusive)', 200, 300, false],
    ['a range starting just before maxTime', 199, 300, true],
    ['a range inside', 120, 130, true],
  ])('blockWithin: block [100, 200) and %s', (_case, minT, maxT, want) => {
    const block: BucketIndexBlock = { id: testBlock(1).id, minTime: 100, maxTime: 200, uploadedAt: 0, compactionLevel: 1, source: '' };
    expect(blockWithin(block, minT, maxT)).toBe(want);
  });
});
