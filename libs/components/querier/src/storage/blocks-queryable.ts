import type { ChunkMeta, IndexReader, Labels } from '@panoptes/block-formats';
import { type Bucket, isObjectNotFound } from '@panoptes/bucket';
import { blockPrefix, blockWithin, type BucketIndex, type BucketIndexBlock, isBucketIndexNotFound, readBucketIndex } from '@panoptes/bucket-index';
import { type Clock, errorMessage, UnavailableError } from '@panoptes/common';
import type { TimeRange } from '@panoptes/ingester-client';
import type { Logger } from '@panoptes/log';
import type { EncodedChunk, SelectHints, StoredSeries } from '@panoptes/promql';
import { type IndexReader as PostingsIndex, type Matcher, selectPostings, union } from '@panoptes/tsdb';
import { Counter, type Registry } from 'prom-client';
import { type ChunkFetchStats, type DeletedInterval, fetchChunks, isDeleted, trimChunk } from './block-chunks';
import { type BlockIndex, BlockIndexCache } from './block-index-cache';
import { type QuerierStorageConfig, storeRange } from './config';
import { QueryLimiter } from './limiter';
import { FetchMetrics, metricIn } from './metrics';
import { forEachConcurrent, iterateSeries, labelSetUnion, labelsKey, SeriesMergeMap, sortedUnion } from './series-merge';
import type { StorageQuerier, StorageQueryable } from './types';

/** Where the querier learns a tenant's blocks: `BucketIndexLoader` of @panoptes/bucket-index. */
export interface BucketIndexSource {
  /** Throws `BucketIndexNotFoundError` when the tenant has no index (no blocks yet). */
  getIndex(tenant: string): Promise<BucketIndex>;
}

/** A block listed by the bucket index was not found in the bucket: the compactor deleted it meanwhile. */
class BlockVanishedError extends UnavailableError {
  constructor(
    tenant: string,
    readonly blockId: string,
    cause: unknown,
  ) {
    super('block_vanished', `block ${blockId} of tenant "${tenant}" was deleted from object storage while the query read it; retry the query`, { tenant, cause });
  }
}

/** What a block read found for one series before its chunk bytes are fetched. */
interface PickedSeries {
  key: string;
  labels: Labels;
  metas: ChunkMeta[];
  deleted: readonly DeletedInterval[] | undefined;
}

/**
 * Older data, from blocks in object storage (Mimir's blocks store queryable, reading the bucket
 * itself instead of asking store-gateways). The tenant's blocks come from its bucket index, never
 * from listing the bucket; blocks marked for deletion at least `ignoreDeletionMarksDelayMs` ago
 * are skipped (their replacement is listed by then). Per block: the index (cached, see
 * `BlockIndexCache`) selects series and chunk refs, tombstones drop or trim chunks, and only the
 * needed chunk bytes are fetched with range reads. Only the part of a query older than now −
 * `queryStoreAfterMs` is read.
 *
 * A block deleted between the index and the read (the compactor replaced it) makes the querier
 * re-read the bucket index directly, once, and redo the read over the fresh block list; the fresh
 * index is used until the loader's copy catches up. A second vanished block is an
 * `UnavailableError` (503: retry), never a 500.
 *
 * `bucket` may read through caches (`cachingBlocksBucket`); that re-read goes to `uncachedBucket`
 * (default: `bucket`), so a cached bucket index cannot hide what the compactor wrote.
 */
export class BlocksQueryable implements StorageQueryable {
  private readonly indexes: BlockIndexCache;
  private readonly fresh = new Map<string, BucketIndex>();
  private readonly retainedAt = new Map<string, number>();
  private readonly fetched: FetchMetrics;
  private readonly queried: Counter;
  private readonly vanished: Counter;
  private readonly rangeRequests: Counter;

