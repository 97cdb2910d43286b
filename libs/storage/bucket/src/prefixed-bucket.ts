import { Readable } from 'node:stream';
import { ValidationError } from '@panoptes/common';
import { Bucket, ListOptions, ObjectAttributes, PutOptions } from './bucket';
import { ObjectNotFoundError, isObjectNotFound } from './errors';
import { normalizeListPrefix, validateObjectKey } from './object-key';

/**
 * A view of the keys under `prefix` (a tenant's `tenant/`), addressed by keys relative to it:
 * `view.put('01ABC/meta.json')` writes `tenant/01ABC/meta.json` in the inner bucket, and listings
 * return relative keys. The view does not own the inner bucket: `close()` leaves it open.
 */
export class PrefixedBucket implements Bucket {
  readonly name: string;
  private readonly prefix: string;

  constructor(
    private readonly inner: Bucket,
    prefix: string,
  ) {
    const dir = normalizeListPrefix(prefix);
    if (dir === '') {
      throw new ValidationError('invalid_object_key', 'bucket prefix is empty; give the prefix the view is scoped to');
    }
    this.prefix = dir;
    this.name = `${inner.name}/${dir}`;
  }

  get(key: string): Promise<Buffer> {
    return this.relabel(key, (full) => this.inner.get(full));
  }

  getStream(key: string): Promise<Readable> {
    return this.relabel(key, (full) => this.inner.getStream(full));
  }

  getRange(key: string, offset: number, length: number): Promise<Buffer> {
    return this.relabel(key, (full) => this.inner.getRange(full, offset, length));
  }

  async put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void> {
    return this.inner.put(this.full(key), body, opts);
  }

  async *list(prefix: string, opts?: ListOptions): AsyncIterable<string> {
    const dir = normalizeListPrefix(prefix);
    for await (const key of this.inner.list(this.prefix + dir, opts)) {
      yield key.slice(this.prefix.length);
    }
  }

  async delete(key: string): Promise<void> {
    return this.inner.delete(this.full(key));
  }

  async exists(key: string): Promise<boolean> {
    return this.inner.exists(this.full(key));
  }

  attributes(key: string): Promise<ObjectAttributes> {
    return this.relabel(key, (full) => this.inner.attributes(full));
  }

  async close(): Promise<void> {
    // the inner bucket belongs to whoever created it
  }

  private full(key: string): string {
    return this.prefix + validateObjectKey(key);
  }

  // Not-found errors name the key as the caller knows it.
  private async relabel<T>(key: string, op: (fullKey: string) => Promise<T>): Promise<T> {
    try {
      return await op(this.full(key));
    } catch (err) {
      if (isObjectNotFound(err)) throw new ObjectNotFoundError(key, this.name, { cause: err });
      throw err;
    }
  }
}
