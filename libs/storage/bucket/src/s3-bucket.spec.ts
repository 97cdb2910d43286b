import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { UnavailableError, ValidationError } from '@panoptes/common';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { PrefixedBucket } from './prefixed-bucket';
import { S3Bucket, S3BucketConfig, defaultS3BucketConfig } from './s3-bucket';
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
  // Built lazily: when the service is absent the body still runs (to register skipped tests) with no env.
  const config = (): S3BucketConfig => ({
    ...defaultS3BucketConfig(),
    endpoint: env.endpoint,
    region: env.region,
    bucketName,
    accessKeyId: env.accessKeyId,
    secretAccessKey: env.secretAccessKey,
    forcePathStyle: true,
    insecure: true,
    // The minimum part size, so the 10 MB contract case goes through a real multipart upload.
    partSizeBytes: 5 * 1024 * 1024,
    maxRetries: 1,
    requestTimeoutMs: 20_000,
  });
  let admin: S3Client;

  beforeAll(async () => {
    expect(bucketName).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    admin = new S3Client({
      endpoint: env.endpoint,
      region: env.region,
      forcePathStyle: true,
      credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    });
    await admin.send(new CreateBucketCommand({ Bucket: bucketName }));
  });

  afterAll(async () => {
    await emptyAndDeleteBucket(admin, bucketName);
    admin.destroy();
  });

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
      const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucketName, Prefix: 'failed-multipart/' }));
      expect(uploads.Uploads ?? []).toEqual([]);
    } finally {
      await bucket.close();
    }
  });
});

async function emptyAndDeleteBucket(client: S3Client, bucket: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (objects.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