  constructor(
    private readonly config: QuerierStorageConfig,
    private readonly bucket: Bucket,
    private readonly bucketIndex: BucketIndexSource,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
    private readonly uncachedBucket: Bucket = bucket,
  ) {
    this.indexes = new BlockIndexCache(config, bucket, logger, registry);
    this.fetched = new FetchMetrics(registry);
    const counter = (name: string, help: string): Counter => metricIn(registry, name, () => new Counter({ name, help, registers: [registry] }));
    this.queried = counter('panoptes_querier_blocks_queried_total', 'Blocks read by queries (one per block per selection).');
    this.vanished = counter('panoptes_querier_blocks_vanished_total', 'Blocks listed by the bucket index but gone from the bucket when read (the bucket index was re-read).');
    this.rangeRequests = counter('panoptes_querier_block_chunk_range_requests_total', 'Range requests made to the bucket for chunk bytes.');
  }

  querier(tenant: string, minT: number, maxT: number, limiter?: QueryLimiter): StorageQuerier {
    const lim = limiter ?? new QueryLimiter(tenant, this.config, (reason) => this.fetched.rejected.inc({ reason }));
    const range = (): TimeRange | undefined => storeRange(this.config, this.clock.now(), minT, maxT);
    const selectSorted = async (matchers: readonly Matcher[], hints: SelectHints, signal?: AbortSignal): Promise<StoredSeries[]> => {
      // As Prometheus and Mimir: the selection's hints, not the querier's range, bound what is read.
      const r = storeRange(this.config, this.clock.now(), hints.start, hints.end);
      return r ? this.withBlocks(tenant, r, (blocks) => this.select(tenant, blocks, matchers, r, lim, signal)) : [];
    };
    return {
      selectSorted,
      select: (matchers, hints, signal) => iterateSeries(selectSorted(matchers, hints, signal)),
      labelNames: async (matchers) => {
        const r = range();
        if (!r) return [];
        return this.withBlocks(tenant, r, async (blocks) => sortedUnion(await this.perBlock(tenant, blocks, (idx) => labelNamesOf(idx.reader, matchers))));
      },
      labelValues: async (name, matchers) => {
        const r = range();
        if (!r) return [];
        return this.withBlocks(tenant, r, async (blocks) => sortedUnion(await this.perBlock(tenant, blocks, (idx) => labelValuesOf(idx.reader, name, matchers))));
      },
      series: async (matcherSets) => {
        const r = range();
        if (!r) return [];
        const out = await this.withBlocks(tenant, r, async (blocks) => labelSetUnion(await this.perBlock(tenant, blocks, (idx) => seriesOf(idx, matcherSets, r))));
        for (const labels of out) lim.addSeries(labelsKey(labels));
        return out;
      },
      warnings: () => [],
    };
  }

