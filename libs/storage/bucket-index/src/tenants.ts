import { Bucket } from '@panoptes/bucket';
import { validateTenantId } from '@panoptes/common';

/**
 * Whether a top-level directory of the blocks bucket is not a tenant. Reserved: every name that
 * is not a valid tenant ID (`validateTenantId`), which covers names starting with `__` (kept for
 * Panoptes' own bucket-wide data, e.g. `__markers__`, `__debug__`), `.`/`..` and names with
 * characters a tenant cannot have; plus any name in `extra` (a bucket shared with other data).
 */
export function isReservedTenantDir(name: string, extra: ReadonlySet<string> = new Set()): boolean {
  if (extra.has(name)) return true;
  try {
    validateTenantId(name);
    return false;
  } catch {
    return true;
  }
}

/**
 * Tenants with data in the bucket: the top-level directories, reserved names excluded (see
 * `isReservedTenantDir`); top-level objects are ignored. One listing of the root; sorted.
 */
export async function listTenants(bucket: Bucket, extraReserved: readonly string[] = []): Promise<string[]> {
  const extra = new Set(extraReserved);
  const tenants: string[] = [];
  for await (const key of bucket.list('')) {
    if (!key.endsWith('/')) continue;
    const name = key.slice(0, -1);
    if (!isReservedTenantDir(name, extra)) tenants.push(name);
  }
  return tenants;
}
