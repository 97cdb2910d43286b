import {
  CHUNK_ENCODING_XOR,
  type ChunkRecord,
  chunkRefOffset,
  chunkRefSegment,
  CorruptBlockError,
  readChunkRecord,
  segmentFileName,
  type Tombstone,
  XorChunkEncoder,
  XorChunkIterator,
} from '@panoptes/block-formats';
import { type Bucket, isInvalidRange } from '@panoptes/bucket';
import type { EncodedChunk } from '@panoptes/promql';
import { forEachConcurrent } from './series-merge';

/**
 * Bytes read for a chunk whose length is only known once read: Prometheus' estimate of the
 * largest chunk record (tsdb `EstimatedMaxChunkSize`). A longer chunk costs one more request.
 */
export const CHUNK_SIZE_ESTIMATE_BYTES = 16_000;

export interface ChunkFetchOptions {
  /** Chunks of a segment at most this far apart share a range request, bytes. */
  maxGapBytes: number;
  /** Range requests in flight at once. */
  concurrency: number;
}

/** What fetching chunk bytes cost: requests and bytes moved (more than the chunks when gaps are read through). */
export interface ChunkFetchStats {
  requests: number;
  bytes: number;
}

/**
 * The chunk records at `refs` of the block under `blockPrefix` (`<tenant>/<ulid>/`), read with
 * `getRange` from its segment files (`chunks/000001`…): refs of one segment are sorted and
 * coalesced into ranges when at most `maxGapBytes` apart, so a query reading neighbouring series
 * makes few requests. A chunk's end is not in the index: each is read up to the next wanted chunk
 * or `CHUNK_SIZE_ESTIMATE_BYTES`, and re-read whole when longer. Checksums are verified; the data
 * are views into the fetched ranges. A missing segment object throws the bucket's
 * `ObjectNotFoundError` (the block vanished); a ref past a segment's end is a `CorruptBlockError`.
 */
export async function fetchChunks(
  bucket: Bucket,
  blockPrefix: string,
  refs: readonly number[],
  options: ChunkFetchOptions,
  stats: ChunkFetchStats = { requests: 0, bytes: 0 },
): Promise<Map<number, ChunkRecord>> {
  const bySegment = new Map<number, number[]>();
  for (const ref of refs) {
    const seg = chunkRefSegment(ref);
    let offsets = bySegment.get(seg);
    if (!offsets) bySegment.set(seg, (offsets = []));
    offsets.push(chunkRefOffset(ref));
  }
  const ranges: { seg: number; offsets: number[]; start: number; end: number }[] = [];
  for (const [seg, offsets] of bySegment) {
    const sorted = [...new Set(offsets)].sort((a, b) => a - b);
    let current: (typeof ranges)[number] | undefined;
    for (let i = 0; i < sorted.length; i++) {
      const off = sorted[i];
      const end = i + 1 < sorted.length ? Math.min(off + CHUNK_SIZE_ESTIMATE_BYTES, sorted[i + 1]) : off + CHUNK_SIZE_ESTIMATE_BYTES;
      if (current && off - current.end <= options.maxGapBytes) {
        current.offsets.push(off);
        current.end = end;
      } else {
        current = { seg, offsets: [off], start: off, end };
        ranges.push(current);
      }
    }
  }

  const out = new Map<number, ChunkRecord>();
  await forEachConcurrent(ranges, options.concurrency, async (r) => {
    const key = `${blockPrefix}chunks/${segmentFileName(r.seg)}`;
    const buf = await getRange(bucket, key, r.start, r.end - r.start, stats);
    for (const off of r.offsets) {
      const rel = off - r.start;
      const need = recordLength(buf, rel);
      let record: ChunkRecord;
      if (need !== undefined && rel + need <= buf.length) {
        record = readChunkRecord(buf, rel, key);
      } else {
        // Longer than estimated: read exactly this record (its length header first if cut off too).
        const size = need ?? recordLength(await getRange(bucket, key, off, 10, stats), 0);
        if (size === undefined) throw new CorruptBlockError(`${key}: chunk at offset ${off} has no valid length`);
        record = readChunkRecord(await getRange(bucket, key, off, size, stats), 0, key);
      }
      out.set(r.seg * 0x1_0000_0000 + off, record);
    }
  });
  return out;
}

