import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PanoptesError, UnavailableError, ValidationError, errorMessage } from '@panoptes/common';
import { Logger, nopLogger } from '@panoptes/log';
import { Bucket, ListOptions, ObjectAttributes, PutOptions, validateRange } from './bucket';
import { InvalidRangeError, ObjectNotFoundError } from './errors';
import { DIR_DELIMITER, compareKeys, normalizeListPrefix, validateObjectKey } from './object-key';

export interface S3BucketConfig {
  /** S3 endpoint, as `host[:port]` or a URL; empty for AWS's own endpoint of the region. */
  endpoint: string;
  /** Region of the bucket (MinIO accepts any, e.g. us-east-1). */
  region: string;
  /** Name of the bucket. It must exist already: Panoptes never creates buckets. */
  bucketName: string;
  /** Access key ID; empty to use the SDK's default credential chain (environment, IAM role). */
  accessKeyId: string;
  /** Secret access key. SECRET: never log or print it. */
  secretAccessKey: string;
  /** Address the bucket as `endpoint/bucket` instead of `bucket.endpoint`; true for MinIO. */
  forcePathStyle: boolean;
  /** Allow plain http to the endpoint (no TLS); an endpoint without a scheme then uses http. */
  insecure: boolean;
  /** Longest wait for a response, and longest a connection may sit idle mid-transfer, in milliseconds. */
  requestTimeoutMs: number;
  /** Longest a connection attempt may take, in milliseconds. */
  connectTimeoutMs: number;
  /** Retries of a failed request (network errors, 5xx, throttling) before the call fails. */
  maxRetries: number;
  /** Uploads larger than this go in parts of this size (multipart), in bytes; at least 5 MiB. */
  partSizeBytes: number;
  /** Parts of one upload sent in parallel; an upload buffers up to this many parts in memory. */
  uploadConcurrency: number;
}

export function defaultS3BucketConfig(): S3BucketConfig {
  return {
    endpoint: '',
    region: 'us-east-1',
    bucketName: '',
    accessKeyId: '',
    secretAccessKey: '',
    forcePathStyle: false,
    insecure: false,
    requestTimeoutMs: 120_000,
    connectTimeoutMs: 10_000,
    maxRetries: 3,
    partSizeBytes: 16 * 1024 * 1024,
    uploadConcurrency: 4,
  };
}

const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);
const UNAVAILABLE_ERROR_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
]);

/**
 * A bucket in S3 or an S3-compatible store (MinIO). Missing objects (NoSuchKey, 404) become
 * ObjectNotFoundError; network errors, timeouts, throttling and 5xx (after the SDK's retries)
 * become UnavailableError. Buffers up to one part are sent with PutObject; larger buffers and
 * every stream go through multipart `Upload`, which reads the stream one part at a time.
 * Checksums are computed only when the operation requires them, for compatibility with
 * S3-compatible stores that do not implement the newer flexible checksums.
 */
export class S3Bucket implements Bucket {
  readonly name: string;
  private readonly client: S3Client;
  private readonly bucketName: string;
  private readonly endpointLabel: string;

