import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import { errorMessage } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { Bucket, ListOptions, ObjectAttributes, PutOptions, validateRange } from './bucket';
import { Cache } from './cache';
import { InvalidRangeError, ObjectNotFoundError, isInvalidRange, isObjectNotFound } from './errors';
import { CacheMetrics } from './metrics';

/**
 * Which keys are cached, for which operations and how long. A TTL of 0 (or unset) leaves that
 * operation uncached. The first rule whose `match` matches the whole key applies.
 */
export interface CachingBucketRule {
  /** Keys the rule applies to (e.g. /\/meta\.json$/ or /\/chunks\//). */
  match: RegExp;
  /** How long get caches whole objects, in milliseconds. */
  getTtlMs?: number;
  /** Largest object get caches, in bytes; larger objects are read through. Unset: no limit. */
  getMaxSizeBytes?: number;
  /** How long getRange caches subranges, in milliseconds. */
  getRangeTtlMs?: number;
  /** Size of the aligned subranges getRange reads and caches, in bytes. Default 16000 (Mimir's). */
  subrangeSizeBytes?: number;
  /** How long exists caches "the object exists", in milliseconds. */
  existsTtlMs?: number;
  /** How long exists and get cache "the object does not exist", in milliseconds. */
  doesntExistTtlMs?: number;
  /** How long attributes are cached, in milliseconds (getRange needs them too; it falls back to getRangeTtlMs). */
  attributesTtlMs?: number;
}

export interface CachingBucketOptions {
  rules: CachingBucketRule[];
}

export const DEFAULT_SUBRANGE_SIZE_BYTES = 16000;
// put/delete drop the subranges of the previous version only when that is a bounded amount of work;
// beyond that, the version in the subrange key (size and mtime) keeps stale data unreachable.
const MAX_SUBRANGES_TO_INVALIDATE = 4096;
const YES = Buffer.from('1');
const NO = Buffer.from('0');

/**
 * Caches reads of the inner bucket in a Cache (memory or Redis), as Mimir's caching bucket does:
 *   - get: whole objects (and "does not exist");
 *   - getRange: aligned subranges of `subrangeSizeBytes`. A range is served from the subranges
 *     that cover it, and only the missing subranges are read (consecutive ones in one request).
 *     Aligned subranges, rather than exact (offset, length) keys, let overlapping reads at
 *     different offsets (chunks, index sections) share cached bytes. A subrange key carries the
 *     object's size and mtime, so a rewritten object is never served from the old version's bytes;
 *   - exists and attributes.
 * put and delete through this bucket invalidate what they change, after the inner write. Writes
 * made by other processes are seen once the TTLs expire: cache keys that change (meta files,
 * state) with short TTLs, and immutable objects (chunks, indexes) with long ones.
 * The cache is never trusted to work: a failing cache is a miss. Closes the inner bucket on
 * close(); the cache is not closed (it may be shared).
 */
export class CachingBucket implements Bucket {
  private readonly metrics: CacheMetrics;

  constructor(
    private readonly inner: Bucket,
    private readonly cache: Cache,
    private readonly options: CachingBucketOptions,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.metrics = new CacheMetrics(registry);
  }

  get name(): string {
    return this.inner.name;
  }

  async get(key: string): Promise<Buffer> {
    const rule = this.ruleFor(key);
    if (!rule?.getTtlMs) return this.inner.get(key);
    const contentKey = this.contentKey(key);
    const existsKey = this.existsKey(key);
    const hits = await this.cacheGet(rule.doesntExistTtlMs ? [contentKey, existsKey] : [contentKey]);
    const hit = hits.get(contentKey);
    if (hit) return Buffer.from(hit);
    if (hits.get(existsKey)?.equals(NO)) throw new ObjectNotFoundError(key, this.name);
    let data: Buffer;
    try {
      data = await this.inner.get(key);
    } catch (err) {
      if (isObjectNotFound(err) && rule.doesntExistTtlMs) {
        await this.cacheSet(new Map([[existsKey, NO]]), rule.doesntExistTtlMs);
      }
      throw err;
    }
    if (data.length <= (rule.getMaxSizeBytes ?? Infinity)) {
      await this.cacheSet(new Map([[contentKey, data]]), rule.getTtlMs);
    }
    return data;
  }

