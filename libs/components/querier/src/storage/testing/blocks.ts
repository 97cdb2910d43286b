// Test-only: blocks written with the real BlockWriter and uploaded as ingesters do. Not exported.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockWriter, defaultBlockWriterConfig, type BlockMeta, type Labels, XorChunkEncoder } from '@panoptes/block-formats';
import { type Bucket, InMemoryBucket, type ObjectAttributes } from '@panoptes/bucket';
import { blockDataFiles, blockEntryFromMeta, type BucketIndexDeletionMark, uploadBlock, writeBucketIndex } from '@panoptes/bucket-index';
import { nopLogger } from '@panoptes/log';
import type { EncodedChunk } from '@panoptes/promql';

/** An XOR chunk of the samples `[t, v]` (ascending t). */
export function xorChunk(samples: readonly (readonly [number, number])[]): EncodedChunk {
  const enc = new XorChunkEncoder();
  for (const [t, v] of samples) enc.append(t, v);
  return { minT: enc.minTime, maxT: enc.maxTime, encoding: 1, data: enc.bytes().slice() };
}

/** Samples every `stepMs` from `from` through `to`, value = t / 1000 + offset. */
export function samplesBetween(from: number, to: number, stepMs: number, offset = 0): [number, number][] {
  const out: [number, number][] = [];
  for (let t = from; t <= to; t += stepMs) out.push([t, t / 1000 + offset]);
  return out;
}

export interface TestSeries {
  labels: Labels;
  chunks: EncodedChunk[];
}

/** A scratch directory for block files; remove with `cleanup()`. */
export class BlockFactory {
  private dir = '';

  async init(): Promise<this> {
    this.dir = await mkdtemp(join(tmpdir(), 'querier-blocks-'));
    return this;
  }

  async cleanup(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Writes a block of `series` (pre-cut chunks, stored byte for byte) and uploads it to `tenant/<ulid>/`. */
  async upload(bucket: Bucket, tenant: string, series: readonly TestSeries[], opts: { ulid?: string; maxSegmentBytes?: number } = {}): Promise<BlockMeta> {
    const writer = new BlockWriter({ ...defaultBlockWriterConfig(), maxSegmentBytes: opts.maxSegmentBytes ?? defaultBlockWriterConfig().maxSegmentBytes }, this.dir, {
      ulid: opts.ulid,
      externalLabels: { __org_id__: tenant },
    });
    for (const s of series) await writer.addSeriesChunks(s.labels, s.chunks.map((c) => ({ mint: c.minT, maxt: c.maxT, data: c.data, encoding: c.encoding })));
    const meta = await writer.finish();
    await uploadBlock(bucket, tenant, await blockDataFiles(writer.dir, meta.ulid), meta, nopLogger);
    return meta;
  }

  /** Local directory of a block written by `upload`. */
  blockDir(ulid: string): string {
    return join(this.dir, ulid);
  }
}

/** Writes the tenant's bucket index listing `metas` (and `marks`), updated at `updatedAt`. */
export async function writeIndex(bucket: Bucket, tenant: string, metas: readonly BlockMeta[], updatedAt: number, marks: BucketIndexDeletionMark[] = []): Promise<void> {
  const blocks = metas.map((m) => blockEntryFromMeta(m, updatedAt)).sort((a, b) => (a.id < b.id ? -1 : 1));
  await writeBucketIndex(bucket, tenant, { version: 1, blocks, blockDeletionMarks: marks, updatedAt });
}

/** An InMemoryBucket that counts reads by operation and remembers the keys read. */
export class CountingBucket extends InMemoryBucket {
  readonly reads: { op: 'get' | 'getRange' | 'attributes'; key: string }[] = [];

  count(op: 'get' | 'getRange', keyPart = ''): number {
    return this.reads.filter((r) => r.op === op && r.key.includes(keyPart)).length;
  }

  override async get(key: string): Promise<Buffer> {
    this.reads.push({ op: 'get', key });
    return super.get(key);
  }

  override async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    this.reads.push({ op: 'getRange', key });
    return super.getRange(key, offset, length);
  }

  override async attributes(key: string): Promise<ObjectAttributes> {
    this.reads.push({ op: 'attributes', key });
    return super.attributes(key);
  }
}
