import { Readable } from 'node:stream';
import { Counter, Histogram, Registry } from 'prom-client';
import { Bucket, ListOptions, ObjectAttributes, PutOptions } from './bucket';
import { isObjectNotFound } from './errors';
import { counterIn, histogramIn } from './metrics';

type Operation = 'get' | 'get_stream' | 'get_range' | 'put' | 'list' | 'delete' | 'exists' | 'attributes';
type Labels = 'bucket' | 'operation';

/**
 * Counts and times every operation of the wrapped bucket, labelled by `bucket` (the role the
 * bucket plays: `blocks`, `ruler`, `alert-router`) and `operation`. As in Thanos, a missing
 * object is an expected outcome, not a failure. getStream is timed until the stream is open;
 * list until the caller stops iterating. Closes the inner bucket on close().
 */
export class InstrumentedBucket implements Bucket {
  private readonly ops: Counter<Labels>;
  private readonly failures: Counter<Labels>;
  private readonly duration: Histogram<Labels>;

  constructor(
    private readonly inner: Bucket,
    private readonly bucketLabel: string,
    registry: Registry,
  ) {
    this.ops = counterIn(registry, 'panoptes_bucket_operations_total', 'Object store operations.', ['bucket', 'operation']);
    this.failures = counterIn(
      registry,
      'panoptes_bucket_operation_failures_total',
      'Object store operations that failed (a missing object is not a failure).',
      ['bucket', 'operation'],
    );
    this.duration = histogramIn(
      registry,
      'panoptes_bucket_operation_duration_seconds',
      'Duration of object store operations, in seconds.',
      ['bucket', 'operation'],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    );
    for (const op of ['get', 'get_stream', 'get_range', 'put', 'list', 'delete', 'exists', 'attributes'] as const) {
      // Zero-initialised so rate() sees the series from the first scrape.
      this.ops.inc({ bucket: bucketLabel, operation: op }, 0);
      this.failures.inc({ bucket: bucketLabel, operation: op }, 0);
    }
  }

  get name(): string {
    return this.inner.name;
  }

  get(key: string): Promise<Buffer> {
    return this.track('get', () => this.inner.get(key));
  }

  getStream(key: string): Promise<Readable> {
    return this.track('get_stream', () => this.inner.getStream(key));
  }

  getRange(key: string, offset: number, length: number): Promise<Buffer> {
    return this.track('get_range', () => this.inner.getRange(key, offset, length));
  }

  put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void> {
    return this.track('put', () => this.inner.put(key, body, opts));
  }

  async *list(prefix: string, opts?: ListOptions): AsyncIterable<string> {
    const labels = { bucket: this.bucketLabel, operation: 'list' as const };
    const end = this.duration.startTimer(labels);
    this.ops.inc(labels);
    try {
      yield* this.inner.list(prefix, opts);
    } catch (err) {
      this.failures.inc(labels);
      throw err;
    } finally {
      end();
    }
  }

  delete(key: string): Promise<void> {
    return this.track('delete', () => this.inner.delete(key));
  }

  exists(key: string): Promise<boolean> {
    return this.track('exists', () => this.inner.exists(key));
  }

  attributes(key: string): Promise<ObjectAttributes> {
    return this.track('attributes', () => this.inner.attributes(key));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async track<T>(operation: Operation, op: () => Promise<T>): Promise<T> {
    const labels = { bucket: this.bucketLabel, operation };
    const end = this.duration.startTimer(labels);
    this.ops.inc(labels);
    try {
      return await op();
    } catch (err) {
      if (!isObjectNotFound(err)) this.failures.inc(labels);
      throw err;
    } finally {
      end();
    }
  }
}
