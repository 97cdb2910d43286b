import { Readable } from 'node:stream';
import { UnavailableError, ValidationError } from '@panoptes/common';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { PrefixedBucket } from './prefixed-bucket';
import { S3Bucket, S3BucketConfig, defaultS3BucketConfig } from './s3-bucket';
import { ScratchS3Bucket } from './s3-scratch';
import { runBucketContract } from './testing/bucket.contract';

describe('S3Bucket configuration', () => {
  it('reports every problem of an invalid config at once', () => {
    let err: unknown;
    try {
      new S3Bucket({ ...defaultS3BucketConfig(), bucketName: '', partSizeBytes: 1024, endpoint: 'http://minio:9000' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const message = (err as Error).message;
    expect(message).toContain('bucket name is empty');
    expect(message).toContain('part size 1024');
    expect(message).toContain('plain http');
  });

  it('turns a refused connection into UnavailableError', async () => {
    const bucket = new S3Bucket({
      ...defaultS3BucketConfig(),
      endpoint: '127.0.0.1:1',
      insecure: true,
      forcePathStyle: true,
      bucketName: 'nowhere',
      accessKeyId: 'a',
      secretAccessKey: 'b',
      maxRetries: 0,
      connectTimeoutMs: 1000,
    });
    try {
      const err = await bucket.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).reason).toBe('object_store_unavailable');
    } finally {
      await bucket.close();
    }
  });
});

describeWithService('s3', 'S3Bucket', (env) => {
  // uniqueName gives lowercase letters, digits and dashes: a valid S3 bucket name of 3–63 chars.
  const bucketName = uniqueName('panoptes-bucket-test');
  const scratch = new ScratchS3Bucket(env, bucketName);
  // The minimum part size, so the 10 MB contract case goes through a real multipart upload.
  const config = (): S3BucketConfig => scratch.config({ partSizeBytes: 5 * 1024 * 1024 });

  beforeAll(async () => {
    expect(bucketName).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    await scratch.create();
  });

  afterAll(() => scratch.destroy());

  runBucketContract('S3Bucket', () => new S3Bucket(config()));
  runBucketContract('PrefixedBucket over S3Bucket', () => new PrefixedBucket(new S3Bucket(config()), 'tenant-1'));

  it('maps a missing bucket to a typed error naming the bucket', async () => {
    const bucket = new S3Bucket({ ...config(), bucketName: `${bucketName}-absent` });
    try {
      const err = await bucket.get('k').catch((e: unknown) => e);
      expect((err as Error).message).toContain(`${bucketName}-absent`);
      expect((err as { reason?: string }).reason).toBe('bucket_not_found');
    } finally {
      await bucket.close();
    }
  });

  it('leaves no incomplete multipart upload behind after a failed streamed put', async () => {
    const bucket = new S3Bucket(config());
    try {
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= 6 * 1024 * 1024) {
            this.destroy(new Error('source failed'));
            return;
          }
          sent += 1024 * 1024;
          this.push(Buffer.alloc(1024 * 1024, 1));
        },
      });
      await expect(bucket.put('failed-multipart/obj', body)).rejects.toThrow();
      expect(await bucket.exists('failed-multipart/obj')).toBe(false);
      expect(await scratch.pendingMultipartUploads('failed-multipart/')).toEqual([]);
    } finally {
      await bucket.close();
    }
  });
});
