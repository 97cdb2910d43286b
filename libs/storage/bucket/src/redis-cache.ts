import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { ValidationError, errorMessage } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { Cache } from './cache';
import { CacheMetrics } from './metrics';

export interface RedisCacheConfig {
  /** Redis server address, `host:port`. */
  address: string;
  /** Username for AUTH (Redis 6 ACLs); empty for none. */
  username: string;
  /** Password for AUTH; empty for none. SECRET: never log or print it. */
  password: string;
  /** Redis logical database number. */
  db: number;
  /** Prepended to every key, so several caches can share one Redis. */
  keyPrefix: string;
  /** Longest a connection attempt may take, in milliseconds. */
  dialTimeoutMs: number;
  /** Longest one command (a batch get, set or delete) may take, in milliseconds; a slower lookup is a miss. */
  timeoutMs: number;
  /** Largest value stored, in bytes; larger values are skipped. */
  maxItemSizeBytes: number;
  /** Most keys sent in one MGET or pipeline. */
  maxBatchSize: number;
}

export function defaultRedisCacheConfig(): RedisCacheConfig {
  return {
    address: '',
    username: '',
    password: '',
    db: 0,
    keyPrefix: '',
    dialTimeoutMs: 5000,
    timeoutMs: 500,
    maxItemSizeBytes: 16 * 1024 * 1024,
    maxBatchSize: 100,
  };
}

/**
 * A cache in Redis: values are stored as raw bytes (read with MGET into Buffers), each key with
 * its own TTL (SET … PX). Redis trouble never fails a read: errors and timeouts count as misses
 * (and in `panoptes_cache_operation_failures_total`); writes and deletes that fail are dropped.
 */
export class RedisCache implements Cache {
  private readonly client: Redis;
  private readonly metrics: CacheMetrics;

  constructor(
    private readonly config: RedisCacheConfig,
    readonly name: string,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    const { host, port } = parseAddress(config.address, name);
    this.client = new Redis({
      host,
      port,
      username: config.username || undefined,
      password: config.password || undefined,
      db: config.db,
      connectTimeout: config.dialTimeoutMs,
      commandTimeout: config.timeoutMs,
      // Commands wait in the offline queue while (re)connecting, bounded by commandTimeout.
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    this.client.on('error', (err: unknown) => {
      this.logger.warn('redis cache connection error', { cache: this.name, addr: config.address, err: errorMessage(err) });
    });
    this.metrics = new CacheMetrics(registry);
    this.metrics.requests.inc({ name }, 0);
    this.metrics.hits.inc({ name }, 0);
  }

  async getMulti(keys: string[]): Promise<Map<string, Buffer>> {
    return this.lookup(this.name, keys);
  }

  async setMulti(items: ReadonlyMap<string, Buffer>, ttlMs: number): Promise<void> {
    return this.store(this.name, items, ttlMs);
  }

  async delete(keys: string[]): Promise<void> {
    return this.remove(this.name, keys);
  }

  /**
   * Another Cache over this one's connection, whose lookups, hits and failures count under `name`:
   * caches of several kinds (chunks, index, metadata) on the same Redis share one client and
   * keep their own metrics. The view's close() does nothing: close this cache once every view is
   * done with it.
   */
  view(name: string): Cache {
    this.metrics.requests.inc({ name }, 0);
    this.metrics.hits.inc({ name }, 0);
    return {
      name,
      getMulti: (keys) => this.lookup(name, keys),
      setMulti: (items, ttlMs) => this.store(name, items, ttlMs),
      delete: (keys) => this.remove(name, keys),
      close: async () => undefined,
    };
  }

  async close(): Promise<void> {
    if (this.client.status !== 'ready') {
      // Never connected (lazy), closed, or (re)connecting: nothing to flush. QUIT would wait in
      // the offline queue, and a reconnecting client may come back after it timed out.
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private async lookup(name: string, keys: string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    if (keys.length === 0) return found;
    this.metrics.requests.inc({ name }, keys.length);
    for (const batch of batches(keys, this.config.maxBatchSize)) {
      try {
        const values = await this.client.mgetBuffer(...batch.map((k) => this.config.keyPrefix + k));
        values.forEach((value, i) => {
          if (value !== null) found.set(batch[i], value);
        });
      } catch (err) {
        this.failed(name, 'get', err);
      }
    }
    this.metrics.hits.inc({ name }, found.size);
    return found;
  }

  private async store(name: string, items: ReadonlyMap<string, Buffer>, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, Math.round(ttlMs));
    const entries = [...items].filter(([, value]) => value.length <= this.config.maxItemSizeBytes);
    for (const batch of batches(entries, this.config.maxBatchSize)) {
      const pipeline = this.client.pipeline();
      for (const [key, value] of batch) pipeline.set(this.config.keyPrefix + key, value, 'PX', ttl);
      try {
        const results = (await pipeline.exec()) ?? [];
        const firstError = results.find(([err]) => err)?.[0];
        if (firstError) this.failed(name, 'set', firstError);
      } catch (err) {
        this.failed(name, 'set', err);
      }
    }
  }

  private async remove(name: string, keys: string[]): Promise<void> {
    for (const batch of batches(keys, this.config.maxBatchSize)) {
      try {
        await this.client.del(...batch.map((k) => this.config.keyPrefix + k));
      } catch (err) {
        this.failed(name, 'delete', err);
      }
    }
  }

  private failed(name: string, operation: string, err: unknown): void {
    this.metrics.failures.inc({ name, operation });
    this.logger.warn('redis cache operation failed', { cache: name, op: operation, err: errorMessage(err) });
  }
}

function parseAddress(address: string, name: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new ValidationError(
      'invalid_config',
      `redis cache "${name}" address "${address}" is not host:port; set it to the Redis server, e.g. 127.0.0.1:6379`,
    );
  }
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function batches<T>(items: T[], size: number): T[][] {
  const n = Math.max(1, size);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}
