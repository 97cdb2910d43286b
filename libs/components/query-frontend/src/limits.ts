import { formatDuration } from '@panoptes/promql';
import { PromApiError } from '@panoptes/prom-api';

/** Per-tenant query limits the frontend enforces (runtime-config overrides, wired by modules). */
export interface FrontendTenantLimits {
  /** Longest range (end − start) a range query may cover, ms; 0 = unlimited (`max_query_length`). */
  maxQueryLengthMs: number;
  /** How far back from now queries may read, ms: older parts are cut off; 0 = unlimited (`max_query_lookback`). */
  maxQueryLookbackMs: number;
}

export function defaultFrontendTenantLimits(): FrontendTenantLimits {
  return { maxQueryLengthMs: 0, maxQueryLookbackMs: 0 };
}

/** 400 bad_data, as Mimir answers its query-length limit. */
export function maxQueryLengthError(tenant: string, lengthMs: number, limitMs: number): PromApiError {
  return new PromApiError(
    'bad_data',
    `the query time range exceeds the limit (query length: ${formatDuration(lengthMs)}, limit: ${formatDuration(limitMs)}) for tenant "${tenant}"; ` +
      `shorten the query's time range, or raise max_query_length (-query-frontend.max-query-length) for the tenant in the runtime config`,
  );
}

/**
 * The first point of the range query's step grid (start + k·step) at or after `minT`: the start
 * `max_query_lookback` leaves, keeping the points the query would have had (Mimir moves the start
 * to minT itself, off the grid). May be past `end`: nothing is left.
 */
export function clampStartToGrid(start: number, step: number, minT: number): number {
  if (start >= minT) return start;
  return start + Math.ceil((minT - start) / step) * step;
}