  async getStream(key: string): Promise<Readable> {
    const rule = this.ruleFor(key);
    if (rule?.getTtlMs) {
      const contentKey = this.contentKey(key);
      const hit = (await this.cacheGet([contentKey])).get(contentKey);
      if (hit) return Readable.from([Buffer.from(hit)], { objectMode: false });
    }
    return this.inner.getStream(key);
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    validateRange(key, offset, length);
    const rule = this.ruleFor(key);
    if (!rule?.getRangeTtlMs) return this.inner.getRange(key, offset, length);

    const attrs = await this.cachedAttributes(key, rule.attributesTtlMs || rule.getRangeTtlMs);
    const { size } = attrs;
    if (offset > size) throw new InvalidRangeError(key, offset, size);
    const end = Math.min(size, offset + length);
    if (end === offset) return Buffer.alloc(0);

    const subranges = this.subrangesOf(key, attrs, rule, offset, end);
    const hits = await this.cacheGet(subranges.map((r) => r.cacheKey));
    const parts: Array<Buffer | undefined> = subranges.map((r) => {
      const hit = hits.get(r.cacheKey);
      return hit && hit.length === r.end - r.start ? hit : undefined;
    });

    const fetched = new Map<string, Buffer>();
    try {
      await Promise.all(
        missingRuns(parts).map(async ([first, last]) => {
          const start = subranges[first].start;
          const stop = subranges[last].end;
          const data = await this.inner.getRange(key, start, stop - start);
          if (data.length !== stop - start) throw new ObjectChangedError();
          for (let i = first; i <= last; i++) {
            const part = data.subarray(subranges[i].start - start, subranges[i].end - start);
            parts[i] = part;
            fetched.set(subranges[i].cacheKey, part);
          }
        }),
      );
    } catch (err) {
      // The object changed or vanished since its attributes were cached: forget them and read
      // the range directly, so this call answers from the object as it is now.
      if (!(err instanceof ObjectChangedError) && !isInvalidRange(err) && !isObjectNotFound(err)) throw err;
      await this.cacheDelete([this.attributesKey(key)]);
      return this.inner.getRange(key, offset, length);
    }
    await this.cacheSet(fetched, rule.getRangeTtlMs);

    const out = Buffer.allocUnsafe(end - offset);
    let written = 0;
    subranges.forEach((r, i) => {
      const from = Math.max(offset, r.start) - r.start;
      const to = Math.min(end, r.end) - r.start;
      written += (parts[i] as Buffer).copy(out, written, from, to);
    });
    return out;
  }

  async put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void> {
    const rule = this.ruleFor(key);
    const stale = rule ? await this.staleKeys(key, rule) : [];
    try {
      await this.inner.put(key, body, opts);
    } finally {
      if (rule) await this.cacheDelete(stale);
    }
  }

  list(prefix: string, opts?: ListOptions): AsyncIterable<string> {
    return this.inner.list(prefix, opts);
  }

  async delete(key: string): Promise<void> {
    const rule = this.ruleFor(key);
    const stale = rule ? await this.staleKeys(key, rule) : [];
    try {
      await this.inner.delete(key);
    } finally {
      if (rule) await this.cacheDelete(stale);
    }
  }

  async exists(key: string): Promise<boolean> {
    const rule = this.ruleFor(key);
    if (!rule?.existsTtlMs && !rule?.doesntExistTtlMs) return this.inner.exists(key);
    const existsKey = this.existsKey(key);
    const hit = (await this.cacheGet([existsKey])).get(existsKey);
    if (hit) return hit.equals(YES);
    const exists = await this.inner.exists(key);
    const ttl = exists ? rule.existsTtlMs : rule.doesntExistTtlMs;
    if (ttl) await this.cacheSet(new Map([[existsKey, exists ? YES : NO]]), ttl);
    return exists;
  }

