import { type Cache, defaultMemoryCacheConfig, MemoryCache, RedisCache, type RedisCacheConfig } from '@panoptes/bucket';
import type { Logger } from '@panoptes/log';
import type { Registry } from 'prom-client';
import { BLOCKS_CACHE_KINDS, type BlocksCacheKind } from './blocks-caching-rules';

/** Where one kind of block cache keeps its items. */
export interface BlocksCacheBackendConfig {
  /** `inmemory`: in this process (all-in-one); `redis`: in Redis, shared by every querier. */
  backend: 'inmemory' | 'redis';
  /** Most bytes the in-memory cache holds, keys and values. For `index` it bounds the parsed block indexes the querier always keeps (see BlockIndexCache). */
  inmemoryMaxSizeBytes: number;
  /** The Redis server and client settings when `backend` is `redis`. */
  redis: RedisCacheConfig;
}

/** The caches of every kind, and how to release them once nothing reads through them. */
export interface BlocksCaches {
  /** The cache of each kind; absent: that kind is not cached in a Cache. */
  caches: Partial<Record<BlocksCacheKind, Cache>>;
  /** Closes the Redis connections and empties the in-memory caches. */
  close(): Promise<void>;
}

/**
 * The caches named `chunks`, `index` and `metadata` (their metric label). Kinds on the same Redis
 * (same address, credentials, database, prefix and client settings) share one connection and keep
 * their own metrics. `index` in memory is no Cache: the querier's BlockIndexCache already holds
 * whole parsed indexes in memory (and on disk), so a second in-memory copy of their bytes would
 * never be read; only Redis, shared by queriers, adds something there.
 */
export function createBlocksCaches(config: Record<BlocksCacheKind, BlocksCacheBackendConfig>, logger: Logger, registry: Registry): BlocksCaches {
  const caches: Partial<Record<BlocksCacheKind, Cache>> = {};
  const owned: Cache[] = [];
  const redisByConfig = new Map<string, RedisCache>();
  for (const kind of BLOCKS_CACHE_KINDS) {
    const c = config[kind];
    if (c.backend === 'redis') {
      const id = JSON.stringify(c.redis);
      const shared = redisByConfig.get(id);
      if (shared) {
        caches[kind] = shared.view(kind);
      } else {
        const cache = new RedisCache(c.redis, kind, logger, registry);
        redisByConfig.set(id, cache);
        owned.push(cache);
        caches[kind] = cache;
      }
    } else if (kind !== 'index') {
      const cache = new MemoryCache({ ...defaultMemoryCacheConfig(), maxSizeBytes: c.inmemoryMaxSizeBytes }, kind, registry);
      owned.push(cache);
      caches[kind] = cache;
    }
  }
  return {
    caches,
    close: async () => {
      await Promise.all(owned.map((c) => c.close()));
    },
  };
}
