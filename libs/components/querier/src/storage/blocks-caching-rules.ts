import { type Bucket, type Cache, CachingBucket, type CachingBucketRule } from '@panoptes/bucket';
import type { Logger } from '@panoptes/log';
import type { Registry } from 'prom-client';

/** The caches the querier reads blocks through, by what they hold: Mimir's chunks-cache, index-cache and metadata-cache. */
export type BlocksCacheKind = 'chunks' | 'index' | 'metadata';
export const BLOCKS_CACHE_KINDS: readonly BlocksCacheKind[] = ['chunks', 'index', 'metadata'];

/**
 * What the querier caches of the objects it reads, and for how long. Names and defaults follow
 * Mimir's `-blocks-storage.bucket-store.{chunks-cache,metadata-cache}.*` options.
 */
export interface BlocksCachingConfig {
  /** Size of the aligned pieces chunk segment files are cached in, bytes (…chunks-cache.subrange-size). */
  chunksSubrangeSizeBytes: number;
  /** How long a cached piece of a chunk segment file lives, ms (…chunks-cache.subrange-ttl). */
  chunksSubrangeTtlMs: number;
  /** How long the cached size of a chunk segment file lives, ms (…chunks-cache.attributes-ttl). */
  chunksAttributesTtlMs: number;
  /** How long cached pieces of block index files, their sizes and tombstones files live, ms (…index-cache.ttl). */
  indexTtlMs: number;
  /** How long a cached meta.json, deletion-mark.json or no-compact-mark.json lives, ms (…metadata-cache.metafile-content-ttl). */
  metafileContentTtlMs: number;
  /** Largest meta file cached, bytes (…metadata-cache.metafile-max-size-bytes). */
  metafileMaxSizeBytes: number;
  /** How long "this meta file exists" is cached, ms (…metadata-cache.metafile-exists-ttl). */
  metafileExistsTtlMs: number;
  /** How long "this meta file does not exist" is cached, ms (…metadata-cache.metafile-doesnt-exist-ttl). */
  metafileDoesntExistTtlMs: number;
  /** How long the cached size of a meta file lives, ms (…metadata-cache.metafile-attributes-ttl). */
  metafileAttributesTtlMs: number;
  /** How long a cached bucket index lives, ms (…metadata-cache.bucket-index-content-ttl): the querier sees a new index this much later at most. */
  bucketIndexContentTtlMs: number;
  /** Largest bucket index cached (compressed), bytes (…metadata-cache.bucket-index-max-size-bytes). */
  bucketIndexMaxSizeBytes: number;
}

export function defaultBlocksCachingConfig(): BlocksCachingConfig {
  return {
    chunksSubrangeSizeBytes: 16_000,
    chunksSubrangeTtlMs: 24 * 3_600_000,
    chunksAttributesTtlMs: 168 * 3_600_000,
    indexTtlMs: 24 * 3_600_000,
    metafileContentTtlMs: 24 * 3_600_000,
    metafileMaxSizeBytes: 1024 * 1024,
    metafileExistsTtlMs: 2 * 3_600_000,
    metafileDoesntExistTtlMs: 5 * 60_000,
    metafileAttributesTtlMs: 168 * 3_600_000,
    bucketIndexContentTtlMs: 5 * 60_000,
    bucketIndexMaxSizeBytes: 1024 * 1024,
  };
}

/**
 * Pieces block index files are cached in, bytes. The querier reads an index whole (it opens it in
 * memory, see BlockIndexCache), so pieces only need to be small enough for one cache item and
 * large enough to keep a 100 MB index to a few hundred keys.
 */
export const INDEX_SUBRANGE_SIZE_BYTES = 256 * 1024;

// `<tenant>/<block ULID>/`: the rules match block files only, never other objects under a tenant.
const BLOCK = String.raw`[^/]+/[0-7][0-9A-HJKMNP-TV-Z]{25}`;
export const CHUNK_SEGMENT_KEY = new RegExp(String.raw`^${BLOCK}/chunks/\d+$`);
export const BLOCK_INDEX_KEY = new RegExp(String.raw`^${BLOCK}/index$`);
export const TOMBSTONES_KEY = new RegExp(String.raw`^${BLOCK}/tombstones$`);
export const META_FILE_KEY = new RegExp(String.raw`^${BLOCK}/(meta|deletion-mark|no-compact-mark)\.json$`);
export const BUCKET_INDEX_KEY = /^[^/]+\/bucket-index\.json\.gz$/;

/**
 * The CachingBucket rules of each cache. Block files never change once meta.json is written, so
 * chunks, index pieces and tombstones live long; the bucket index and
 * the existence of meta files change, so they live briefly.
 */
export function blocksCachingRules(config: BlocksCachingConfig): Record<BlocksCacheKind, CachingBucketRule[]> {
  return {
    chunks: [
      {
        match: CHUNK_SEGMENT_KEY,
        getRangeTtlMs: config.chunksSubrangeTtlMs,
        subrangeSizeBytes: config.chunksSubrangeSizeBytes,
        attributesTtlMs: config.chunksAttributesTtlMs,
      },
    ],
    index: [
      { match: BLOCK_INDEX_KEY, getRangeTtlMs: config.indexTtlMs, subrangeSizeBytes: INDEX_SUBRANGE_SIZE_BYTES, attributesTtlMs: config.indexTtlMs },
      // Only content: every block Panoptes writes has a tombstones file, and one without it (copied
      // from Prometheus) costs one extra GET per index load, which happens once per querier.
      { match: TOMBSTONES_KEY, getTtlMs: config.indexTtlMs },
    ],
    metadata: [
      {
        match: META_FILE_KEY,
        getTtlMs: config.metafileContentTtlMs,
        getMaxSizeBytes: config.metafileMaxSizeBytes,
        existsTtlMs: config.metafileExistsTtlMs,
        doesntExistTtlMs: config.metafileDoesntExistTtlMs,
        attributesTtlMs: config.metafileAttributesTtlMs,
      },
      // As Mimir: only the content; whether a tenant has an index is never cached.
      { match: BUCKET_INDEX_KEY, getTtlMs: config.bucketIndexContentTtlMs, getMaxSizeBytes: config.bucketIndexMaxSizeBytes },
    ],
  };
}

/**
 * `bucket` read through the given caches, each with its rules: one CachingBucket per cache, so
 * each kind counts its hits under its own cache name. Kinds without a cache read straight from
 * `bucket`. Writes pass through (and drop what they replace from the caches). The result's
 * close() closes `bucket`; the caches are never closed here (they may be shared).
 */
export function cachingBlocksBucket(
  bucket: Bucket,
  caches: Partial<Record<BlocksCacheKind, Cache>>,
  config: BlocksCachingConfig,
  logger: Logger,
  registry: Registry,
): Bucket {
  const rules = blocksCachingRules(config);
  let out = bucket;
  for (const kind of BLOCKS_CACHE_KINDS) {
    const cache = caches[kind];
    if (cache) out = new CachingBucket(out, cache, { rules: rules[kind] }, logger, registry);
  }
  return out;
}