  async attributes(key: string): Promise<ObjectAttributes> {
    const rule = this.ruleFor(key);
    return this.cachedAttributes(key, rule?.attributesTtlMs ?? 0);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private ruleFor(key: string): CachingBucketRule | undefined {
    return this.options.rules.find((r) => r.match.test(key));
  }

  private async cachedAttributes(key: string, ttlMs: number): Promise<ObjectAttributes> {
    if (!ttlMs) return this.inner.attributes(key);
    const attrsKey = this.attributesKey(key);
    const cached = parseAttributes((await this.cacheGet([attrsKey])).get(attrsKey));
    if (cached) return cached;
    const attrs = await this.inner.attributes(key);
    await this.cacheSet(new Map([[attrsKey, Buffer.from(JSON.stringify(attrs))]]), ttlMs);
    return attrs;
  }

  private subrangesOf(key: string, attrs: ObjectAttributes, rule: CachingBucketRule, offset: number, end: number) {
    const step = Math.max(1, rule.subrangeSizeBytes ?? DEFAULT_SUBRANGE_SIZE_BYTES);
    const out: Array<{ start: number; end: number; cacheKey: string }> = [];
    for (let start = Math.floor(offset / step) * step; start < end; start += step) {
      const stop = Math.min(start + step, attrs.size);
      out.push({ start, end: stop, cacheKey: this.subrangeKey(key, attrs, start, stop) });
    }
    return out;
  }

  // Everything cached for the key's current version, read before the write replaces it.
  private async staleKeys(key: string, rule: CachingBucketRule): Promise<string[]> {
    const keys = [this.contentKey(key), this.existsKey(key), this.attributesKey(key)];
    if (!rule.getRangeTtlMs) return keys;
    const attrsKey = this.attributesKey(key);
    const attrs = parseAttributes((await this.cacheGet([attrsKey])).get(attrsKey));
    if (attrs && attrs.size > 0) {
      const step = Math.max(1, rule.subrangeSizeBytes ?? DEFAULT_SUBRANGE_SIZE_BYTES);
      if (Math.ceil(attrs.size / step) <= MAX_SUBRANGES_TO_INVALIDATE) {
        keys.push(...this.subrangesOf(key, attrs, rule, 0, attrs.size).map((r) => r.cacheKey));
      }
    }
    return keys;
  }

  private contentKey(key: string): string {
    return `content:${this.inner.name}:${key}`;
  }

  private existsKey(key: string): string {
    return `exists:${this.inner.name}:${key}`;
  }

  private attributesKey(key: string): string {
    return `attrs:${this.inner.name}:${key}`;
  }

  private subrangeKey(key: string, attrs: ObjectAttributes, start: number, end: number): string {
    return `subrange:${this.inner.name}:${key}:${attrs.size}:${attrs.lastModifiedMs}:${start}:${end}`;
  }

  private async cacheGet(keys: string[]): Promise<Map<string, Buffer>> {
    try {
      return await this.cache.getMulti(keys);
    } catch (err) {
      this.cacheFailed('get', err);
      return new Map();
    }
  }

  private async cacheSet(items: ReadonlyMap<string, Buffer>, ttlMs: number): Promise<void> {
    if (items.size === 0) return;
    try {
      await this.cache.setMulti(items, ttlMs);
    } catch (err) {
      this.cacheFailed('set', err);
    }
  }

  private async cacheDelete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.cache.delete(keys);
    } catch (err) {
      this.cacheFailed('delete', err);
    }
  }

  private cacheFailed(operation: string, err: unknown): void {
    this.metrics.failures.inc({ name: this.cache.name, operation });
    this.logger.warn('bucket cache operation failed', { cache: this.cache.name, op: operation, err: errorMessage(err) });
  }
}

class ObjectChangedError extends Error {}

/** Index pairs [first, last] of consecutive missing parts. */
function missingRuns(parts: Array<Buffer | undefined>): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] !== undefined) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else runs.push([i, i]);
  }
  return runs;
}

function parseAttributes(raw: Buffer | undefined): ObjectAttributes | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw.toString('utf8')) as Partial<ObjectAttributes>;
    if (Number.isSafeInteger(v.size) && typeof v.lastModifiedMs === 'number') {
      return { size: v.size as number, lastModifiedMs: v.lastModifiedMs };
    }
  } catch {
    // a corrupt entry is a miss
  }
  return undefined;
}
