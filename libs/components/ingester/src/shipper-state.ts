import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isValid as isValidUlid } from 'ulid';
import { errorMessage } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { codeOf } from './block-dirs';

/**
 * `shipper.json`: the blocks of one tenant already uploaded, so a restart does not upload them
 * again. `{"version":1,"shipped":{"<ulid>":<upload time, ms since epoch>}}` (Mimir's shape).
 */
export interface ShipperStateFile {
  version: 1;
  shipped: Record<string, number>;
}

const STATE_VERSION = 1;

/**
 * Reads the shipped blocks. A missing file is an empty set; an unreadable or corrupt one is logged
 * and treated as empty too: the worst outcome is that blocks are uploaded again, which is harmless
 * (uploads overwrite whole objects with the same bytes).
 */
export async function readShipperState(path: string, logger: Logger): Promise<Map<string, number>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return new Map();
    throw err;
  }
  const shipped = new Map<string, number>();
  try {
    const parsed = JSON.parse(text) as Partial<ShipperStateFile> | null;
    if (!parsed || parsed.version !== STATE_VERSION || typeof parsed.shipped !== 'object' || parsed.shipped === null) {
      throw new Error(`expected {"version":${STATE_VERSION},"shipped":{…}}`);
    }
    for (const [ulid, at] of Object.entries(parsed.shipped)) {
      if (isValidUlid(ulid)) shipped.set(ulid, typeof at === 'number' ? at : 0);
    }
  } catch (err) {
    logger.warn('shipper state unreadable; blocks will be uploaded again', { file: path, err: errorMessage(err) });
    return new Map();
  }
  return shipped;
}

/** Replaces the file atomically: write a temporary file, fsync, rename over, fsync the directory. */
export async function writeShipperState(path: string, shipped: ReadonlyMap<string, number>): Promise<void> {
  const state: ShipperStateFile = {
    version: STATE_VERSION,
    shipped: Object.fromEntries([...shipped.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  const tmp = `${path}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on a directory; the rename is already visible
  } finally {
    await fh.close();
  }
}
