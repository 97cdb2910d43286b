import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3Bucket, S3BucketConfig, defaultS3BucketConfig } from '@panoptes/bucket';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { runBucketIndexScenarios } from './testing/scenarios';

describeWithService('s3', 'bucket index on MinIO', (env) => {
  // uniqueName gives lowercase letters, digits and dashes: a valid S3 bucket name.
  const bucketName = uniqueName('panoptes-bucket-index');
  const config = (): S3BucketConfig => ({
    ...defaultS3BucketConfig(),
    endpoint: env.endpoint,
    region: env.region,
    bucketName,
    accessKeyId: env.accessKeyId,
    secretAccessKey: env.secretAccessKey,
    forcePathStyle: true,
    insecure: true,
    maxRetries: 1,
    requestTimeoutMs: 20_000,
  });
  let admin: S3Client;
  let bucket: S3Bucket;

  beforeAll(async () => {
    admin = new S3Client({
      endpoint: env.endpoint,
      region: env.region,
      forcePathStyle: true,
      credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    });
    await admin.send(new CreateBucketCommand({ Bucket: bucketName }));
    bucket = new S3Bucket(config());
  });

  afterAll(async () => {
    await bucket?.close();
    if (!admin) return;
    await emptyAndDeleteBucket(admin, bucketName);
    admin.destroy();
  });

  runBucketIndexScenarios('S3Bucket', () => bucket);
});

async function emptyAndDeleteBucket(client: S3Client, bucket: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (objects.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
