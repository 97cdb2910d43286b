import { Readable } from 'node:stream';
import { ValidationError } from '@panoptes/common';

/**
 * An object store, with the semantics of Thanos `objstore.Bucket` as Mimir uses it:
 *   - objects are whole: a reader sees the old object or the new one, never a mix or a prefix;
 *   - keys are `/`-separated (see `validateObjectKey`); "directories" exist only as key prefixes;
 *   - listings come in UTF-8 byte order (S3's order) on every backend;
 *   - get, getStream, getRange and attributes throw `ObjectNotFoundError` for a missing object;
 *     delete of a missing object and exists of a missing object are not errors.
 */
export interface Bucket {
  /** Identifies the store in logs and cache keys (a directory, or an S3 bucket name). */
  readonly name: string;

  get(key: string): Promise<Buffer>;
  /** The object as a stream; the caller must consume or destroy it. */
  getStream(key: string): Promise<Readable>;
  /**
   * `length` bytes from `offset`. A range running past the end returns the bytes that exist;
   * `offset === size` returns an empty buffer; `offset > size` throws `InvalidRangeError`.
   */
  getRange(key: string, offset: number, length: number): Promise<Buffer>;
  /**
   * Writes the object, replacing any previous one. A Readable body is streamed (never held in
   * memory whole); the object becomes visible only once it is complete.
   */
  put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void>;
  /**
   * Keys under the directory `prefix` (`''` is the root; `a` and `a/` are the same), in UTF-8
   * byte order. Non-recursive listings return the objects directly under the prefix and each
   * sub-directory once, with a trailing `/` (`tenant/` → `tenant/01ABC/`). Recursive listings
   * return every object under the prefix and no directories.
   */
  list(prefix: string, opts?: ListOptions): AsyncIterable<string>;
  /** Removes the object; removing a missing object succeeds. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  attributes(key: string): Promise<ObjectAttributes>;
  /** Releases connections. Wrappers close what they wrap; views (PrefixedBucket) do not. */
  close(): Promise<void>;
}

export interface PutOptions {
  /** Aborts the upload; nothing becomes visible. */
  signal?: AbortSignal;
}

export interface ListOptions {
  /** List every object below the prefix instead of one level. */
  recursive?: boolean;
}

export interface ObjectAttributes {
  /** Object size in bytes. */
  size: number;
  /** Last modification time, milliseconds since the Unix epoch (S3 has second precision). */
  lastModifiedMs: number;
}

/** Collects a listing into an array (sorted, as every listing is). */
export async function listAll(bucket: Bucket, prefix: string, opts?: ListOptions): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of bucket.list(prefix, opts)) keys.push(key);
  return keys;
}

/** Reads a stream to its end. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(toBuffer(chunk));
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new ValidationError('invalid_object_body', `object body stream yielded a ${typeof chunk}; yield Buffers or strings`);
}

/** Throws unless offset and length are non-negative safe integers. */
export function validateRange(key: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new ValidationError(
      'invalid_object_range',
      `range offset ${offset} length ${length} for object "${key}" is invalid; both must be non-negative integers`,
    );
  }
}
