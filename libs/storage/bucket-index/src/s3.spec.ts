import { S3Bucket, ScratchS3Bucket } from '@panoptes/bucket';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { runBucketIndexScenarios } from './testing/scenarios';

describeWithService('s3', 'bucket index on MinIO', (env) => {
  // uniqueName gives lowercase letters, digits and dashes: a valid S3 bucket name.
  const scratch = new ScratchS3Bucket(env, uniqueName('panoptes-bucket-index'));
  let bucket: S3Bucket;

  beforeAll(async () => {
    await scratch.create();
    bucket = new S3Bucket(scratch.config());
  });

  afterAll(async () => {
    await bucket?.close();
    await scratch.destroy();
  });

  runBucketIndexScenarios('S3Bucket', () => bucket);
});
