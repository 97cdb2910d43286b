import { Readable } from 'node:stream';
import { Bucket, ListOptions, ObjectAttributes, PutOptions } from '@panoptes/bucket';

export type Operation = 'get' | 'getStream' | 'getRange' | 'put' | 'list' | 'delete' | 'exists' | 'attributes';

/**
 * Passes every call to the inner bucket and records it, so tests can count what reached the
 * store (e.g. meta.json reads). `fail` may return an error to throw instead of calling through.
 */
export class CountingBucket implements Bucket {
  readonly calls: Array<{ op: Operation; key: string }> = [];
  fail: ((op: Operation, key: string) => Error | undefined) | undefined;

  constructor(readonly inner: Bucket) {}

  get name(): string {
    return this.inner.name;
  }

  /** Calls of `op` whose key ends with `suffix` (all of them when no suffix is given). */
  count(op: Operation, suffix = ''): number {
    return this.calls.filter((c) => c.op === op && c.key.endsWith(suffix)).length;
  }

  reset(): void {
    this.calls.length = 0;
  }

  get(key: string): Promise<Buffer> {
    return this.call('get', key, () => this.inner.get(key));
  }

  getStream(key: string): Promise<Readable> {
    return this.call('getStream', key, () => this.inner.getStream(key));
  }

  getRange(key: string, offset: number, length: number): Promise<Buffer> {
    return this.call('getRange', key, () => this.inner.getRange(key, offset, length));
  }

  put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void> {
    return this.call('put', key, () => this.inner.put(key, body, opts));
  }

  list(prefix: string, opts?: ListOptions): AsyncIterable<string> {
    this.calls.push({ op: 'list', key: prefix });
    const err = this.fail?.('list', prefix);
    if (err) {
      return {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(err) }),
      };
    }
    return this.inner.list(prefix, opts);
  }

  delete(key: string): Promise<void> {
    return this.call('delete', key, () => this.inner.delete(key));
  }

  exists(key: string): Promise<boolean> {
    return this.call('exists', key, () => this.inner.exists(key));
  }

  attributes(key: string): Promise<ObjectAttributes> {
    return this.call('attributes', key, () => this.inner.attributes(key));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async call<T>(op: Operation, key: string, fn: () => Promise<T>): Promise<T> {
    this.calls.push({ op, key });
    const err = this.fail?.(op, key);
    if (err) throw err;
    return fn();
  }
}