async function getRange(bucket: Bucket, key: string, offset: number, length: number, stats: ChunkFetchStats): Promise<Buffer> {
  stats.requests++;
  try {
    const buf = await bucket.getRange(key, offset, length);
    stats.bytes += buf.length;
    return buf;
  } catch (err) {
    if (isInvalidRange(err)) throw new CorruptBlockError(`${key}: the index points at offset ${offset}, past the end of the segment`, { cause: err });
    throw err;
  }
}

/** Size of the chunk record starting at `at` (length uvarint, encoding, data, CRC), or undefined when its header is cut off. */
function recordLength(buf: Uint8Array, at: number): number | undefined {
  let len = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 5; i++) {
    const b = buf[i];
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return i - at + 1 + 1 + len + 4;
    shift += 7;
  }
  return undefined;
}

/** Closed [mint, maxt] ranges deleted from one series, sorted and merged. */
export interface DeletedInterval {
  mint: number;
  maxt: number;
}

/** A block's tombstones by series ref, each series' intervals sorted and merged (adjacent ones too, as Prometheus' `Intervals.Add`). */
export function tombstonesBySeries(tombstones: readonly Tombstone[]): Map<number, DeletedInterval[]> {
  const grouped = new Map<number, DeletedInterval[]>();
  for (const t of tombstones) {
    let list = grouped.get(t.seriesRef);
    if (!list) grouped.set(t.seriesRef, (list = []));
    list.push({ mint: t.mint, maxt: t.maxt });
  }
  for (const [ref, list] of grouped) {
    list.sort((a, b) => a.mint - b.mint);
    const merged: DeletedInterval[] = [];
    for (const iv of list) {
      const prev = merged[merged.length - 1];
      if (prev && iv.mint <= prev.maxt + 1) prev.maxt = Math.max(prev.maxt, iv.maxt);
      else merged.push({ ...iv });
    }
    grouped.set(ref, merged);
  }
  return grouped;
}

/** Whether [mint, maxt] lies inside one deleted interval: the chunk is deleted whole. */
export function isDeleted(mint: number, maxt: number, intervals: readonly DeletedInterval[]): boolean {
  return intervals.some((iv) => iv.mint <= mint && maxt <= iv.maxt);
}

/**
 * The chunk without its deleted samples (Prometheus' populateWithDelChunkSeriesIterator): as it
 * is when no interval touches it, re-encoded without them when some do, undefined when nothing is
 * left. Only XOR chunks can be trimmed; another encoding under a tombstone is a CorruptBlockError.
 */
export function trimChunk(chunk: EncodedChunk, intervals: readonly DeletedInterval[], what: string): EncodedChunk | undefined {
  if (!intervals.some((iv) => iv.mint <= chunk.maxT && chunk.minT <= iv.maxt)) return chunk;
  if (chunk.encoding !== CHUNK_ENCODING_XOR) {
    throw new CorruptBlockError(`${what}: a tombstone covers part of a chunk with encoding ${chunk.encoding}; only XOR chunks can be trimmed`);
  }
  const it = new XorChunkIterator(chunk.data);
  const enc = new XorChunkEncoder();
  let k = 0;
  while (it.next()) {
    const t = it.t;
    while (k < intervals.length && intervals[k].maxt < t) k++;
    if (k < intervals.length && intervals[k].mint <= t) continue;
    enc.appendBits(t, it.valueHi, it.valueLo);
  }
  if (enc.numSamples === 0) return undefined;
  return { minT: enc.minTime, maxT: enc.maxTime, encoding: CHUNK_ENCODING_XOR, data: enc.bytes().slice() };
}
