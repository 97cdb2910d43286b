import type { SeriesDeletionRequest } from '@panoptes/bucket-index';
import { Clock, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import {
  type ApiParams,
  type ApiResponse,
  MAX_TIME_MS,
  MIN_TIME_MS,
  PromApiError,
  errorResponse,
  parseSeriesSelector,
  parseTime,
  successResponse,
  textResponse,
  toPromApiError,
} from '@panoptes/prom-api';
import type { SeriesDeletions } from './series-deletions';

/** Paths the API is served at (Prometheus' path, also under Mimir's `/prometheus` prefix). */
export const SERIES_DELETION_API_PATHS = ['/api/v1/admin/tsdb/delete_series', '/prometheus/api/v1/admin/tsdb/delete_series'] as const;

/** One call as the framework-free handler sees it. */
export interface SeriesDeletionApiRequest {
  tenant: string;
  method: string;
  /** Query-string and urlencoded form parameters together (`match[]` repeated). */
  params: ApiParams;
}

const ALLOWED_METHODS = 'GET, POST, PUT, DELETE';

/**
 * Prometheus' `delete_series` admin API, per tenant, over the compactor's series deletion requests:
 *
 * - `POST|PUT ?match[]=<selector>…&start=&end=` → 204: deletes the samples of the series matching
 *   any selector in [start, end]. `start` defaults to the earliest time, `end` to now, and an `end`
 *   after now is taken as now: a request removes what was written before it. Queriers stop
 *   returning the samples at once (within their cache TTL in other processes); compaction removes
 *   them from storage.
 * - `GET` → 200 with the tenant's requests, oldest first:
 *   `[{request_id, match, start_time, end_time, created_at, state[, processed_at]}]`, times in ms.
 * - `DELETE ?request_id=<id>` → 204: cancels a pending request.
 *
 * Errors use Prometheus' envelope (`{"status":"error","errorType":…,"error":…}`): invalid input is
 * `bad_data` (400), an unknown request `not_found` (404), a store failure `unavailable` (503).
 */
export class SeriesDeletionApi {
  constructor(
    private readonly deletions: SeriesDeletions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async handle(req: SeriesDeletionApiRequest): Promise<ApiResponse> {
    try {
      switch (req.method.toUpperCase()) {
        case 'POST':
        case 'PUT':
          return await this.create(req.tenant, req.params);
        case 'GET':
          return await this.list(req.tenant);
        case 'DELETE':
          return await this.cancel(req.tenant, req.params);
        default:
          return textResponse(405, 'Method Not Allowed', { Allow: ALLOWED_METHODS });
      }
    } catch (err) {
      const apiErr = toPromApiError(err);
      if (apiErr.status >= 500) this.logger.error('series deletion request failed', { component: 'compactor', tenant: req.tenant, method: req.method, err: errorMessage(err) });
      return errorResponse(apiErr);
    }
  }

  private async create(tenant: string, params: ApiParams): Promise<ApiResponse> {
    const selectors = params.getAll('match[]');
    if (selectors.length === 0) throw new PromApiError('bad_data', 'no match[] parameter provided');
    const now = this.clock.now();
    const start = timeParam(params, 'start', MIN_TIME_MS);
    const end = timeParam(params, 'end', MAX_TIME_MS);
    for (const s of selectors) {
      let matchers;
      try {
        matchers = parseSeriesSelector(s);
      } catch (err) {
        throw invalidParam('match[]', errorMessage(err));
      }
      // The parser refuses these already (as Prometheus'); kept so no selector can ever mean "every series".
      if (!matchers.some((m) => !m.matchesEmpty)) throw invalidParam('match[]', `${s}: a selector must contain at least one matcher that does not match the empty string`);
    }
    if (end < start) throw new PromApiError('bad_data', 'end timestamp must not be before start time');
    if (start > now) {
      throw invalidParam('start', 'start timestamp is in the future: a deletion removes samples written before it, so it must start at or before now');
    }
    await this.deletions.create(tenant, selectors, start, Math.min(end, now));
    return { status: 204, headers: {}, body: '' };
  }

  private async list(tenant: string): Promise<ApiResponse> {
    const requests = await this.deletions.list(tenant);
    return successResponse(JSON.stringify(requests.map(requestJson)));
  }

  private async cancel(tenant: string, params: ApiParams): Promise<ApiResponse> {
    const id = params.get('request_id') ?? '';
    if (id === '') throw new PromApiError('bad_data', 'no request_id parameter provided; list the requests with GET to find it');
    await this.deletions.cancel(tenant, id);
    return { status: 204, headers: {}, body: '' };
  }
}

function requestJson(r: SeriesDeletionRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {
    request_id: r.id,
    match: r.matchers,
    start_time: r.startMs,
    end_time: r.endMs,
    created_at: r.createdAt,
    state: r.state,
  };
  if (r.processedAt !== undefined) out.processed_at = r.processedAt;
  return out;
}

function timeParam(params: ApiParams, name: string, fallback: number): number {
  const v = params.get(name) ?? '';
  if (v === '') return fallback;
  try {
    return parseTime(v);
  } catch (err) {
    throw invalidParam(name, errorMessage(err));
  }
}

/** Prometheus' wording for a bad parameter. */
function invalidParam(name: string, detail: string): PromApiError {
  return new PromApiError('bad_data', `invalid parameter ${JSON.stringify(name)}: ${detail}`);
}