  /** Runs `fn` over the tenant's blocks in `range`; once more over a re-read bucket index if a block vanished. */
  private async withBlocks<T>(tenant: string, range: TimeRange, fn: (blocks: BucketIndexBlock[]) => Promise<T>): Promise<T> {
    let index = await this.currentIndex(tenant);
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(index ? this.queryableBlocks(index, range) : []);
      } catch (err) {
        if (!(err instanceof BlockVanishedError)) throw err;
        this.vanished.inc();
        await this.indexes.drop(tenant, err.blockId);
        if (attempt > 0) throw err;
        this.logger.info('block vanished while queried, re-reading the bucket index', { component: 'querier', tenant, block: err.blockId });
        index = await this.reloadIndex(tenant);
      }
    }
  }

  private async currentIndex(tenant: string): Promise<BucketIndex | undefined> {
    let index: BucketIndex | undefined;
    try {
      index = await this.bucketIndex.getIndex(tenant);
    } catch (err) {
      if (!isBucketIndexNotFound(err)) throw err;
    }
    const fresh = this.fresh.get(tenant);
    if (fresh && (!index || fresh.updatedAt > index.updatedAt)) index = fresh;
    else if (fresh) this.fresh.delete(tenant);
    if (index) await this.retain(tenant, index);
    return index;
  }

  private async reloadIndex(tenant: string): Promise<BucketIndex | undefined> {
    try {
      const index = await readBucketIndex(this.uncachedBucket, tenant);
      this.fresh.set(tenant, index);
      await this.retain(tenant, index);
      return index;
    } catch (err) {
      if (!isBucketIndexNotFound(err)) throw err;
      this.fresh.delete(tenant);
      return undefined;
    }
  }

  // Once per bucket index version: local copies of blocks it no longer lists are removed.
  private async retain(tenant: string, index: BucketIndex): Promise<void> {
    if (this.retainedAt.get(tenant) === index.updatedAt) return;
    this.retainedAt.set(tenant, index.updatedAt);
    try {
      await this.indexes.retain(tenant, new Set(index.blocks.map((b) => b.id)));
    } catch (err) {
      this.logger.warn('could not prune local block indexes', { component: 'querier', tenant, err: errorMessage(err) });
    }
  }

  private queryableBlocks(index: BucketIndex, range: TimeRange): BucketIndexBlock[] {
    const now = this.clock.now();
    const ignored = new Set<string>();
    for (const m of index.blockDeletionMarks) if (now - m.deletionTime >= this.config.ignoreDeletionMarksDelayMs) ignored.add(m.id);
    return index.blocks.filter((b) => blockWithin(b, range.minT, range.maxT) && !ignored.has(b.id));
  }

  private async blockIndex(tenant: string, blockId: string): Promise<BlockIndex> {
    try {
      return await this.indexes.get(tenant, blockId);
    } catch (err) {
      if (isObjectNotFound(err)) throw new BlockVanishedError(tenant, blockId, err);
      throw err;
    }
  }

  private async perBlock<T>(tenant: string, blocks: readonly BucketIndexBlock[], fn: (idx: BlockIndex) => T): Promise<T[]> {
    const out: T[] = [];
    await forEachConcurrent(blocks, this.config.blockQueryConcurrency, async (b) => {
      out.push(fn(await this.blockIndex(tenant, b.id)));
    });
    return out;
  }

  private async select(
    tenant: string,
    blocks: readonly BucketIndexBlock[],
    matchers: readonly Matcher[],
    range: TimeRange,
    limiter: QueryLimiter,
    signal: AbortSignal | undefined,
  ): Promise<StoredSeries[]> {
    limiter.check();
    const merged = new SeriesMergeMap();
    const tally = { chunks: 0, bytes: 0 };
    try {
      await forEachConcurrent(blocks, this.config.blockQueryConcurrency, async (block) => {
        signal?.throwIfAborted();
        for (const s of await this.selectBlock(tenant, block, matchers, range, limiter, tally)) merged.add(s.labels, s.chunks, s.key);
      });
    } catch (err) {
      // Chunks of an attempt that is given up (and maybe redone) no longer count against the query.
      limiter.release(tally.chunks, tally.bytes);
      throw err;
    }
    return merged.sorted();
  }

  private async selectBlock(
    tenant: string,
    block: BucketIndexBlock,
    matchers: readonly Matcher[],
    range: TimeRange,
    limiter: QueryLimiter,
    tally: { chunks: number; bytes: number },
  ): Promise<(StoredSeries & { key: string })[]> {
    this.queried.inc();
    const idx = await this.blockIndex(tenant, block.id);
    const picked: PickedSeries[] = [];
    const refs: number[] = [];
    for (const ref of selectPostings(postingsIndex(idx.reader), [...matchers])) {
      const s = idx.reader.series(ref);
      const deleted = idx.tombstones.get(ref);
      const metas = s.chunks.filter((c) => c.maxt >= range.minT && c.mint <= range.maxT && !(deleted && isDeleted(c.mint, c.maxt, deleted)));
      if (metas.length === 0) continue;
      const key = labelsKey(s.labels);
      limiter.addSeries(key);
      limiter.addChunks(metas.length, 0);
      tally.chunks += metas.length;
      picked.push({ key, labels: s.labels, metas, deleted });
      for (const m of metas) refs.push(m.ref);
    }
    if (picked.length === 0) return [];

    const prefix = blockPrefix(tenant, block.id);
    const stats: ChunkFetchStats = { requests: 0, bytes: 0 };
    let records: Awaited<ReturnType<typeof fetchChunks>>;
    try {
      records = await fetchChunks(this.bucket, prefix, refs, { maxGapBytes: this.config.chunkRangeMaxGapBytes, concurrency: this.config.chunkFetchConcurrency }, stats);
    } catch (err) {
      if (isObjectNotFound(err)) throw new BlockVanishedError(tenant, block.id, err);
      throw err;
    } finally {
      this.rangeRequests.inc(stats.requests);
    }

    const out: (StoredSeries & { key: string })[] = [];
    let bytes = 0;
    let chunkCount = 0;
    for (const p of picked) {
      const chunks: EncodedChunk[] = [];
      for (const m of p.metas) {
        const rec = records.get(m.ref)!;
        const chunk = p.deleted ? trimChunk({ minT: m.mint, maxT: m.maxt, encoding: rec.encoding, data: rec.data }, p.deleted, `${prefix}chunks`) : { minT: m.mint, maxT: m.maxt, encoding: rec.encoding, data: rec.data };
        if (!chunk) continue;
        bytes += chunk.data.byteLength;
        chunks.push(chunk);
      }
      chunkCount += chunks.length;
      if (chunks.length > 0) out.push({ key: p.key, labels: p.labels, chunks });
    }
    tally.bytes += bytes;
    limiter.addChunks(0, bytes);
    this.fetched.series.inc({ source: 'blocks' }, out.length);
    this.fetched.chunks.inc({ source: 'blocks' }, chunkCount);
    this.fetched.chunkBytes.inc({ source: 'blocks' }, bytes);
    return out;
  }
}

