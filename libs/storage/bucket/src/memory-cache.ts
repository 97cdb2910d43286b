import { LRUCache } from 'lru-cache';
import { Registry } from 'prom-client';
import { Clock, SystemClock, ValidationError } from '@panoptes/common';
import { Cache } from './cache';
import { CacheMetrics } from './metrics';

export interface MemoryCacheConfig {
  /** Most bytes the cache holds (keys plus values); least recently used entries go first. */
  maxSizeBytes: number;
  /** Largest single value cached, in bytes; larger values are not cached. */
  maxItemSizeBytes: number;
}

export function defaultMemoryCacheConfig(): MemoryCacheConfig {
  return { maxSizeBytes: 128 * 1024 * 1024, maxItemSizeBytes: 16 * 1024 * 1024 };
}

/** An in-process LRU cache bounded by bytes: the all-in-one default. Values are copied on set. */
export class MemoryCache implements Cache {
  private readonly lru: LRUCache<string, Buffer>;
  private readonly metrics: CacheMetrics;

  constructor(
    config: MemoryCacheConfig,
    readonly name: string,
    registry: Registry,
    clock: Clock = new SystemClock(),
  ) {
    if (!(config.maxSizeBytes > 0) || !(config.maxItemSizeBytes > 0)) {
      throw new ValidationError(
        'invalid_config',
        `memory cache "${name}" needs a positive max size and max item size (got ${config.maxSizeBytes} and ${config.maxItemSizeBytes} bytes)`,
      );
    }
    this.lru = new LRUCache<string, Buffer>({
      maxSize: config.maxSizeBytes,
      maxEntrySize: Math.min(config.maxItemSizeBytes, config.maxSizeBytes),
      sizeCalculation: (value, key) => Math.max(1, value.length + key.length),
      // TTLs are read from the injected clock on every check, so tests can move time.
      perf: { now: () => clock.now() },
      ttlResolution: 0,
    });
    this.metrics = new CacheMetrics(registry);
    this.metrics.requests.inc({ name }, 0);
    this.metrics.hits.inc({ name }, 0);
  }

  async getMulti(keys: string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    for (const key of keys) {
      const value = this.lru.get(key);
      if (value !== undefined) found.set(key, value);
    }
    this.metrics.requests.inc({ name: this.name }, keys.length);
    this.metrics.hits.inc({ name: this.name }, found.size);
    return found;
  }

  async setMulti(items: ReadonlyMap<string, Buffer>, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, Math.round(ttlMs));
    for (const [key, value] of items) {
      this.lru.set(key, Buffer.from(value), { ttl });
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.lru.delete(key);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }

  /** Bytes held now (keys plus values). */
  get sizeBytes(): number {
    return this.lru.calculatedSize;
  }
}