  constructor(
    private readonly config: S3BucketConfig,
    private readonly logger: Logger = nopLogger,
  ) {
    const endpoint = resolveEndpoint(config);
    this.bucketName = config.bucketName;
    this.name = config.bucketName;
    this.endpointLabel = endpoint ?? `AWS S3 (${config.region})`;
    const clientConfig: S3ClientConfig = {
      region: config.region,
      endpoint,
      forcePathStyle: config.forcePathStyle,
      maxAttempts: config.maxRetries + 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: config.connectTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        throwOnRequestTimeout: true,
        socketTimeout: config.requestTimeoutMs,
      },
    };
    if (config.accessKeyId) {
      clientConfig.credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
    }
    this.client = new S3Client(clientConfig);
  }

  async get(key: string): Promise<Buffer> {
    validateObjectKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucketName, Key: key }));
      if (!res.Body) return Buffer.alloc(0);
      const bytes = await res.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      throw this.mapError(err, 'get', key);
    }
  }

  async getStream(key: string): Promise<Readable> {
    validateObjectKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucketName, Key: key }));
      if (!res.Body) return Readable.from([]);
      if (res.Body instanceof Readable) return res.Body;
      return Readable.from([Buffer.from(await res.Body.transformToByteArray())]);
    } catch (err) {
      throw this.mapError(err, 'get', key);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    validateObjectKey(key);
    validateRange(key, offset, length);
    // HTTP ranges cannot be empty, and S3 answers 416 for a range starting at the end: both
    // cases need the size to tell an empty answer from an invalid offset.
    if (length === 0) return this.emptyRangeAt(key, offset);
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucketName, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }),
      );
      if (!res.Body) return Buffer.alloc(0);
      const bytes = await res.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if (statusOf(err) === 416 || nameOf(err) === 'InvalidRange') return this.emptyRangeAt(key, offset);
      throw this.mapError(err, 'get range of', key);
    }
  }

  async put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void> {
    validateObjectKey(key);
    const signal = opts?.signal;
    try {
      signal?.throwIfAborted();
      if (Buffer.isBuffer(body) && body.length <= this.config.partSizeBytes) {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucketName, Key: key, Body: body, ContentLength: body.length }),
          { abortSignal: signal },
        );
        return;
      }
      const abortController = new AbortController();
      const onAbort = () => abortController.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const upload = new Upload({
          client: this.client,
          params: { Bucket: this.bucketName, Key: key, Body: body },
          partSize: this.config.partSizeBytes,
          queueSize: this.config.uploadConcurrency,
          leavePartsOnError: false,
          abortController,
        });
        await upload.done();
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } catch (err) {
      throw this.mapError(err, 'put', key);
    }
  }

  async *list(prefix: string, opts?: ListOptions): AsyncIterable<string> {
    const dir = normalizeListPrefix(prefix);
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucketName,
            Prefix: dir === '' ? undefined : dir,
            Delimiter: opts?.recursive ? undefined : DIR_DELIMITER,
            ContinuationToken: token,
          }),
        );
      } catch (err) {
        throw this.mapError(err, 'list', dir);
      }
      // Each page holds a sorted run of objects and one of common prefixes; together they are
      // the next slice of one sorted sequence, so sorting the page keeps the listing sorted.
      const page: string[] = [];
      for (const obj of res.Contents ?? []) {
        // Zero-byte "folder" markers (`a/b/`) made by consoles are not objects.
        if (obj.Key && !obj.Key.endsWith(DIR_DELIMITER)) page.push(obj.Key);
      }
      for (const p of res.CommonPrefixes ?? []) {
        if (p.Prefix && p.Prefix !== dir) page.push(p.Prefix);
      }
      page.sort(compareKeys);
      yield* page;
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    validateObjectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucketName, Key: key }));
    } catch (err) {
      const mapped = this.mapError(err, 'delete', key);
      if (mapped instanceof ObjectNotFoundError) return;
      throw mapped;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.attributes(key);
      return true;
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return false;
      throw err;
    }
  }

  async attributes(key: string): Promise<ObjectAttributes> {
    validateObjectKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucketName, Key: key }));
      return { size: res.ContentLength ?? 0, lastModifiedMs: res.LastModified?.getTime() ?? 0 };
    } catch (err) {
      throw this.mapError(err, 'stat', key);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async emptyRangeAt(key: string, offset: number): Promise<Buffer> {
    const { size } = await this.attributes(key);
    if (offset > size) throw new InvalidRangeError(key, offset, size);
    return Buffer.alloc(0);
  }

  private mapError(err: unknown, op: string, key: string): Error {
    if (err instanceof PanoptesError) return err;
    const name = nameOf(err);
    if (name === 'AbortError') return err as Error;
    const status = statusOf(err);
    if (name === 'NoSuchBucket') {
      return new PanoptesError(
        'internal',
        'bucket_not_found',
        `S3 bucket "${this.bucketName}" does not exist at ${this.endpointLabel}; create it or fix the bucket name`,
        { cause: err },
      );
    }
    if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
      return new ObjectNotFoundError(key, this.name, { cause: err });
    }
    if (
      NETWORK_ERROR_CODES.has(codeOf(err)) ||
      UNAVAILABLE_ERROR_NAMES.has(name) ||
      status === 429 ||
      (status !== undefined && status >= 500)
    ) {
      this.logger.warn('s3 request failed', { bucket: this.bucketName, op, key, err: errorMessage(err) });
      return new UnavailableError(
        'object_store_unavailable',
        `cannot ${op} object "${key}": S3 at ${this.endpointLabel} is unavailable after ${this.config.maxRetries} retries (${name || 'error'}: ${errorMessage(err)}); check that the object store is running and reachable`,
        { cause: err },
      );
    }
    if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      return new PanoptesError(
        'internal',
        'object_store_access_denied',
        `cannot ${op} object "${key}": S3 at ${this.endpointLabel} denied access to bucket "${this.bucketName}" (${name}); check the access key, secret key and bucket policy`,
        { cause: err },
      );
    }
    return new PanoptesError(
      'internal',
      'object_store_error',
      `cannot ${op} object "${key}" in S3 bucket "${this.bucketName}": ${name || 'error'}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

function resolveEndpoint(config: S3BucketConfig): string | undefined {
  const problems: string[] = [];
  if (!config.bucketName) problems.push('the bucket name is empty');
  if (!config.region) problems.push('the region is empty');
  if (config.accessKeyId && !config.secretAccessKey) problems.push('an access key is set without a secret key');
  if (!(config.partSizeBytes >= MIN_PART_SIZE_BYTES)) {
    problems.push(`the part size ${config.partSizeBytes} is below the S3 minimum of ${MIN_PART_SIZE_BYTES} bytes`);
  }
  if (!(config.uploadConcurrency >= 1)) problems.push('the upload concurrency must be at least 1');
  if (!(config.maxRetries >= 0)) problems.push('max retries must not be negative');
  let endpoint: string | undefined;
  if (config.endpoint) {
    endpoint = config.endpoint.includes('://') ? config.endpoint : `${config.insecure ? 'http' : 'https'}://${config.endpoint}`;
    if (endpoint.startsWith('http://') && !config.insecure) {
      problems.push(`the endpoint ${config.endpoint} uses plain http; enable insecure or use https`);
    }
  }
  if (problems.length > 0) throw new ValidationError('invalid_config', `invalid S3 bucket config: ${problems.join('; ')}`);
  return endpoint;
}

// Read off any object: errors from another realm (Node internals under Jest) fail `instanceof Error`.
function nameOf(err: unknown): string {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : '';
}

function statusOf(err: unknown): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

const NETWORK_CODE_IN_MESSAGE = new RegExp(`\\b(${[...NETWORK_ERROR_CODES].join('|')})\\b`);

function codeOf(err: unknown): string {
  let cur: unknown = err;
  // Network errors may arrive wrapped (cause chains); look a few levels down.
  for (let depth = 0; depth < 3 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  // The SDK re-wraps errors that are not `instanceof Error` (e.g. from another realm) keeping only
  // the message ("AWS SDK error wrapper for Error: connect ECONNREFUSED …").
  return NETWORK_CODE_IN_MESSAGE.exec(errorMessage(err))?.[1] ?? '';
}
