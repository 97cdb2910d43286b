import { open, writeFile } from 'node:fs/promises';

/** fsyncs a directory, so entries created, renamed or removed in it survive a crash. Errors propagate. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Creates `path` (it must not exist) holding `data`, and fsyncs it before resolving. */
export async function writeFileSynced(path: string, data: Uint8Array): Promise<void> {
  await writeFile(path, data, { flag: 'wx' });
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
