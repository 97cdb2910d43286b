import { Registry } from 'prom-client';
import { ValidationError } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { Bucket } from './bucket';
import { FilesystemBucket, FilesystemBucketConfig, defaultFilesystemBucketConfig } from './filesystem-bucket';
import { InstrumentedBucket } from './instrumented-bucket';
import { S3Bucket, S3BucketConfig, defaultS3BucketConfig } from './s3-bucket';

export type BucketBackend = 'filesystem' | 's3';

/** Object storage, as in Mimir's common storage block: one backend chosen, each with its section. */
export interface BucketConfig {
  /** Which backend stores the objects: `filesystem` (all-in-one default) or `s3`. */
  backend: BucketBackend;
  /** Settings of the filesystem backend. */
  filesystem: FilesystemBucketConfig;
  /** Settings of the S3 backend. */
  s3: S3BucketConfig;
}

export function defaultBucketConfig(): BucketConfig {
  return { backend: 'filesystem', filesystem: defaultFilesystemBucketConfig(), s3: defaultS3BucketConfig() };
}

/**
 * The configured backend, instrumented with `panoptes_bucket_*` metrics under the label
 * `bucket=<role>` (`blocks`, `ruler`, `alert-router`).
 */
export function createBucket(config: BucketConfig, role: string, logger: Logger, registry: Registry): Bucket {
  const log = logger.with({ bucket: role });
  switch (config.backend) {
    case 'filesystem':
      return new InstrumentedBucket(new FilesystemBucket(config.filesystem, log), role, registry);
    case 's3':
      return new InstrumentedBucket(new S3Bucket(config.s3, log), role, registry);
    default:
      throw new ValidationError(
        'invalid_config',
        `unknown object storage backend "${String(config.backend)}"; use "filesystem" or "s3"`,
      );
  }
}
