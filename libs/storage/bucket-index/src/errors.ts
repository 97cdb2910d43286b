import { NotFoundError, PanoptesError, PanoptesErrorOptions, UnavailableError } from '@panoptes/common';

/**
 * The tenant has no bucket index yet. Legitimate for a tenant whose first blocks have not been
 * uploaded, or before the compactor's first pass: queriers treat it as "no blocks".
 */
export class BucketIndexNotFoundError extends NotFoundError {
  constructor(tenant: string, options: { cause?: unknown } = {}) {
    super(
      'bucket_index_not_found',
      `bucket index of tenant "${tenant}" not found; it is written by the compactor once the tenant has blocks`,
      { tenant, cause: options.cause },
    );
  }
}

export function isBucketIndexNotFound(err: unknown): err is BucketIndexNotFoundError {
  return err instanceof BucketIndexNotFoundError;
}

/**
 * `bucket-index.json.gz` exists but does not decode: not gzip, not JSON, a field missing or of the
 * wrong type, or an unknown version. Not the caller's fault (500); the compactor rewrites the index
 * from the bucket's listing on its next pass, or the operator deletes the file.
 */
export class BucketIndexCorruptError extends PanoptesError {
  constructor(tenant: string, problem: string, options: PanoptesErrorOptions = {}) {
    super(
      'internal',
      'bucket_index_corrupt',
      `bucket index of tenant "${tenant}" is corrupt: ${problem}; ` +
        `the compactor rewrites it on its next pass, or delete ${tenant}/bucket-index.json.gz`,
      { ...options, tenant },
    );
  }
}

export function isBucketIndexCorrupt(err: unknown): err is BucketIndexCorruptError {
  return err instanceof BucketIndexCorruptError;
}

/**
 * The newest bucket index a reader could get was written longer ago than the allowed staleness:
 * answering from it could miss blocks (or query deleted ones), so the reader refuses (503).
 */
export class BucketIndexTooOldError extends UnavailableError {
  constructor(tenant: string, updatedAt: number, maxStaleMs: number, now: number) {
    super(
      'bucket_index_too_old',
      `bucket index of tenant "${tenant}" was last updated ${Math.round((now - updatedAt) / 1000)}s ago, ` +
        `more than the allowed ${Math.round(maxStaleMs / 1000)}s; check that the compactor is running and can ` +
        `write to object storage, or raise -blocks-storage.bucket-store.bucket-index.max-stale-period`,
      { tenant },
    );
  }
}

/** A block's deletion or no-compact mark does not exist. */
export class MarkerNotFoundError extends NotFoundError {
  constructor(
    readonly key: string,
    tenant: string,
  ) {
    super('marker_not_found', `marker "${key}" not found`, { tenant });
  }
}

export function isMarkerNotFound(err: unknown): err is MarkerNotFoundError {
  return err instanceof MarkerNotFoundError;
}

/** A marker file exists but does not decode, or names another block than its key. */
export class MarkerCorruptError extends PanoptesError {
  constructor(
    readonly key: string,
    tenant: string,
    problem: string,
    options: { cause?: unknown } = {},
  ) {
    super('internal', 'marker_corrupt', `marker "${key}" is corrupt: ${problem}; delete it and mark the block again`, {
      tenant,
      cause: options.cause,
    });
  }
}

export function isMarkerCorrupt(err: unknown): err is MarkerCorruptError {
  return err instanceof MarkerCorruptError;
}

/** A series deletion request does not exist (never made, cancelled, or removed after processing). */
export class SeriesDeletionRequestNotFoundError extends NotFoundError {
  constructor(tenant: string, id: string) {
    super(
      'series_deletion_request_not_found',
      `series deletion request ${id} of tenant "${tenant}" not found; list the tenant's requests with GET /api/v1/admin/tsdb/delete_series`,
      { tenant },
    );
  }
}

export function isSeriesDeletionRequestNotFound(err: unknown): err is SeriesDeletionRequestNotFoundError {
  return err instanceof SeriesDeletionRequestNotFoundError;
}

/** A series deletion request object exists but does not decode (or names another request or tenant). */
export class SeriesDeletionRequestCorruptError extends PanoptesError {
  constructor(
    readonly key: string,
    tenant: string,
    problem: string,
    options: { cause?: unknown } = {},
  ) {
    super('internal', 'series_deletion_request_corrupt', `series deletion request "${key}" is corrupt: ${problem}; delete the object and make the request again`, {
      tenant,
      cause: options.cause,
    });
  }
}

export function isSeriesDeletionRequestCorrupt(err: unknown): err is SeriesDeletionRequestCorruptError {
  return err instanceof SeriesDeletionRequestCorruptError;
}
