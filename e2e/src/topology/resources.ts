import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaEnv, RedisEnv, S3Env } from '@panoptes/testing';

/** The real backing services a topology runs on (`tools/dev-services`). Kafka only in Kafka mode. */
export interface TopologyServices {
  redis: RedisEnv;
  s3: S3Env;
  kafka?: KafkaEnv;
}

/**
 * What one topology owns in the shared backing services, all named after its run ID so that runs
 * (and a CI run in another checkout on the same services) never see each other:
 * - Redis: every key under `<runId>/` (rings, HA tracker, results and bucket-store caches);
 * - MinIO: the bucket `<runId>` (blocks, bucket indexes, rules, alert-router state);
 * - Kafka: the topic `<runId>` and the consumer groups named after the ingesters' instance IDs.
 *
 * `create()` makes the bucket; `cleanup()` removes all of it and never throws (it reports what it
 * could not remove).
 */
export class TopologyResources {
  readonly keyPrefix: string;
  readonly bucket: string;
  readonly topic: string;

  private constructor(
    readonly runId: string,
    private readonly services: TopologyServices,
  ) {
    this.keyPrefix = `${runId}/`;
    this.bucket = runId;
    this.topic = runId;
  }

  static async create(runId: string, services: TopologyServices): Promise<TopologyResources> {
    if (!/^[a-z0-9][a-z0-9-]{2,62}$/.test(runId)) throw new Error(`run ID "${runId}" is not a valid S3 bucket name (lowercase letters, digits, dashes)`);
    const r = new TopologyResources(runId, services);
    const s3 = r.s3Client();
    try {
      await s3.send(new CreateBucketCommand({ Bucket: r.bucket }));
    } finally {
      s3.destroy();
    }
    return r;
  }

  /** Every object key in the bucket, sorted. */
  async listObjects(prefix = ''): Promise<string[]> {
    const s3 = this.s3Client();
    const keys: string[] = [];
    try {
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.NextContinuationToken;
      } while (token);
    } finally {
      s3.destroy();
    }
    return keys.sort();
  }

  /** One object's content as text. */
  async getText(key: string): Promise<string> {
    const s3 = this.s3Client();
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await res.Body!.transformToString();
    } finally {
      s3.destroy();
    }
  }

  /** Removes the bucket (with its objects), the Redis keys, the topic and `consumerGroups`. Returns the failures. */
  async cleanup(consumerGroups: string[]): Promise<string[]> {
    const failures: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        failures.push(`${what}: ${String(err)}`);
      }
    };
    await attempt(`bucket ${this.bucket}`, () => this.deleteBucket());
    await attempt(`redis keys ${this.keyPrefix}*`, () => this.deleteRedisKeys());
    if (this.services.kafka) await attempt(`kafka topic ${this.topic}`, () => this.deleteKafka(this.services.kafka!, consumerGroups));
    return failures;
  }

  private s3Client(): S3Client {
    const { endpoint, region, accessKeyId, secretAccessKey } = this.services.s3;
    return new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  }

  private async deleteBucket(): Promise<void> {
    const s3 = this.s3Client();
    try {
      for (;;) {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: this.bucket, MaxKeys: 1000 }));
        const objects = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (objects.length === 0) break;
        await s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }));
      }
      await s3.send(new DeleteBucketCommand({ Bucket: this.bucket }));
    } finally {
      s3.destroy();
    }
  }

  private async deleteRedisKeys(): Promise<void> {
    const redis = new Redis({ host: this.services.redis.host, port: this.services.redis.port, lazyConnect: true, maxRetriesPerRequest: 2 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.keyPrefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }

  private async deleteKafka(kafka: KafkaEnv, groups: string[]): Promise<void> {
    const admin = new Kafka({ brokers: kafka.brokers, clientId: 'panoptes-e2e-cleanup', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      if ((await admin.listTopics()).includes(this.topic)) await admin.deleteTopics({ topics: [this.topic], timeout: 10_000 });
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  }
}
