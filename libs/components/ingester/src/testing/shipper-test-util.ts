// Helpers for this component's shipper specs only (not exported from index.ts).
import { Readable } from 'node:stream';
import { BlockMeta, BlockWriter, defaultBlockWriterConfig, Labels } from '@panoptes/block-formats';
import { Bucket, ListOptions, ObjectAttributes, PutOptions, readAll } from '@panoptes/bucket';

export const HOUR = 3_600_000;
/** A 2h-aligned timestamp (ms). */
export const T0 = 1_700_006_400_000;

/**
 * Writes a real block of `series` series with one sample every 15 s in [minT, minT + 2h) into
 * `blocksDir`. A small `maxSegmentBytes` spreads the chunks over several segment files.
 */
export async function writeTestBlock(
  blocksDir: string,
  minT: number,
  opts: { series?: number; externalLabels?: Record<string, string>; maxSegmentBytes?: number; ulid?: string } = {},
): Promise<BlockMeta> {
  const config = { ...defaultBlockWriterConfig(), ...(opts.maxSegmentBytes ? { maxSegmentBytes: opts.maxSegmentBytes } : {}) };
  const w = new BlockWriter(config, blocksDir, { externalLabels: opts.externalLabels, ulid: opts.ulid });
  const n = (2 * HOUR) / 15_000;
  for (let s = 0; s < (opts.series ?? 3); s++) {
    const labels: Labels = [
      ['__name__', 'test_metric'],
      ['series', String(s)],
    ];
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      ts[k] = minT + k * 15_000;
      vs[k] = s * 1000 + k;
    }
    await w.addSeries(labels, ts, vs);
  }
  return w.finish();
}

/**
 * A bucket that passes every call to `inner`, records the keys of completed puts in order, and
 * fails the puts `failPut` selects, after reading their body (like a connection lost mid-upload).
 * Each time meta.json is put, it notes which of the block's other keys were missing then.
 */
export class FailingBucket implements Bucket {
  readonly puts: string[] = [];
  readonly attempts: string[] = [];
  /** For each meta.json put: the block's keys (from `expectedKeys`) not yet in the bucket at that moment. */
  readonly missingAtMetaPut: string[][] = [];
  failPut: (key: string) => boolean = () => false;
  expectedKeys: (metaKey: string) => Promise<string[]> | string[] = () => [];

  constructor(readonly inner: Bucket) {}

  get name(): string {
    return this.inner.name;
  }

  async put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void> {
    this.attempts.push(key);
    if (this.failPut(key)) {
      if (!Buffer.isBuffer(body)) await readAll(body);
      throw new Error(`injected failure putting ${key}`);
    }
    if (key.endsWith('/meta.json')) {
      const missing: string[] = [];
      for (const k of await this.expectedKeys(key)) if (!(await this.inner.exists(k))) missing.push(k);
      this.missingAtMetaPut.push(missing);
    }
    await this.inner.put(key, body, opts);
    this.puts.push(key);
  }

  get(key: string): Promise<Buffer> {
    return this.inner.get(key);
  }
  getStream(key: string): Promise<Readable> {
    return this.inner.getStream(key);
  }
  getRange(key: string, offset: number, length: number): Promise<Buffer> {
    return this.inner.getRange(key, offset, length);
  }
  list(prefix: string, opts?: ListOptions): AsyncIterable<string> {
    return this.inner.list(prefix, opts);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }
  attributes(key: string): Promise<ObjectAttributes> {
    return this.inner.attributes(key);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
