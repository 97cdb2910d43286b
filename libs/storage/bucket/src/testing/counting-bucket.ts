import { Readable } from 'node:stream';
import { Bucket, ListOptions, ObjectAttributes, PutOptions } from '../bucket';

export type CountedOperation = 'get' | 'getStream' | 'getRange' | 'put' | 'list' | 'delete' | 'exists' | 'attributes';

/** Passes every call to the inner bucket and records it: how many reads reached the store. */
export class CountingBucket implements Bucket {
  readonly calls: Array<{ op: CountedOperation; key: string; offset?: number; length?: number }> = [];

  constructor(readonly inner: Bucket) {}

  get name(): string {
    return this.inner.name;
  }

  count(op: CountedOperation): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  reset(): void {
    this.calls.length = 0;
  }

  get(key: string): Promise<Buffer> {
    this.calls.push({ op: 'get', key });
    return this.inner.get(key);
  }

  getStream(key: string): Promise<Readable> {
    this.calls.push({ op: 'getStream', key });
    return this.inner.getStream(key);
  }

  getRange(key: string, offset: number, length: number): Promise<Buffer> {
    this.calls.push({ op: 'getRange', key, offset, length });
    return this.inner.getRange(key, offset, length);
  }

  put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void> {
    this.calls.push({ op: 'put', key });
    return this.inner.put(key, body, opts);
  }

  list(prefix: string, opts?: ListOptions): AsyncIterable<string> {
    this.calls.push({ op: 'list', key: prefix });
    return this.inner.list(prefix, opts);
  }

  delete(key: string): Promise<void> {
    this.calls.push({ op: 'delete', key });
    return this.inner.delete(key);
  }

  exists(key: string): Promise<boolean> {
    this.calls.push({ op: 'exists', key });
    return this.inner.exists(key);
  }

  attributes(key: string): Promise<ObjectAttributes> {
    this.calls.push({ op: 'attributes', key });
    return this.inner.attributes(key);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
