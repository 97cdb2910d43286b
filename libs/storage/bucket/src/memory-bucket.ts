import { Readable } from 'node:stream';
import { Clock, SystemClock } from '@panoptes/common';
import { Bucket, ListOptions, ObjectAttributes, PutOptions, readAll, validateRange } from './bucket';
import { InvalidRangeError, ObjectNotFoundError } from './errors';
import { DIR_DELIMITER, compareKeys, normalizeListPrefix, validateObjectKey } from './object-key';

interface StoredObject {
  data: Buffer;
  lastModifiedMs: number;
}

/**
 * A bucket in process memory: the fake for unit tests of code that persists through a Bucket.
 * Same key rules and semantics as the real backends (it passes the same contract suite).
 * Stored and returned buffers are copies, so callers may mutate what they pass or receive.
 */
export class InMemoryBucket implements Bucket {
  private readonly objects = new Map<string, StoredObject>();

  constructor(
    readonly name = 'memory',
    private readonly clock: Clock = new SystemClock(),
  ) {}

  async get(key: string): Promise<Buffer> {
    return Buffer.from(this.lookup(key).data);
  }

  async getStream(key: string): Promise<Readable> {
    return Readable.from([Buffer.from(this.lookup(key).data)], { objectMode: false });
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    validateRange(key, offset, length);
    const { data } = this.lookup(key);
    if (offset > data.length) throw new InvalidRangeError(key, offset, data.length);
    return Buffer.from(data.subarray(offset, Math.min(data.length, offset + length)));
  }

  async put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void> {
    validateObjectKey(key);
    opts?.signal?.throwIfAborted();
    const data = Buffer.isBuffer(body) ? Buffer.from(body) : Buffer.from(await readAll(body));
    opts?.signal?.throwIfAborted();
    this.objects.set(key, { data, lastModifiedMs: this.clock.now() });
  }

  async *list(prefix: string, opts?: ListOptions): AsyncIterable<string> {
    const dir = normalizeListPrefix(prefix);
    const found = new Set<string>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(dir)) continue;
      const slash = opts?.recursive ? -1 : key.indexOf(DIR_DELIMITER, dir.length);
      found.add(slash === -1 ? key : key.slice(0, slash + 1));
    }
    yield* [...found].sort(compareKeys);
  }

  async delete(key: string): Promise<void> {
    validateObjectKey(key);
    this.objects.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    validateObjectKey(key);
    return this.objects.has(key);
  }

  async attributes(key: string): Promise<ObjectAttributes> {
    const obj = this.lookup(key);
    return { size: obj.data.length, lastModifiedMs: obj.lastModifiedMs };
  }

  async close(): Promise<void> {
    // nothing to release
  }

  private lookup(key: string): StoredObject {
    validateObjectKey(key);
    const obj = this.objects.get(key);
    if (!obj) throw new ObjectNotFoundError(key, this.name);
    return obj;
  }
}
