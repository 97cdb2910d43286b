import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { BlockMeta, BlockStats } from '@panoptes/block-formats';
import { Bucket, isObjectNotFound } from '@panoptes/bucket';
import { errorMessage } from '@panoptes/common';
import { BucketIndexCorruptError, BucketIndexNotFoundError } from './errors';
import { bucketIndexKey, isBlockId } from './layout';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export const BUCKET_INDEX_VERSION_1 = 1;

/**
 * Chunk segments named `000001`, `000002`, … with no gap (Prometheus' naming): a reader can rebuild
 * the segment file names from the count alone, without reading meta.json.
 */
export const SEGMENT_FORMAT_1_BASED_6_DIGITS = '1b6d';
export type SegmentFormat = typeof SEGMENT_FORMAT_1_BASED_6_DIGITS;

/**
 * One complete block of the tenant: what queriers and the compactor need to plan without reading
 * meta.json. Times are ms since the Unix epoch; [minTime, maxTime) is half-open as in Prometheus.
 */
export interface BucketIndexBlock {
  /** Block ULID; the block lives at `<tenant>/<id>/`. */
  id: string;
  /** Timestamp of the block's first sample, ms (inclusive). */
  minTime: number;
  /** Timestamp of the block's last sample + 1, ms (exclusive). */
  maxTime: number;
  /** When meta.json (uploaded last) was written: the block's upload completed, ms. */
  uploadedAt: number;
  /** 1 for blocks cut by ingesters, higher for compacted ones. */
  compactionLevel: number;
  /** Who wrote the block (`receive` for ingesters, `compactor`, …); '' when meta.json does not say. */
  source: string;
  /** Set when the chunk segments follow a known naming (see `segmentFiles`). */
  segmentFormat?: SegmentFormat;
  /** Number of chunk segment files; set with `segmentFormat`. */
  segmentCount?: number;
  /** External labels from meta.json (`thanos.labels`), e.g. the tenant and compactor shard. */
  labels?: Record<string, string>;
  /** Series, samples and chunks in the block, from meta.json. */
  stats?: BlockStats;
}

/** A block marked for deletion: readers stop querying it after a delay, the compactor deletes it. */
export interface BucketIndexDeletionMark {
  id: string;
  /** When the block was marked, ms since the Unix epoch (second precision: the mark stores seconds). */
  deletionTime: number;
}

/**
 * The per-tenant bucket index, stored gzipped at `<tenant>/bucket-index.json.gz`. Written only
 * by the compactor (one writer per tenant); read by queriers and rulers through
 * `BucketIndexLoader`, so they never list the bucket themselves. Invariants:
 *   - `blocks` holds complete blocks only (meta.json present and valid), including blocks marked
 *     for deletion whose directory still exists; sorted by id.
 *   - `blockDeletionMarks` holds every global deletion mark of the tenant, also of blocks that are
 *     partial or already gone (so their leftovers can be cleaned up); sorted by id.
 *   - `updatedAt` is when the updater built it (ms): readers judge staleness by it.
 */
export interface BucketIndex {
  version: typeof BUCKET_INDEX_VERSION_1;
  blocks: BucketIndexBlock[];
  blockDeletionMarks: BucketIndexDeletionMark[];
  /** When the index was built, ms since the Unix epoch. */
  updatedAt: number;
}

export function emptyBucketIndex(updatedAt: number): BucketIndex {
  return { version: BUCKET_INDEX_VERSION_1, blocks: [], blockDeletionMarks: [], updatedAt };
}

/** The index entry of a block from its meta.json and the time meta.json was written. */
export function blockEntryFromMeta(meta: BlockMeta, uploadedAt: number): BucketIndexBlock {
  const entry: BucketIndexBlock = {
    id: meta.ulid,
    minTime: meta.minTime,
    maxTime: meta.maxTime,
    uploadedAt,
    compactionLevel: meta.compaction.level,
    source: meta.thanos?.source ?? '',
  };
  const segments = detectSegmentCount(meta);
  if (segments !== undefined) {
    entry.segmentFormat = SEGMENT_FORMAT_1_BASED_6_DIGITS;
    entry.segmentCount = segments;
  }
  const labels = meta.thanos?.labels;
  if (labels && Object.keys(labels).length > 0) entry.labels = { ...labels };
  entry.stats = { numSeries: meta.stats.numSeries, numSamples: meta.stats.numSamples, numChunks: meta.stats.numChunks };
  return entry;
}

/** The block's chunk segment file names (`000001`, …), or undefined when the index cannot tell. */
export function segmentFiles(block: BucketIndexBlock): string[] | undefined {
  if (block.segmentFormat !== SEGMENT_FORMAT_1_BASED_6_DIGITS || block.segmentCount === undefined) return undefined;
  return Array.from({ length: block.segmentCount }, (_, i) => segmentName(i + 1));
}

/** Whether the block holds samples in [minT, maxT] (both inclusive, as query ranges are). */
export function blockWithin(block: BucketIndexBlock, minT: number, maxT: number): boolean {
  return block.minTime <= maxT && minT < block.maxTime;
}

function segmentName(n: number): string {
  return String(n).padStart(6, '0');
}

// The (older) `segment_files` list wins; otherwise the `chunks/…` entries of `files`.
function detectSegmentCount(meta: BlockMeta): number | undefined {
  const listed = meta.thanos?.segment_files;
  if (listed && listed.length > 0) {
    return listed.every((name, i) => name === segmentName(i + 1)) ? listed.length : undefined;
  }
  const files = meta.thanos?.files;
  if (!files) return undefined;
  let n = 0;
  for (const f of files) {
    if (!f.rel_path.startsWith('chunks/')) continue;
    if (f.rel_path !== `chunks/${segmentName(n + 1)}`) return undefined;
    n++;
  }
  return n > 0 ? n : undefined;
}

