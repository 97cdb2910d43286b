import { ulid } from 'ulid';
import { Bucket, isObjectNotFound } from '@panoptes/bucket';
import { Clock, PanoptesError, ValidationError, errorMessage, validateTenantId } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { mapConcurrent } from './concurrency';
import { SeriesDeletionRequestCorruptError, SeriesDeletionRequestNotFoundError, isSeriesDeletionRequestCorrupt, isSeriesDeletionRequestNotFound } from './errors';
import { isBlockId, seriesDeletionGenerationKey, seriesDeletionKey, seriesDeletionPrefix, validateSeriesDeletionId } from './layout';
import type { CorruptMarker } from './markers';

/**
 * A request to delete the samples of the series matching any of `matchers` in [startMs, endMs]
 * (both inclusive), Prometheus' `delete_series`. Stored as JSON at
 * `<tenant>/markers/series-deletion/<id>.json`; the ID is a ULID minted at creation, so IDs sort
 * by creation time.
 *
 *   (absent) --create--> pending --every block of the range applied it (compactor)--> processed
 *                        pending --cancel--> (absent)
 *                        processed --kept for a retention period (compactor)--> (absent)
 *
 * While pending, queriers drop the matching samples from what they return and the compactor
 * removes them from every block it writes; once processed the samples are gone from storage and
 * readers stop applying the request. The store keeps no other state: the object is the request.
 */
export type SeriesDeletionState = 'pending' | 'processed';

export interface SeriesDeletionRequest {
  /** ULID, minted when the request was made. */
  id: string;
  tenant: string;
  /** Series selectors as the user wrote them (`up{job="api"}`); a series matching any one is affected. */
  matchers: string[];
  /** First timestamp deleted, ms since the Unix epoch (inclusive). */
  startMs: number;
  /** Last timestamp deleted, ms since the Unix epoch (inclusive). */
  endMs: number;
  /** When the request was made, ms since the Unix epoch. */
  createdAt: number;
  state: SeriesDeletionState;
  /** When the compactor found the request applied everywhere, ms; set in state `processed`. */
  processedAt?: number;
}

export const SERIES_DELETION_REQUEST_VERSION_1 = 1;

/** Object reads in flight at once while listing a tenant's requests. */
const DEFAULT_READ_CONCURRENCY = 16;

/** A new pending request of `tenant`, ID and creation time from `clock` (nothing is written). */
export function newSeriesDeletionRequest(tenant: string, matchers: readonly string[], startMs: number, endMs: number, clock: Clock): SeriesDeletionRequest {
  const now = clock.now();
  const request: SeriesDeletionRequest = { id: ulid(now), tenant, matchers: [...matchers], startMs, endMs, createdAt: now, state: 'pending' };
  const problems = requestProblems(request);
  if (problems.length > 0) throw new ValidationError('invalid_series_deletion_request', `invalid series deletion request: ${problems.join('; ')}`, { tenant });
  return request;
}

/** The stored form: `{version: 1, id, tenant, matchers, startMs, endMs, createdAt, state[, processedAt]}`. */
export function encodeSeriesDeletionRequest(request: SeriesDeletionRequest): Buffer {
  const problems = requestProblems(request);
  if (problems.length > 0) {
    throw new ValidationError('invalid_series_deletion_request', `invalid series deletion request: ${problems.join('; ')}`, { tenant: request.tenant });
  }
  const { id, tenant, matchers, startMs, endMs, createdAt, state, processedAt } = request;
  const stored: Record<string, unknown> = { version: SERIES_DELETION_REQUEST_VERSION_1, id, tenant, matchers, startMs, endMs, createdAt, state };
  if (processedAt !== undefined) stored.processedAt = processedAt;
  return Buffer.from(JSON.stringify(stored, null, '\t'), 'utf8');
}

