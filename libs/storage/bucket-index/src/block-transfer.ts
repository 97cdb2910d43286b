import { createWriteStream } from 'node:fs';
import { open, mkdir, readdir, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { BlockMeta, CorruptBlockError, encodeMeta } from '@panoptes/block-formats';
import { Bucket, listAll } from '@panoptes/bucket';
import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { BLOCK_META_FILENAME, blockPrefix } from './layout';

/** A file of a local block: its path inside the block (`/`-separated, the key below `<tenant>/<ulid>/`) and on disk. */
export interface BlockFile {
  rel: string;
  path: string;
}

/**
 * The files of a local block to upload before meta.json: chunk segments (in name order), index,
 * tombstones when present. A block without index or chunk segments is corrupt.
 */
export async function blockDataFiles(dir: string, ulid: string): Promise<BlockFile[]> {
  const files: BlockFile[] = [];
  let segments: string[];
  try {
    segments = (await readdir(join(dir, 'chunks'), { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    segments = [];
  }
  if (segments.length === 0) throw new CorruptBlockError(`block ${ulid} in ${dir} has no chunk segment files; remove the block`);
  for (const name of segments) files.push({ rel: `chunks/${name}`, path: join(dir, 'chunks', name) });
  files.push({ rel: 'index', path: join(dir, 'index') });
  try {
    await stat(join(dir, 'tombstones'));
    files.push({ rel: 'tombstones', path: join(dir, 'tombstones') });
  } catch {
    // no tombstones file
  }
  return files;
}

/**
 * Uploads a local block to `<tenant>/<ulid>/`: every data file streamed from disk, then `meta`
 * (what the caller wants readers to see) as meta.json LAST, so the block becomes visible only
 * when complete. A failure before meta.json removes what was uploaded (best effort; leftovers
 * without meta.json are partial blocks that readers ignore and a retry overwrites). A failed
 * meta.json upload is not cleaned up: S3 may still make it visible later.
 */
export async function uploadBlock(
  bucket: Bucket,
  tenant: string,
  files: readonly BlockFile[],
  meta: BlockMeta,
  logger: Logger,
  signal?: AbortSignal,
): Promise<{ files: number; bytes: number }> {
  const prefix = blockPrefix(tenant, meta.ulid);
  const written: string[] = [];
  let bytes = 0;
  try {
    for (const f of files) {
      bytes += await putFile(bucket, prefix + f.rel, f.path, signal);
      written.push(prefix + f.rel);
    }
  } catch (err) {
    for (const key of written) {
      try {
        await bucket.delete(key);
      } catch (deleteErr) {
        logger.warn('partial block upload not cleaned up', { tenant, block: meta.ulid, key, err: errorMessage(deleteErr) });
        break;
      }
    }
    throw err;
  }
  const metaBytes = Buffer.from(encodeMeta(meta));
  await bucket.put(prefix + BLOCK_META_FILENAME, metaBytes, { signal });
  return { files: files.length + 1, bytes: bytes + metaBytes.length };
}

/** Downloads `<tenant>/<ulid>/` (every object, meta.json included) into `dir`, streaming. */
export async function downloadBlock(bucket: Bucket, tenant: string, ulid: string, dir: string): Promise<void> {
  const prefix = blockPrefix(tenant, ulid);
  for (const key of await listAll(bucket, prefix, { recursive: true })) {
    const path = join(dir, key.slice(prefix.length));
    await mkdir(dirname(path), { recursive: true });
    await pipeline(await bucket.getStream(key), createWriteStream(path));
  }
}

async function putFile(bucket: Bucket, key: string, path: string, signal: AbortSignal | undefined): Promise<number> {
  // Opening first turns a missing file into an error here rather than inside the bucket's stream handling.
  const handle: FileHandle = await open(path, 'r');
  const size = (await handle.stat()).size;
  const stream = handle.createReadStream({ autoClose: true, highWaterMark: 1 << 20 });
  try {
    await bucket.put(key, stream, { signal });
  } finally {
    if (!stream.closed) {
      const closed = once(stream, 'close');
      stream.destroy();
      await closed.catch(() => undefined);
    }
  }
  return size;
}
