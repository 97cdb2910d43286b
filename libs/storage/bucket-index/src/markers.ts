import { Bucket, isObjectNotFound } from '@panoptes/bucket';
import { Clock } from '@panoptes/common';
import { mapConcurrent } from './concurrency';
import { MarkerCorruptError, MarkerNotFoundError, isMarkerCorrupt, isMarkerNotFound } from './errors';
import { MarkerKind, blockMarkerKey, globalMarkerKey, markersPrefix, parseGlobalMarkerName, validateBlockId } from './layout';

/**
 * Block markers in Thanos' file format (so Thanos/Mimir tooling reads ours and back), written
 * twice as Mimir does: in the block (`<tenant>/<ulid>/deletion-mark.json`), the canonical copy,
 * and in `<tenant>/markers/<ulid>-deletion-mark.json`, the global copy that lets one listing of
 * `markers/` find every mark of a tenant. Invariants:
 *   - marking writes the block copy first, then the global copy; removal deletes the global copy
 *     first. A crash in between leaves a block copy without a global one, which the next mark
 *     call repairs (marking is idempotent and keeps the first mark's time);
 *   - readers of many marks (`readDeletionMarks`, the updater) list `markers/` once and read the
 *     global copies; nothing reads one file per block to find marks.
 * Times in this API are ms since the Unix epoch; the files hold Unix seconds (Thanos' format), so
 * they come back rounded down to the second.
 */
export const MARKER_VERSION_1 = 1;

export interface DeletionMark {
  /** ULID of the marked block. */
  id: string;
  /** When the block was marked, ms since the Unix epoch (second precision). */
  deletionTime: number;
  /** Why the block is deleted (free text, e.g. "source of compacted block 01J…"). */
  details: string;
}

/** Thanos' reasons for a no-compact mark; other strings are kept as read. */
export const NO_COMPACT_REASON_MANUAL = 'manual';
export const NO_COMPACT_REASON_CRITICAL = 'critical';
export const NO_COMPACT_REASON_INDEX_SIZE_EXCEEDING = 'index-size-exceeding';
export const NO_COMPACT_REASON_OUT_OF_ORDER_CHUNKS = 'block-index-out-of-order-chunk';

export interface NoCompactMark {
  /** ULID of the block the compactor must leave alone. */
  id: string;
  /** When the block was marked, ms since the Unix epoch (second precision). */
  noCompactTime: number;
  /** Machine-readable reason (`manual`, `critical`, `index-size-exceeding`, …). */
  reason: string;
  /** Human-readable explanation. */
  details: string;
}

/** A marker that could not be used, with the key to look at. */
export interface CorruptMarker {
  id: string;
  key: string;
  error: string;
}

export interface MarkerListing<M> {
  /** Valid marks, sorted by block id. */
  marks: M[];
  /** Marks whose global copy does not decode (skipped, not fatal). */
  corrupted: CorruptMarker[];
}

/** Block IDs with a global marker, by kind, from one listing of `<tenant>/markers/`. Sorted. */
export interface GlobalMarkers {
  deletion: string[];
  noCompact: string[];
}

/** Reads of marker files in flight at once in `readDeletionMarks` / `readNoCompactMarks`. */
const DEFAULT_READ_CONCURRENCY = 16;

interface MarkerCodec<M extends { id: string }> {
  kind: MarkerKind;
  encode(mark: M): Record<string, unknown>;
  decode(raw: Record<string, unknown>, fail: (problem: string) => never): M;
}

const deletionCodec: MarkerCodec<DeletionMark> = {
  kind: 'deletion',
  encode: (m) => ({ id: m.id, version: MARKER_VERSION_1, details: m.details, deletion_time: Math.floor(m.deletionTime / 1000) }),
  decode: (raw, fail) => {
    if (!isSafeNumber(raw.deletion_time)) fail('"deletion_time" is not a number of seconds');
    return { id: raw.id as string, deletionTime: (raw.deletion_time as number) * 1000, details: stringOr(raw.details) };
  },
};

