import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { PanoptesError, ValidationError, errorMessage } from '@panoptes/common';
import { Logger, nopLogger } from '@panoptes/log';
import { Bucket, ListOptions, ObjectAttributes, PutOptions, toBuffer, validateRange } from './bucket';
import { InvalidRangeError, ObjectNotFoundError } from './errors';
import { DIR_DELIMITER, TEMP_FILE_PREFIX, compareKeys, normalizeListPrefix, validateObjectKey } from './object-key';

export interface FilesystemBucketConfig {
  /** Directory that holds the objects (created on the first write); keys are paths below it. */
  dir: string;
}

export function defaultFilesystemBucketConfig(): FilesystemBucketConfig {
  return { dir: './data' };
}

// Errors that mean "no object at this path": missing, a path component is a file, or a directory.
const NOT_AN_OBJECT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/**
 * A bucket in a local directory: the all-in-one default. Invariants:
 *   - a put writes a temporary file (`.panoptes-tmp-<random>`) in the object's own directory,
 *     fsyncs it and renames it over the key, so readers see the old or the new object, never a
 *     part; temporary files (also those left by a crash) never appear in listings;
 *   - no key reaches outside the root (`..` and absolute keys are rejected);
 *   - delete removes the directories it leaves empty, up to (not including) the root;
 *   - a path cannot be both an object and a directory of objects (S3 allows it; here it is a
 *     ValidationError), so keep keys such that no key is a prefix-directory of another.
 */
export class FilesystemBucket implements Bucket {
  readonly name: string;
  private readonly root: string;

  constructor(
    config: FilesystemBucketConfig,
    private readonly logger: Logger = nopLogger,
  ) {
    if (!config.dir) {
      throw new ValidationError('invalid_config', 'filesystem bucket directory is empty; set it to a writable directory');
    }
    this.root = path.resolve(config.dir);
    this.name = this.root;
  }

