import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3BucketConfig, defaultS3BucketConfig } from './s3-bucket';

/** Where an S3-compatible server is and how to sign in (what `describeWithService('s3')` gives). */
export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * A throwaway bucket on a real S3-compatible server (integration tests, tools): `create()` makes
 * it, `destroy()` deletes every object in it and then the bucket. `config()` is an `S3Bucket`
 * config for it (path-style, plain HTTP allowed, one retry).
 */
export class ScratchS3Bucket {
  private client: S3Client | undefined;

  /**
   * Nothing is contacted or built until first use, so a suite can declare one while its service
   * is absent (its tests are then skipped and `server` may be undefined).
   */
  constructor(
    private readonly server: S3Endpoint,
    /** A valid bucket name: 3–63 lowercase letters, digits and dashes (e.g. from `uniqueName`). */
    readonly name: string,
  ) {}

  private get admin(): S3Client {
    this.client ??= new S3Client({
      endpoint: this.server.endpoint,
      region: this.server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: this.server.accessKeyId, secretAccessKey: this.server.secretAccessKey },
    });
    return this.client;
  }

  config(overrides: Partial<S3BucketConfig> = {}): S3BucketConfig {
    return {
      ...defaultS3BucketConfig(),
      endpoint: this.server.endpoint,
      region: this.server.region,
      bucketName: this.name,
      accessKeyId: this.server.accessKeyId,
      secretAccessKey: this.server.secretAccessKey,
      forcePathStyle: true,
      insecure: this.server.endpoint.startsWith('http://'),
      maxRetries: 1,
      requestTimeoutMs: 20_000,
      ...overrides,
    };
  }

  async create(): Promise<void> {
    await this.admin.send(new CreateBucketCommand({ Bucket: this.name }));
  }

  /** Keys of the multipart uploads started under `prefix` and neither completed nor aborted. */
  async pendingMultipartUploads(prefix = ''): Promise<string[]> {
    const page = await this.admin.send(new ListMultipartUploadsCommand({ Bucket: this.name, Prefix: prefix }));
    return (page.Uploads ?? []).map((u) => u.Key as string);
  }

  /** Deletes every object and unfinished upload, then the bucket, then closes the admin client. */
  async destroy(): Promise<void> {
    try {
      let token: string | undefined;
      do {
        const page = await this.admin.send(new ListObjectsV2Command({ Bucket: this.name, ContinuationToken: token }));
        const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key as string }));
        if (objects.length > 0) await this.admin.send(new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: objects } }));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      const uploads = await this.admin.send(new ListMultipartUploadsCommand({ Bucket: this.name }));
      for (const u of uploads.Uploads ?? []) {
        await this.admin.send(new AbortMultipartUploadCommand({ Bucket: this.name, Key: u.Key, UploadId: u.UploadId }));
      }
      await this.admin.send(new DeleteBucketCommand({ Bucket: this.name }));
    } finally {
      this.client?.destroy();
      this.client = undefined;
    }
  }
}
