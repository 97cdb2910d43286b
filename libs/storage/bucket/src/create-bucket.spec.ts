import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { ValidationError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { BucketConfig, createBucket, defaultBucketConfig } from './create-bucket';
import { metricValue } from './testing/metrics';

describe('createBucket', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'panoptes-create-bucket-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('defaults to the filesystem backend in ./data', () => {
    const config = defaultBucketConfig();
    expect(config.backend).toBe('filesystem');
    expect(config.filesystem.dir).toBe('./data');
  });

  it('builds the filesystem backend, instrumented under the given role', async () => {
    const registry = new Registry();
    const bucket = createBucket({ ...defaultBucketConfig(), filesystem: { dir } }, 'blocks', nopLogger, registry);
    await bucket.put('t/obj', Buffer.from('x'));
    expect((await bucket.get('t/obj')).toString()).toBe('x');
    expect(await metricValue(registry, 'panoptes_bucket_operations_total', { bucket: 'blocks', operation: 'put' })).toBe(1);
    await bucket.close();
  });

  it.each([
    ['an unknown backend', { ...defaultBucketConfig(), backend: 'gcs' } as unknown as BucketConfig],
    ['an s3 backend without a bucket name', { ...defaultBucketConfig(), backend: 's3' } as BucketConfig],
  ])('rejects %s with a ValidationError', (_case, config) => {
    expect(() => createBucket(config, 'blocks', nopLogger, new Registry())).toThrow(ValidationError);
  });
});