/** Decodes a stored request; anything unexpected (or another tenant's or ID's) is a `SeriesDeletionRequestCorruptError`. */
export function decodeSeriesDeletionRequest(data: Buffer, key: string, tenant: string, id: string): SeriesDeletionRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new SeriesDeletionRequestCorruptError(key, tenant, 'not valid JSON', { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SeriesDeletionRequestCorruptError(key, tenant, 'not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.version !== SERIES_DELETION_REQUEST_VERSION_1) {
    throw new SeriesDeletionRequestCorruptError(key, tenant, `unsupported version ${JSON.stringify(o.version)} (this build reads version ${SERIES_DELETION_REQUEST_VERSION_1})`);
  }
  if (o.id !== id) throw new SeriesDeletionRequestCorruptError(key, tenant, `it names request ${JSON.stringify(o.id)}, not ${id}`);
  if (o.tenant !== tenant) throw new SeriesDeletionRequestCorruptError(key, tenant, `it names tenant ${JSON.stringify(o.tenant)}, not "${tenant}"`);
  const request = {
    id,
    tenant,
    matchers: o.matchers,
    startMs: o.startMs,
    endMs: o.endMs,
    createdAt: o.createdAt,
    state: o.state,
    ...(o.processedAt !== undefined ? { processedAt: o.processedAt } : {}),
  } as SeriesDeletionRequest;
  const problems = requestProblems(request);
  if (problems.length > 0) throw new SeriesDeletionRequestCorruptError(key, tenant, problems.join('; '));
  return request;
}

/** Every problem with a request's fields (empty when it is valid). */
function requestProblems(r: SeriesDeletionRequest): string[] {
  const problems: string[] = [];
  try {
    validateTenantId(r.tenant);
  } catch (err) {
    problems.push(errorMessage(err));
  }
  if (typeof r.id !== 'string' || !isBlockId(r.id)) problems.push('"id" is not a ULID');
  if (!Array.isArray(r.matchers) || r.matchers.length === 0 || !r.matchers.every((m) => typeof m === 'string' && m !== '')) {
    problems.push('"matchers" must be a non-empty list of series selectors');
  }
  for (const field of ['startMs', 'endMs', 'createdAt'] as const) {
    if (typeof r[field] !== 'number' || !Number.isFinite(r[field])) problems.push(`"${field}" is not a number of ms`);
  }
  if (typeof r.startMs === 'number' && typeof r.endMs === 'number' && r.startMs > r.endMs) problems.push('"startMs" is after "endMs"');
  if (r.state !== 'pending' && r.state !== 'processed') problems.push(`"state" is ${JSON.stringify(r.state)}, not "pending" or "processed"`);
  if (r.state === 'processed' && (typeof r.processedAt !== 'number' || !Number.isFinite(r.processedAt))) problems.push('a processed request needs "processedAt" in ms');
  return problems;
}

/** Writes (creates or replaces) the request's object: one whole-object put. */
export async function writeSeriesDeletionRequest(bucket: Bucket, request: SeriesDeletionRequest): Promise<void> {
  await bucket.put(seriesDeletionKey(request.tenant, request.id), encodeSeriesDeletionRequest(request));
}

/** The request. Throws `SeriesDeletionRequestNotFoundError` / `SeriesDeletionRequestCorruptError`. */
export async function readSeriesDeletionRequest(bucket: Bucket, tenant: string, id: string): Promise<SeriesDeletionRequest> {
  const key = seriesDeletionKey(tenant, id);
  let data: Buffer;
  try {
    data = await bucket.get(key);
  } catch (err) {
    if (isObjectNotFound(err)) throw new SeriesDeletionRequestNotFoundError(tenant, id);
    throw err;
  }
  return decodeSeriesDeletionRequest(data, key, tenant, id);
}

/** Removes the request's object; removing a missing one is not an error. */
export async function deleteSeriesDeletionRequest(bucket: Bucket, tenant: string, id: string): Promise<void> {
  await bucket.delete(seriesDeletionKey(tenant, id));
}

/**
 * A tenant's series deletion generation: when one of its requests was last made or cancelled (ms
 * since the epoch; 0 when never), stored as `{"version": 1, "changedAt": ms}`. A processed request
 * changes no query's answer, so processing and its later removal leave it alone. Caches of query
 * results key on it (the query-frontend's): an answer computed before a change is never served
 * after it. Written just before the request's own write or removal, by whoever makes or cancels it
 * (a failed write then leaves no request behind, at worst a generation nothing changed in).
 */
export async function writeSeriesDeletionGeneration(bucket: Bucket, tenant: string, changedAt: number): Promise<void> {
  const stored = { version: SERIES_DELETION_REQUEST_VERSION_1, changedAt };
  await bucket.put(seriesDeletionGenerationKey(tenant), Buffer.from(JSON.stringify(stored), 'utf8'));
}

/** The tenant's generation (`writeSeriesDeletionGeneration`): 0 when never written; throws when the object is unreadable. */
export async function readSeriesDeletionGeneration(bucket: Bucket, tenant: string): Promise<number> {
  const key = seriesDeletionGenerationKey(tenant);
  let data: Buffer;
  try {
    data = await bucket.get(key);
  } catch (err) {
    if (isObjectNotFound(err)) return 0;
    throw err;
  }
  let o: { version?: unknown; changedAt?: unknown } | undefined;
  try {
    o = JSON.parse(data.toString('utf8')) as typeof o;
  } catch {
    o = undefined;
  }
  if (o?.version !== SERIES_DELETION_REQUEST_VERSION_1 || typeof o.changedAt !== 'number' || !Number.isSafeInteger(o.changedAt) || o.changedAt < 0) {
    throw new PanoptesError(
      'internal',
      'series_deletion_generation_corrupt',
      `series deletion generation "${key}" is corrupt (want {"version":1,"changedAt":<ms>}); delete the object: the next request made or cancelled writes it again`,
      { tenant },
    );
  }
  return o.changedAt;
}

export interface SeriesDeletionListing {
  /** Valid requests, pending and processed, sorted by ID (creation order). */
  requests: SeriesDeletionRequest[];
  /** Objects that do not decode (skipped). */
  corrupted: CorruptMarker[];
}

/**
 * Every request of the tenant: one listing of `<tenant>/markers/series-deletion/`, then one read
 * per request. Keys that are not `<ulid>.json` are ignored; a request removed between the listing
 * and its read is skipped; a corrupt one is reported. Other store errors fail the call.
 */
export async function listSeriesDeletionRequests(bucket: Bucket, tenant: string, concurrency = DEFAULT_READ_CONCURRENCY): Promise<SeriesDeletionListing> {
  const prefix = seriesDeletionPrefix(tenant);
  const ids: string[] = [];
  for await (const key of bucket.list(prefix)) {
    const name = key.slice(prefix.length);
    if (name.endsWith('.json') && isBlockId(name.slice(0, -5))) ids.push(name.slice(0, -5));
  }
  const listing: SeriesDeletionListing = { requests: [], corrupted: [] };
  const results = await mapConcurrent(ids, concurrency, async (id) => {
    try {
      return { request: await readSeriesDeletionRequest(bucket, tenant, id) };
    } catch (err) {
      if (isSeriesDeletionRequestNotFound(err)) return {};
      if (isSeriesDeletionRequestCorrupt(err)) return { corrupt: { id, key: err.key, error: err.message } };
      throw err;
    }
  });
  for (const r of results) {
    if (r.request) listing.requests.push(r.request);
    if (r.corrupt) listing.corrupted.push(r.corrupt);
  }
  listing.requests.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return listing;
}

export interface SeriesDeletionStoreConfig {
  /** How long `pending(tenant)` serves a tenant's requests before listing them again, ms. */
  cacheTtlMs: number;
  /** A tenant's cached requests are dropped when not asked for during this long, ms. */
  idleTimeoutMs: number;
  /** Object reads in flight at once while listing one tenant's requests. */
  readConcurrency: number;
}

export function defaultSeriesDeletionStoreConfig(): SeriesDeletionStoreConfig {
  return { cacheTtlMs: 5_000, idleTimeoutMs: 10 * 60_000, readConcurrency: DEFAULT_READ_CONCURRENCY };
}

/*
 * A tenant's cache entry (of its pending requests, or of its generation):
 *
 *   (absent) --read--> loading --ok----> loaded --cacheTtlMs--> loading
 *                              --error-> failed --cacheTtlMs--> loading (a failure keeps the last good value)
 *   any entry --invalidate() or idleTimeoutMs unasked--> (absent)
 */
interface Entry<T> {
  /** The value last read (frozen); undefined before the first successful read. */
  value?: T;
  error?: unknown;
  loadedAt?: number;
  requestedAt: number;
  loading?: Promise<void>;
}

/**
 * A tenant's series deletion requests through one object: writes (`create`, `write`, `remove`,
 * `bumpGeneration`) and fresh reads (`list`, `get`) go to the bucket; `pending(tenant)` (the query
 * path's) and `generation(tenant)` (the results cache's) are cached reads, re-read once
 * `cacheTtlMs` old, and dropped for a tenant as soon as this store writes for it. So a process that
 * writes and reads through the same store (the all-in-one target) sees its own writes at once;
 * another process sees them within `cacheTtlMs`.
 *
 * A cached read shares one bucket read between concurrent callers; a failed re-read keeps serving
 * the last value (and logs), a failed first read throws. Returned lists and requests are frozen
 * and shared: the same array instance until the next read, so callers may cache work per request
 * object. No timers: idle entries are dropped during calls.
 */
export class SeriesDeletionStore {
  private readonly entries = new Map<string, Entry<readonly SeriesDeletionRequest[]>>();
  private readonly generations = new Map<string, Entry<number>>();
  private lastSweep: number;

  constructor(
    private readonly config: SeriesDeletionStoreConfig,
    private readonly bucket: Bucket,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.lastSweep = clock.now();
  }

  /** Every request of the tenant, read now (not cached); corrupt objects are logged and skipped. */
  async list(tenant: string): Promise<SeriesDeletionRequest[]> {
    const { requests, corrupted } = await listSeriesDeletionRequests(this.bucket, tenant, this.config.readConcurrency);
    for (const c of corrupted) this.logger.warn('skipped corrupt series deletion request', { tenant, key: c.key, err: c.error });
    return requests;
  }

  /** One request, read now. Throws `SeriesDeletionRequestNotFoundError` / `SeriesDeletionRequestCorruptError`. */
  async get(tenant: string, id: string): Promise<SeriesDeletionRequest> {
    return readSeriesDeletionRequest(this.bucket, tenant, validateSeriesDeletionId(id));
  }

  /** Makes and stores a new pending request. */
  async create(tenant: string, matchers: readonly string[], startMs: number, endMs: number): Promise<SeriesDeletionRequest> {
    const request = newSeriesDeletionRequest(tenant, matchers, startMs, endMs, this.clock);
    await this.write(request);
    return request;
  }

  /** Stores (creates or replaces) a request. */
  async write(request: SeriesDeletionRequest): Promise<void> {
    try {
      await writeSeriesDeletionRequest(this.bucket, request);
    } finally {
      // Also after a failure: the put may have landed.
      this.invalidate(request.tenant);
    }
  }

  /** Removes a request (cancelled, or processed and past its retention). */
  async remove(tenant: string, id: string): Promise<void> {
    try {
      await deleteSeriesDeletionRequest(this.bucket, tenant, id);
    } finally {
      this.invalidate(tenant);
    }
  }

  /**
   * Records that a request of the tenant is being made or cancelled (`writeSeriesDeletionGeneration`,
   * at this store's clock): call it just before the request's own write or removal. Returns the
   * new generation.
   */
  async bumpGeneration(tenant: string): Promise<number> {
    const changedAt = this.clock.now();
    try {
      await writeSeriesDeletionGeneration(this.bucket, tenant, changedAt);
    } finally {
      this.invalidate(tenant);
    }
    return changedAt;
  }

  /** The tenant's pending requests, sorted by ID, at most `cacheTtlMs` old (see the class comment). */
  pending(tenant: string): Promise<readonly SeriesDeletionRequest[]> {
    return this.cached(this.entries, tenant, 'series deletion requests', async () => {
      const all = await this.list(tenant);
      return Object.freeze(all.filter((r) => r.state === 'pending').map((r) => Object.freeze({ ...r, matchers: Object.freeze([...r.matchers]) as string[] })));
    });
  }

  /** The tenant's generation (`readSeriesDeletionGeneration`), at most `cacheTtlMs` old. */
  generation(tenant: string): Promise<number> {
    return this.cached(this.generations, tenant, 'the series deletion generation', () => readSeriesDeletionGeneration(this.bucket, tenant));
  }

  /** Forgets the tenant's cached requests and generation: the next reads go to the bucket. */
  invalidate(tenant: string): void {
    this.entries.delete(tenant);
    this.generations.delete(tenant);
  }

  private async cached<T>(entries: Map<string, Entry<T>>, tenant: string, what: string, read: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    let entry = entries.get(tenant);
    if (!entry) {
      entry = { requestedAt: now };
      entries.set(tenant, entry);
    }
    entry.requestedAt = now;
    this.sweepIdle(now);
    if (entry.loading) await entry.loading;
    else if (entry.loadedAt === undefined || now - entry.loadedAt >= this.config.cacheTtlMs) await this.load(tenant, entry, what, read);
    if (entry.value === undefined) throw entry.error;
    return entry.value;
  }

  private load<T>(tenant: string, entry: Entry<T>, what: string, read: () => Promise<T>): Promise<void> {
    entry.loading ??= (async () => {
      try {
        entry.value = await read();
        entry.error = undefined;
      } catch (err) {
        entry.error = err;
        this.logger.warn(`unable to read ${what}`, { tenant, err: errorMessage(err), servingPrevious: entry.value !== undefined });
      }
      entry.loadedAt = this.clock.now();
    })().finally(() => {
      entry.loading = undefined;
    });
    return entry.loading;
  }

  // A full sweep at most every tenth of the idle timeout.
  private sweepIdle(now: number): void {
    if (now - this.lastSweep < Math.max(1, this.config.idleTimeoutMs / 10)) return;
    this.lastSweep = now;
    for (const entries of [this.entries, this.generations] as Map<string, Entry<unknown>>[]) {
      for (const [tenant, entry] of entries) {
        if (!entry.loading && now - entry.requestedAt >= this.config.idleTimeoutMs) entries.delete(tenant);
      }
    }
  }
}
