import { encodeTime } from 'ulid';
import { BlockMeta, encodeMeta } from '@panoptes/block-formats';
import { Bucket } from '@panoptes/bucket';

const HOUR = 3_600_000;
/** 2024-01-01T00:00:00Z: block times in tests start here. */
export const T0 = Date.UTC(2024, 0, 1);

/** A deterministic block ULID: time part from `timeMs`, random part from `n`. */
export function blockId(n: number, timeMs = T0): string {
  return encodeTime(timeMs, 10) + String(n).padStart(16, '0');
}

export interface TestBlock {
  id: string;
  minTime: number;
  maxTime: number;
  level: number;
  source: string;
  segments: number;
  meta: BlockMeta;
}

/** Block `n`: two hours starting at T0 + 2h·n, level 1 from ingesters unless told otherwise. */
export function testBlock(n: number, opts: { level?: number; source?: string; segments?: number; tenant?: string } = {}): TestBlock {
  const id = blockId(n);
  const minTime = T0 + 2 * HOUR * n;
  const maxTime = minTime + 2 * HOUR;
  const level = opts.level ?? 1;
  const source = opts.source ?? 'receive';
  const segments = opts.segments ?? 1;
  const segmentNames = Array.from({ length: segments }, (_, i) => String(i + 1).padStart(6, '0'));
  const meta: BlockMeta = {
    ulid: id,
    minTime,
    maxTime,
    stats: { numSeries: 10 + n, numSamples: 1000 + n, numChunks: 20 + n },
    compaction: { level, sources: [id] },
    version: 1,
    thanos: {
      labels: { __org_id__: opts.tenant ?? 'tenant-a' },
      downsample: { resolution: 0 },
      source,
      files: [
        ...segmentNames.map((s) => ({ rel_path: `chunks/${s}`, size_bytes: 100 })),
        { rel_path: 'index', size_bytes: 200 },
        { rel_path: 'meta.json' },
      ],
    },
  };
  return { id, minTime, maxTime, level, source, segments, meta };
}

/** Uploads the block as the shipper does: chunk segments and index first, meta.json last. */
export async function putBlock(bucket: Bucket, tenant: string, block: TestBlock): Promise<void> {
  await putPartialBlock(bucket, tenant, block);
  await bucket.put(`${tenant}/${block.id}/meta.json`, Buffer.from(encodeMeta(block.meta)));
}

/** The block's files without meta.json: an upload in flight or abandoned. */
export async function putPartialBlock(bucket: Bucket, tenant: string, block: TestBlock): Promise<void> {
  for (let i = 1; i <= block.segments; i++) {
    await bucket.put(`${tenant}/${block.id}/chunks/${String(i).padStart(6, '0')}`, Buffer.alloc(100, i));
  }
  await bucket.put(`${tenant}/${block.id}/index`, Buffer.alloc(200, 7));
}

/** Deletes every object of the block (what the compactor's cleaner does). */
export async function removeBlock(bucket: Bucket, tenant: string, id: string): Promise<void> {
  const keys: string[] = [];
  for await (const key of bucket.list(`${tenant}/${id}/`, { recursive: true })) keys.push(key);
  for (const key of keys) await bucket.delete(key);
}
