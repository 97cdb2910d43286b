import { Registry } from 'prom-client';
import { InstrumentedBucket } from './instrumented-bucket';
import { InMemoryBucket } from './memory-bucket';
import { listAll } from './bucket';
import { metricValue } from './testing/metrics';

describe('InstrumentedBucket', () => {
  function setup() {
    const registry = new Registry();
    const bucket = new InstrumentedBucket(new InMemoryBucket(), 'blocks', registry);
    const ops = (operation: string) => metricValue(registry, 'panoptes_bucket_operations_total', { bucket: 'blocks', operation });
    const failures = (operation: string) =>
      metricValue(registry, 'panoptes_bucket_operation_failures_total', { bucket: 'blocks', operation });
    return { registry, bucket, ops, failures };
  }

  it('counts and times each operation under its bucket label', async () => {
    const { registry, bucket, ops } = setup();
    await bucket.put('a/b', Buffer.from('x'));
    await bucket.get('a/b');
    await bucket.getRange('a/b', 0, 1);
    await bucket.exists('a/b');
    await bucket.attributes('a/b');
    await listAll(bucket, 'a');
    await bucket.delete('a/b');
    for (const op of ['put', 'get', 'get_range', 'exists', 'attributes', 'list', 'delete']) {
      expect({ op, count: await ops(op) }).toEqual({ op, count: 1 });
    }
    const timed = await metricValue(registry, 'panoptes_bucket_operation_duration_seconds_count', { operation: 'get' });
    expect(timed).toBe(1);
  });

  it('does not count a missing object as a failure, but counts real failures', async () => {
    const { bucket, failures } = setup();
    await expect(bucket.get('missing')).rejects.toThrow();
    expect(await failures('get')).toBe(0);
    await expect(bucket.put('../bad', Buffer.from('x'))).rejects.toThrow();
    expect(await failures('put')).toBe(1);
    await expect(listAll(bucket, '../bad')).rejects.toThrow();
    expect(await failures('list')).toBe(1);
  });

  it('shares metric families when several buckets use one registry', () => {
    const registry = new Registry();
    new InstrumentedBucket(new InMemoryBucket(), 'blocks', registry);
    expect(() => new InstrumentedBucket(new InMemoryBucket(), 'ruler', registry)).not.toThrow();
  });
});