/** The gzipped JSON stored at `<tenant>/bucket-index.json.gz`. */
export async function encodeBucketIndex(index: BucketIndex): Promise<Buffer> {
  return gzipAsync(Buffer.from(JSON.stringify(index), 'utf8'));
}

/** Decodes and validates a stored index; anything unexpected is a `BucketIndexCorruptError`. */
export async function decodeBucketIndex(data: Buffer, tenant: string): Promise<BucketIndex> {
  let json: Buffer;
  try {
    json = await gunzipAsync(data);
  } catch (err) {
    throw new BucketIndexCorruptError(tenant, `not gzip (${errorMessage(err)})`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new BucketIndexCorruptError(tenant, 'the gzipped content is not valid JSON', { cause: err });
  }
  const problem = (what: string) => new BucketIndexCorruptError(tenant, what);
  if (!isObject(raw)) throw problem('not a JSON object');
  if (raw.version !== BUCKET_INDEX_VERSION_1) {
    throw problem(`unsupported version ${JSON.stringify(raw.version)} (this build reads version ${BUCKET_INDEX_VERSION_1})`);
  }
  if (!Array.isArray(raw.blocks)) throw problem('"blocks" is not an array');
  if (!Array.isArray(raw.blockDeletionMarks)) throw problem('"blockDeletionMarks" is not an array');
  if (!isFiniteNumber(raw.updatedAt)) throw problem('"updatedAt" is not a number');
  return {
    version: BUCKET_INDEX_VERSION_1,
    blocks: raw.blocks.map((b, i) => decodeBlock(b, `blocks[${i}]`, problem)),
    blockDeletionMarks: raw.blockDeletionMarks.map((m, i) => decodeMark(m, `blockDeletionMarks[${i}]`, problem)),
    updatedAt: raw.updatedAt,
  };
}

type Problem = (what: string) => Error;

function decodeBlock(raw: unknown, at: string, problem: Problem): BucketIndexBlock {
  if (!isObject(raw)) throw problem(`${at} is not an object`);
  if (typeof raw.id !== 'string' || !isBlockId(raw.id)) throw problem(`${at}.id is not a block ULID`);
  for (const field of ['minTime', 'maxTime', 'uploadedAt', 'compactionLevel'] as const) {
    if (!isFiniteNumber(raw[field])) throw problem(`${at}.${field} is not a number`);
  }
  if (typeof raw.source !== 'string') throw problem(`${at}.source is not a string`);
  const block: BucketIndexBlock = {
    id: raw.id,
    minTime: raw.minTime as number,
    maxTime: raw.maxTime as number,
    uploadedAt: raw.uploadedAt as number,
    compactionLevel: raw.compactionLevel as number,
    source: raw.source,
  };
  if (raw.segmentFormat !== undefined) {
    // A format this build does not know is dropped: readers fall back to meta.json's file list.
    if (raw.segmentFormat === SEGMENT_FORMAT_1_BASED_6_DIGITS) {
      if (!Number.isSafeInteger(raw.segmentCount) || (raw.segmentCount as number) < 0) {
        throw problem(`${at}.segmentCount is not a non-negative integer`);
      }
      block.segmentFormat = SEGMENT_FORMAT_1_BASED_6_DIGITS;
      block.segmentCount = raw.segmentCount as number;
    }
  }
  if (raw.labels !== undefined) {
    if (!isObject(raw.labels) || !Object.values(raw.labels).every((v) => typeof v === 'string')) {
      throw problem(`${at}.labels is not an object of strings`);
    }
    block.labels = { ...(raw.labels as Record<string, string>) };
  }
  if (raw.stats !== undefined) {
    const s = raw.stats;
    if (!isObject(s) || !isFiniteNumber(s.numSeries) || !isFiniteNumber(s.numSamples) || !isFiniteNumber(s.numChunks)) {
      throw problem(`${at}.stats needs numbers numSeries, numSamples and numChunks`);
    }
    block.stats = { numSeries: s.numSeries, numSamples: s.numSamples, numChunks: s.numChunks };
  }
  return block;
}

function decodeMark(raw: unknown, at: string, problem: Problem): BucketIndexDeletionMark {
  if (!isObject(raw)) throw problem(`${at} is not an object`);
  if (typeof raw.id !== 'string' || !isBlockId(raw.id)) throw problem(`${at}.id is not a block ULID`);
  if (!isFiniteNumber(raw.deletionTime)) throw problem(`${at}.deletionTime is not a number`);
  return { id: raw.id, deletionTime: raw.deletionTime };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * The tenant's stored index. Throws `BucketIndexNotFoundError` when there is none,
 * `BucketIndexCorruptError` when it does not decode; store errors pass through
 * (`UnavailableError` from S3).
 */
export async function readBucketIndex(bucket: Bucket, tenant: string): Promise<BucketIndex> {
  let data: Buffer;
  try {
    data = await bucket.get(bucketIndexKey(tenant));
  } catch (err) {
    if (isObjectNotFound(err)) throw new BucketIndexNotFoundError(tenant, { cause: err });
    throw err;
  }
  return decodeBucketIndex(data, tenant);
}

/** Replaces the tenant's stored index (a whole-object put: readers see the old or the new one). */
export async function writeBucketIndex(bucket: Bucket, tenant: string, index: BucketIndex): Promise<void> {
  const key = bucketIndexKey(tenant);
  await bucket.put(key, await encodeBucketIndex(index));
}

/** Removes the tenant's index (tenant deletion); a missing index is not an error. */
export async function deleteBucketIndex(bucket: Bucket, tenant: string): Promise<void> {
  await bucket.delete(bucketIndexKey(tenant));
}
