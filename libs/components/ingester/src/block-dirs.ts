import { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isValid as isValidUlid } from 'ulid';
import { validateTenantId } from '@panoptes/common';

/** The file whose presence makes a local block directory a complete block. */
export const BLOCK_META_FILE = 'meta.json';
/** Suffix of the directory BlockWriter fills before renaming it to `<ulid>` (Prometheus' name). */
export const TMP_FOR_CREATION_SUFFIX = '.tmp-for-creation';
/** Suffix a block directory is renamed to before it is removed, so a crash never leaves half a block. */
export const TMP_FOR_DELETION_SUFFIX = '.tmp-for-deletion';

/** What a tenant's blocks directory holds. */
export interface LocalBlocks {
  /** ULIDs of complete blocks (a `<ulid>/` directory with meta.json), sorted. */
  complete: string[];
  /** Directories left by a crash: `*.tmp-for-creation`, `*.tmp-for-deletion`, `<ulid>/` without meta.json. */
  incomplete: string[];
}

/**
 * The ingester's local layout, one tree per tenant:
 *
 *   <dataDir>/tenants/<tenant>/blocks/<ulid>/{meta.json, index, chunks/000001…, tombstones}
 *   <dataDir>/tenants/<tenant>/shipper.json
 *
 * Tenant IDs are validated (`validateTenantId`) before they become a path, so no tenant reaches
 * outside `<dataDir>/tenants/`. Entries of a blocks directory that are neither a ULID nor a crash
 * leftover are ignored, never removed.
 */
export class BlockDirs {
  constructor(readonly dataDir: string) {}

  tenantsDir(): string {
    return join(this.dataDir, 'tenants');
  }

  tenantDir(tenant: string): string {
    return join(this.tenantsDir(), validateTenantId(tenant));
  }

  /** Where `Head.cutBlock` writes the tenant's blocks. */
  blocksDir(tenant: string): string {
    return join(this.tenantDir(tenant), 'blocks');
  }

  blockDir(tenant: string, ulid: string): string {
    return join(this.blocksDir(tenant), ulid);
  }

  shipperFile(tenant: string): string {
    return join(this.tenantDir(tenant), 'shipper.json');
  }

  /** Tenants with a local directory, sorted; names that are not valid tenant IDs are skipped. */
  async tenants(): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readDirIfExists(this.tenantsDir())) {
      if (entry.isDirectory() && isTenantId(entry.name)) out.push(entry.name);
    }
    return out.sort();
  }

  /** The tenant's complete and incomplete block directories. */
  async scan(tenant: string): Promise<LocalBlocks> {
    const dir = this.blocksDir(tenant);
    const complete: string[] = [];
    const incomplete: string[] = [];
    for (const entry of await readDirIfExists(dir)) {
      if (!entry.isDirectory()) continue;
      const name = entry.name;
      if (name.endsWith(TMP_FOR_CREATION_SUFFIX) || name.endsWith(TMP_FOR_DELETION_SUFFIX)) {
        incomplete.push(name);
      } else if (isValidUlid(name)) {
        if (await isFile(join(dir, name, BLOCK_META_FILE))) complete.push(name);
        else incomplete.push(name);
      }
    }
    return { complete: complete.sort(), incomplete: incomplete.sort() };
  }
}

function isTenantId(name: string): boolean {
  try {
    validateTenantId(name);
    return true;
  } catch {
    return false;
  }
}

async function readDirIfExists(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return [];
    throw err;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if (codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR') return false;
    throw err;
  }
}

export function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}
