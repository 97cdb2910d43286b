import { decodeTime } from 'ulid';
import { ValidationError, validateTenantId } from '@panoptes/common';

/**
 * Object layout of a tenant's blocks (Mimir's, so tools and habits carry over):
 *
 *   <tenant>/bucket-index.json.gz                        the bucket index (this lib)
 *   <tenant>/<ulid>/meta.json                            uploaded last: the block is complete
 *   <tenant>/<ulid>/{index,chunks/000001,…}              block data
 *   <tenant>/<ulid>/deletion-mark.json                   block-local deletion mark (Thanos)
 *   <tenant>/<ulid>/no-compact-mark.json                 block-local no-compact mark (Thanos)
 *   <tenant>/markers/<ulid>-deletion-mark.json           global copy: one listing finds them all
 *   <tenant>/markers/<ulid>-no-compact-mark.json         global copy
 *   <tenant>/markers/series-deletion/<id>.json           a series deletion request (series-deletion.ts)
 *   <tenant>/markers/series-deletion-generation.json     when a request was last made or cancelled
 *
 * Tenant IDs are validated (`validateTenantId`) before they become a key prefix.
 */
export const BUCKET_INDEX_FILENAME = 'bucket-index.json.gz';
export const BLOCK_META_FILENAME = 'meta.json';
export const DELETION_MARK_FILENAME = 'deletion-mark.json';
export const NO_COMPACT_MARK_FILENAME = 'no-compact-mark.json';
/** The per-tenant directory of global marker copies. Never a ULID, so never taken for a block. */
export const MARKERS_DIR = 'markers';

/**
 * The per-tenant directory (under `markers/`) of series deletion requests. Not a ULID and not
 * `<ulid>-…`, so neither the updater's block listing nor the global-marker listing takes it for
 * anything; a non-recursive listing of `markers/` shows it once as a directory.
 */
export const SERIES_DELETION_DIR = 'series-deletion';

export type MarkerKind = 'deletion' | 'no-compact';

const MARKER_FILENAMES: Record<MarkerKind, string> = {
  deletion: DELETION_MARK_FILENAME,
  'no-compact': NO_COMPACT_MARK_FILENAME,
};

// Canonical ULIDs as Prometheus writes them: 26 upper-case Crockford base32 characters, the
// first at most 7 (48-bit timestamp). Lower-case names are not the same object key, so they are
// not taken for blocks.
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

export function isBlockId(name: string): boolean {
  return ULID_RE.test(name);
}

/** Returns the ID or throws a `ValidationError` (`invalid_block_id`) saying what a block ID is. */
export function validateBlockId(id: string): string {
  if (!isBlockId(id)) {
    throw new ValidationError(
      'invalid_block_id',
      `"${String(id).slice(0, 64)}" is not a block ID; name the block by its 26-character upper-case ULID`,
    );
  }
  return id;
}

/** Creation time encoded in a block ULID, ms since the Unix epoch. */
export function blockIdTime(id: string): number {
  return decodeTime(id);
}

export function tenantPrefix(tenant: string): string {
  return `${validateTenantId(tenant)}/`;
}

export function bucketIndexKey(tenant: string): string {
  return tenantPrefix(tenant) + BUCKET_INDEX_FILENAME;
}

export function blockPrefix(tenant: string, id: string): string {
  return `${tenantPrefix(tenant)}${validateBlockId(id)}/`;
}

export function blockMetaKey(tenant: string, id: string): string {
  return blockPrefix(tenant, id) + BLOCK_META_FILENAME;
}

export function markersPrefix(tenant: string): string {
  return `${tenantPrefix(tenant)}${MARKERS_DIR}/`;
}

/** `<tenant>/markers/series-deletion/`: every series deletion request of the tenant. */
export function seriesDeletionPrefix(tenant: string): string {
  return `${markersPrefix(tenant)}${SERIES_DELETION_DIR}/`;
}

/** `<tenant>/markers/series-deletion-generation.json` (series-deletion.ts: `readSeriesDeletionGeneration`). */
export function seriesDeletionGenerationKey(tenant: string): string {
  return `${markersPrefix(tenant)}${SERIES_DELETION_DIR}-generation.json`;
}

/** `<tenant>/markers/series-deletion/<id>.json`; the ID is a ULID (`validateBlockId`'s rule). */
export function seriesDeletionKey(tenant: string, id: string): string {
  return `${seriesDeletionPrefix(tenant)}${validateSeriesDeletionId(id)}.json`;
}

/** Returns the ID or throws a `ValidationError` (`invalid_series_deletion_id`). */
export function validateSeriesDeletionId(id: string): string {
  if (!isBlockId(id)) {
    throw new ValidationError(
      'invalid_series_deletion_id',
      `"${String(id).slice(0, 64)}" is not a series deletion request ID; use the 26-character request_id listed by GET /api/v1/admin/tsdb/delete_series`,
    );
  }
  return id;
}

/** `<tenant>/<ulid>/deletion-mark.json` or `…/no-compact-mark.json`. */
export function blockMarkerKey(tenant: string, id: string, kind: MarkerKind): string {
  return blockPrefix(tenant, id) + MARKER_FILENAMES[kind];
}

/** `<tenant>/markers/<ulid>-deletion-mark.json` or `…-no-compact-mark.json`. */
export function globalMarkerKey(tenant: string, id: string, kind: MarkerKind): string {
  return `${markersPrefix(tenant)}${validateBlockId(id)}-${MARKER_FILENAMES[kind]}`;
}

/**
 * The block ID and marker kind of a global marker's file name (`<ulid>-deletion-mark.json`), or
 * undefined for anything else in `markers/` (e.g. a tenant deletion mark).
 */
export function parseGlobalMarkerName(name: string): { id: string; kind: MarkerKind } | undefined {
  const dash = name.indexOf('-');
  if (dash < 0) return undefined;
  const id = name.slice(0, dash);
  if (!isBlockId(id)) return undefined;
  const file = name.slice(dash + 1);
  for (const kind of Object.keys(MARKER_FILENAMES) as MarkerKind[]) {
    if (MARKER_FILENAMES[kind] === file) return { id, kind };
  }
  return undefined;
}