const noCompactCodec: MarkerCodec<NoCompactMark> = {
  kind: 'no-compact',
  encode: (m) => ({
    id: m.id,
    version: MARKER_VERSION_1,
    details: m.details,
    no_compact_time: Math.floor(m.noCompactTime / 1000),
    reason: m.reason,
  }),
  decode: (raw, fail) => {
    if (!isSafeNumber(raw.no_compact_time)) fail('"no_compact_time" is not a number of seconds');
    return {
      id: raw.id as string,
      noCompactTime: (raw.no_compact_time as number) * 1000,
      reason: stringOr(raw.reason),
      details: stringOr(raw.details),
    };
  },
};

function isSafeNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function stringOr(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * Marks the block for deletion (Thanos' `MarkForDeletion`). Idempotent: a block already marked
 * keeps its original mark (and its global copy is written if it was missing); the existing or new
 * mark is returned. The block need not be complete: partial blocks are marked too.
 */
export async function markForDeletion(
  bucket: Bucket,
  tenant: string,
  id: string,
  details: string,
  clock: Clock,
): Promise<DeletionMark> {
  return writeMarker(bucket, tenant, deletionCodec, { id, deletionTime: clock.now(), details });
}

/** Marks the block so the compactor never compacts it (idempotent, as `markForDeletion`). */
export async function markNoCompact(
  bucket: Bucket,
  tenant: string,
  id: string,
  reason: string,
  details: string,
  clock: Clock,
): Promise<NoCompactMark> {
  return writeMarker(bucket, tenant, noCompactCodec, { id, noCompactTime: clock.now(), reason, details });
}

/** The block's deletion mark (global copy). Throws `MarkerNotFoundError` / `MarkerCorruptError`. */
export async function readDeletionMark(bucket: Bucket, tenant: string, id: string): Promise<DeletionMark> {
  return readMarker(bucket, tenant, globalMarkerKey(tenant, validateBlockId(id), 'deletion'), id, deletionCodec);
}

/** The block's no-compact mark (global copy). Throws `MarkerNotFoundError` / `MarkerCorruptError`. */
export async function readNoCompactMark(bucket: Bucket, tenant: string, id: string): Promise<NoCompactMark> {
  return readMarker(bucket, tenant, globalMarkerKey(tenant, validateBlockId(id), 'no-compact'), id, noCompactCodec);
}

/** Every deletion mark of the tenant: one listing of `markers/`, then one read per mark. */
export async function readDeletionMarks(
  bucket: Bucket,
  tenant: string,
  concurrency = DEFAULT_READ_CONCURRENCY,
): Promise<MarkerListing<DeletionMark>> {
  const { deletion } = await listGlobalMarkers(bucket, tenant);
  return readMarkers(bucket, tenant, deletion, deletionCodec, concurrency);
}

/** Every no-compact mark of the tenant: one listing of `markers/`, then one read per mark. */
export async function readNoCompactMarks(
  bucket: Bucket,
  tenant: string,
  concurrency = DEFAULT_READ_CONCURRENCY,
): Promise<MarkerListing<NoCompactMark>> {
  const { noCompact } = await listGlobalMarkers(bucket, tenant);
  return readMarkers(bucket, tenant, noCompact, noCompactCodec, concurrency);
}

/**
 * Removes the block's deletion mark, for the compactor once the block's files are gone: the copy
 * in the block's directory first, the global copy last. The index updater keeps a block it knew
 * while its directory exists, and learns marks from the global copies, so the global mark must
 * outlive the directory: a crash in between would otherwise leave a half-deleted block listed
 * unmarked, and queriers would read it.
 */
export async function removeDeletionMark(bucket: Bucket, tenant: string, id: string): Promise<void> {
  validateBlockId(id);
  await bucket.delete(blockMarkerKey(tenant, id, 'deletion'));
  await bucket.delete(globalMarkerKey(tenant, id, 'deletion'));
}

/** Removes the block's no-compact mark (global copy first): the compactor may compact it again. */
export async function removeNoCompactMark(bucket: Bucket, tenant: string, id: string): Promise<void> {
  await removeMarker(bucket, tenant, validateBlockId(id), 'no-compact');
}

/** One listing of `<tenant>/markers/`; entries that are not block markers are ignored. */
export async function listGlobalMarkers(bucket: Bucket, tenant: string): Promise<GlobalMarkers> {
  const prefix = markersPrefix(tenant);
  const out: GlobalMarkers = { deletion: [], noCompact: [] };
  for await (const key of bucket.list(prefix)) {
    const parsed = parseGlobalMarkerName(key.slice(prefix.length));
    if (!parsed) continue;
    (parsed.kind === 'deletion' ? out.deletion : out.noCompact).push(parsed.id);
  }
  return out;
}

/**
 * Reads the global deletion marks of `ids` (from a listing). A mark gone since the listing is
 * skipped; a corrupt one is reported. Used by `readDeletionMarks` and the updater.
 */
export async function readDeletionMarksOf(
  bucket: Bucket,
  tenant: string,
  ids: readonly string[],
  concurrency = DEFAULT_READ_CONCURRENCY,
): Promise<MarkerListing<DeletionMark>> {
  return readMarkers(bucket, tenant, ids, deletionCodec, concurrency);
}

async function readMarkers<M extends { id: string }>(
  bucket: Bucket,
  tenant: string,
  ids: readonly string[],
  codec: MarkerCodec<M>,
  concurrency: number,
): Promise<MarkerListing<M>> {
  const listing: MarkerListing<M> = { marks: [], corrupted: [] };
  const results = await mapConcurrent(ids, concurrency, async (id) => {
    const key = globalMarkerKey(tenant, id, codec.kind);
    try {
      return { mark: await readMarker(bucket, tenant, key, id, codec) };
    } catch (err) {
      // Removed between the listing and the read: the block is being deleted; nothing to report.
      if (isMarkerNotFound(err)) return {};
      if (isMarkerCorrupt(err)) return { corrupt: { id, key, error: err.message } };
      throw err;
    }
  });
  for (const r of results) {
    if (r.mark) listing.marks.push(r.mark);
    if (r.corrupt) listing.corrupted.push(r.corrupt);
  }
  listing.marks.sort((a, b) => compareIds(a.id, b.id));
  return listing;
}

async function readMarker<M extends { id: string }>(
  bucket: Bucket,
  tenant: string,
  key: string,
  id: string,
  codec: MarkerCodec<M>,
): Promise<M> {
  let data: Buffer;
  try {
    data = await bucket.get(key);
  } catch (err) {
    if (isObjectNotFound(err)) throw new MarkerNotFoundError(key, tenant);
    throw err;
  }
  return decodeMarker(data, key, tenant, id, codec);
}

function decodeMarker<M extends { id: string }>(data: Buffer, key: string, tenant: string, id: string, codec: MarkerCodec<M>): M {
  const fail = (problem: string, cause?: unknown): never => {
    throw new MarkerCorruptError(key, tenant, problem, { cause });
  };
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString('utf8'));
  } catch (err) {
    fail('not valid JSON', err);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not a JSON object');
  const obj = raw as Record<string, unknown>;
  if (obj.version !== MARKER_VERSION_1) fail(`unsupported version ${JSON.stringify(obj.version)}`);
  if (obj.id !== id) fail(`it names block ${JSON.stringify(obj.id)}, not ${id}`);
  return codec.decode(obj, fail);
}

async function writeMarker<M extends { id: string }>(bucket: Bucket, tenant: string, codec: MarkerCodec<M>, mark: M): Promise<M> {
  const id = validateBlockId(mark.id);
  const localKey = blockMarkerKey(tenant, id, codec.kind);
  const globalKey = globalMarkerKey(tenant, id, codec.kind);
  let existing: M | undefined;
  try {
    existing = decodeMarker(await bucket.get(localKey), localKey, tenant, id, codec);
  } catch (err) {
    // A missing mark is the usual case; a corrupt one is replaced by the new mark.
    if (!isObjectNotFound(err) && !isMarkerCorrupt(err)) throw err;
  }
  const body = Buffer.from(JSON.stringify(codec.encode(existing ?? mark), null, '\t'), 'utf8');
  if (!existing) await bucket.put(localKey, body);
  // Also when the block copy existed: the global copy may be missing after a crash.
  if (!existing || !(await bucket.exists(globalKey))) await bucket.put(globalKey, body);
  return existing ?? decodeMarker(body, localKey, tenant, id, codec);
}

async function removeMarker(bucket: Bucket, tenant: string, id: string, kind: MarkerKind): Promise<void> {
  await bucket.delete(globalMarkerKey(tenant, id, kind));
  await bucket.delete(blockMarkerKey(tenant, id, kind));
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