/** A block index as the postings selection of @panoptes/tsdb reads it. */
function postingsIndex(reader: IndexReader): PostingsIndex {
  return {
    labelValues: (name) => reader.labelValues(name),
    postings: (name, values) => union([...values].map((v) => reader.postings(name, v))),
    allPostings: () => reader.allPostings(),
  };
}

function labelNamesOf(reader: IndexReader, matchers: readonly Matcher[]): Iterable<string> {
  if (matchers.length === 0) return reader.labelNames();
  const names = new Set<string>();
  for (const ref of selectPostings(postingsIndex(reader), [...matchers])) for (const [n] of reader.series(ref).labels) names.add(n);
  return names;
}

function labelValuesOf(reader: IndexReader, name: string, matchers: readonly Matcher[]): Iterable<string> {
  if (matchers.length === 0) return reader.labelValues(name);
  const values = new Set<string>();
  for (const ref of selectPostings(postingsIndex(reader), [...matchers])) {
    const v = reader.series(ref).labels.find(([n]) => n === name)?.[1];
    if (v !== undefined && v !== '') values.add(v);
  }
  return values;
}

/** Label sets of the block's series matching any set, with a chunk in `range` that is not deleted. */
function seriesOf(idx: BlockIndex, matcherSets: readonly (readonly Matcher[])[], range: TimeRange): Labels[] {
  const refs = union(matcherSets.map((set) => selectPostings(postingsIndex(idx.reader), [...set])));
  const out: Labels[] = [];
  for (const ref of refs) {
    const s = idx.reader.series(ref);
    const deleted = idx.tombstones.get(ref);
    if (s.chunks.some((c) => c.maxt >= range.minT && c.mint <= range.maxT && !(deleted && isDeleted(c.mint, c.maxt, deleted)))) out.push(s.labels);
  }
  return out;
}
