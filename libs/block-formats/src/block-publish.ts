import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileSynced } from '@panoptes/common';
import { BlockMeta, ThanosFile, encodeMeta } from './meta';

/**
 * Thanos' file list of a block being written in `tmpDir`: its chunk segments and index with their
 * sizes, then meta.json (no size). Tombstones are not listed, as in Thanos.
 */
export async function thanosFileList(tmpDir: string, segmentFiles: readonly string[]): Promise<ThanosFile[]> {
  const files: ThanosFile[] = [];
  for (const name of segmentFiles) {
    const rel = `chunks/${name}`;
    files.push({ rel_path: rel, size_bytes: (await stat(join(tmpDir, rel))).size });
  }
  files.push({ rel_path: 'index', size_bytes: (await stat(join(tmpDir, 'index'))).size });
  files.push({ rel_path: 'meta.json' });
  return files;
}

/**
 * The last steps of writing a block, shared by every writer: meta.json written and fsynced last,
 * the chunks directory and the block directory fsynced, the block renamed from `tmpDir` into
 * `finalDir`, and the parent directory fsynced, so a crash leaves either no block or a whole one.
 */
export async function publishBlock(tmpDir: string, finalDir: string, parentDir: string, meta: BlockMeta): Promise<void> {
  await writeFileSynced(join(tmpDir, 'meta.json'), Buffer.from(encodeMeta(meta)));
  await syncDir(join(tmpDir, 'chunks'));
  await syncDir(tmpDir);
  await rename(tmpDir, finalDir);
  await syncDir(parentDir);
}