  async get(key: string): Promise<Buffer> {
    const file = this.pathOf(key);
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw this.readError(err, key);
    }
  }

  async getStream(key: string): Promise<Readable> {
    // Opening first pins the current version: a later rename replaces the name, not our inode.
    const { handle } = await this.openObject(key);
    return handle.createReadStream({ autoClose: true });
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    validateRange(key, offset, length);
    const { handle, size } = await this.openObject(key);
    try {
      if (offset > size) throw new InvalidRangeError(key, offset, size);
      const want = Math.min(length, size - offset);
      const buf = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(buf, got, want - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got < want ? buf.subarray(0, got) : buf;
    } finally {
      await handle.close();
    }
  }

  async put(key: string, body: Buffer | Readable, opts?: PutOptions): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    const tmp = path.join(dir, TEMP_FILE_PREFIX + randomBytes(8).toString('hex'));
    const signal = opts?.signal;
    let renamed = false;
    try {
      signal?.throwIfAborted();
      const handle = await this.createTemp(dir, tmp);
      try {
        if (Buffer.isBuffer(body)) {
          await handle.writeFile(body);
        } else {
          // A body that stops producing would park the loop in next() forever, where a check
          // between chunks never runs: destroying the body on abort ends the iteration.
          const onAbort = () => body.destroy();
          signal?.addEventListener('abort', onAbort, { once: true });
          try {
            for await (const chunk of body) {
              signal?.throwIfAborted();
              await handle.writeFile(toBuffer(chunk));
            }
          } finally {
            signal?.removeEventListener('abort', onAbort);
          }
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      signal?.throwIfAborted();
      await fs.rename(tmp, file);
      renamed = true;
      await syncDir(dir);
    } catch (err) {
      // Whatever failed after an abort (the destroyed body reports a premature close), the
      // caller asked to stop: report the abort reason, as every other abort path here does.
      signal?.throwIfAborted();
      throw this.writeError(err, key);
    } finally {
      if (!renamed) await fs.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async *list(prefix: string, opts?: ListOptions): AsyncIterable<string> {
    const dirPrefix = normalizeListPrefix(prefix);
    const dir = dirPrefix === '' ? this.root : path.join(this.root, ...dirPrefix.slice(0, -1).split(DIR_DELIMITER));
    const keys: string[] = [];
    if (opts?.recursive) {
      await walk(dir, dirPrefix, keys);
    } else {
      for (const entry of await readDir(dir)) {
        if (entry.name.startsWith(TEMP_FILE_PREFIX)) continue;
        if (entry.isFile()) {
          keys.push(dirPrefix + entry.name);
        } else if (entry.isDirectory() && (await holdsObject(path.join(dir, entry.name)))) {
          // A directory holding only crash leftovers is not a "directory" of the bucket.
          keys.push(dirPrefix + entry.name + DIR_DELIMITER);
        }
      }
    }
    // Sorted as a whole (not per directory): S3 order puts `a.txt` before `a/b`.
    keys.sort(compareKeys);
    yield* keys;
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await fs.unlink(file);
    } catch (err) {
      if (NOT_AN_OBJECT.has(codeOf(err))) return;
      throw this.writeError(err, key);
    }
    await this.removeEmptyParents(path.dirname(file));
  }

  async exists(key: string): Promise<boolean> {
    const file = this.pathOf(key);
    try {
      return (await fs.stat(file)).isFile();
    } catch (err) {
      if (NOT_AN_OBJECT.has(codeOf(err))) return false;
      throw this.readError(err, key);
    }
  }

  async attributes(key: string): Promise<ObjectAttributes> {
    const file = this.pathOf(key);
    let stat;
    try {
      stat = await fs.stat(file);
    } catch (err) {
      throw this.readError(err, key);
    }
    if (!stat.isFile()) throw new ObjectNotFoundError(key, this.name);
    return { size: stat.size, lastModifiedMs: Math.floor(stat.mtimeMs) };
  }

  async close(): Promise<void> {
    // nothing to release: every operation opens and closes its own files
  }

  private pathOf(key: string): string {
    validateObjectKey(key);
    const file = path.join(this.root, ...key.split(DIR_DELIMITER));
    // validateObjectKey already rejects `..` and absolute keys; this keeps the invariant explicit.
    const rel = path.relative(this.root, file);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new ValidationError('invalid_object_key', `object key "${key}" resolves outside the bucket directory`);
    }
    return file;
  }

  private async openObject(key: string): Promise<{ handle: FileHandle; size: number }> {
    const file = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      throw this.readError(err, key);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new ObjectNotFoundError(key, this.name);
      return { handle, size: stat.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  private async createTemp(dir: string, tmp: string): Promise<FileHandle> {
    // A concurrent delete may remove the directory between mkdir and open (it prunes empty
    // parents), so retry a few times.
    for (let attempt = 0; ; attempt++) {
      await fs.mkdir(dir, { recursive: true });
      try {
        return await fs.open(tmp, 'wx');
      } catch (err) {
        if (codeOf(err) !== 'ENOENT' || attempt >= 5) throw err;
      }
    }
  }

  private async removeEmptyParents(dir: string): Promise<void> {
    while (dir !== this.root && dir.startsWith(this.root + path.sep)) {
      try {
        await fs.rmdir(dir);
      } catch {
        return; // not empty, already gone, or no permission: best effort
      }
      dir = path.dirname(dir);
    }
  }

  private readError(err: unknown, key: string): Error {
    if (err instanceof PanoptesError) return err;
    if (NOT_AN_OBJECT.has(codeOf(err))) return new ObjectNotFoundError(key, this.name, { cause: err });
    return this.ioError(err, key, 'read');
  }

  private writeError(err: unknown, key: string): Error {
    if (err instanceof PanoptesError) return err;
    if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError') return err as Error;
    switch (codeOf(err)) {
      case 'ENOTDIR':
      case 'EEXIST':
      case 'EISDIR':
      case 'ENOTEMPTY':
        return new ValidationError(
          'object_key_conflict',
          `object key "${key}" conflicts with another object in bucket "${this.name}": the filesystem backend cannot hold an object and a directory of objects at the same path; choose keys where no key is a directory of another`,
          { cause: err },
        );
      case 'ENAMETOOLONG':
        return new ValidationError(
          'invalid_object_key',
          `object key "${key}" has a path segment too long for the filesystem; use shorter segments`,
          { cause: err },
        );
    }
    return this.ioError(err, key, 'write');
  }

  private ioError(err: unknown, key: string, op: string): Error {
    this.logger.warn('filesystem bucket I/O failed', { bucket: this.name, key, op, err: errorMessage(err) });
    return new PanoptesError(
      'internal',
      'object_store_io',
      `cannot ${op} object "${key}" in directory ${this.root}: ${errorMessage(err)}; check the disk and permissions`,
      { cause: err },
    );
  }
}

async function readDir(dir: string) {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (NOT_AN_OBJECT.has(codeOf(err))) return [];
    throw err;
  }
}

async function walk(dir: string, keyPrefix: string, out: string[]): Promise<void> {
  for (const entry of await readDir(dir)) {
    if (entry.name.startsWith(TEMP_FILE_PREFIX)) continue;
    if (entry.isFile()) out.push(keyPrefix + entry.name);
    else if (entry.isDirectory()) await walk(path.join(dir, entry.name), keyPrefix + entry.name + DIR_DELIMITER, out);
  }
}

async function holdsObject(dir: string): Promise<boolean> {
  const entries = await readDir(dir);
  for (const entry of entries) {
    if (!entry.name.startsWith(TEMP_FILE_PREFIX) && entry.isFile()) return true;
  }
  for (const entry of entries) {
    if (entry.isDirectory() && (await holdsObject(path.join(dir, entry.name)))) return true;
  }
  return false;
}

// Makes the rename durable; best effort (some filesystems refuse fsync on directories).
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // ignored: the object is already visible; only durability across a power loss is at stake
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}
