import { PanoptesError, errorMessage } from '@panoptes/common';
import { PromQLParseError, QueryCanceledError, QueryTimeoutError } from '@panoptes/promql';
import { quoteHtml, stringArrayJson } from './json';
import type { ApiResponse, PromApiContext } from './types';

/** Prometheus's `errorType` values. */
export type ErrorType = 'bad_data' | 'execution' | 'canceled' | 'timeout' | 'internal' | 'unavailable' | 'not_found' | 'not_acceptable';

/** Status of each errorType, as Prometheus's `respondError` picks it (499 is nginx's "client closed request"). */
export const ERROR_STATUS: Readonly<Record<ErrorType, number>> = {
  bad_data: 400,
  execution: 422,
  canceled: 499,
  timeout: 503,
  internal: 500,
  unavailable: 503,
  not_found: 404,
  not_acceptable: 406,
};

/** An error answered with Prometheus's error envelope. */
export class PromApiError extends Error {
  readonly status: number;

  constructor(
    readonly errorType: ErrorType,
    message: string,
    status?: number,
  ) {
    super(message);
    this.name = 'PromApiError';
    this.status = status ?? ERROR_STATUS[errorType];
  }
}

/** `invalid parameter "time": <detail>`, Prometheus's and Mimir's wording for a bad parameter. */
export function invalidParam(name: string, detail: string): PromApiError {
  return new PromApiError('bad_data', `invalid parameter ${JSON.stringify(name)}: ${detail}`);
}

/**
 * Maps anything a handler's dependencies throw onto an errorType, once:
 * parse errors → bad_data; engine timeout → timeout (503); cancellation → canceled (499);
 * other typed errors by kind (bad_request → bad_data, unprocessable/limit/too_large → execution
 * 422 as Mimir answers limit errors, not_found → not_found, unavailable → unavailable 503);
 * untyped errors are bugs → internal 500.
 */
export function toPromApiError(err: unknown): PromApiError {
  if (err instanceof PromApiError) return err;
  if (err instanceof QueryTimeoutError) return new PromApiError('timeout', err.message);
  if (err instanceof QueryCanceledError) return new PromApiError('canceled', err.message);
  if (err instanceof PromQLParseError) return new PromApiError('bad_data', err.message);
  if (err instanceof PanoptesError) {
    switch (err.kind) {
      case 'bad_request':
      case 'unsupported_media_type':
        return new PromApiError('bad_data', err.message);
      case 'unauthorized':
        return new PromApiError('bad_data', err.message, 401);
      case 'not_found':
        return new PromApiError('not_found', err.message);
      case 'unprocessable':
      case 'limit':
      case 'too_large':
        return new PromApiError('execution', err.message);
      case 'unavailable':
        return new PromApiError('unavailable', err.message);
      default:
        return new PromApiError('internal', err.message);
    }
  }
  if (err instanceof Error && err.name === 'AbortError') return new PromApiError('canceled', err.message);
  return new PromApiError('internal', errorMessage(err));
}

const JSON_HEADERS = (): Record<string, string> => ({ 'Content-Type': 'application/json' });

/** `{"status":"success","data":…}` with `warnings` and `infos` when there are any. */
export function successResponse(dataJson: string, warnings: readonly string[] = [], infos: readonly string[] = []): ApiResponse {
  let body = `{"status":"success","data":${dataJson}`;
  if (warnings.length > 0) body += `,"warnings":${stringArrayJson(warnings)}`;
  if (infos.length > 0) body += `,"infos":${stringArrayJson(infos)}`;
  return { status: 200, headers: JSON_HEADERS(), body: `${body}}` };
}

/** `{"status":"error","errorType":…,"error":…}` with the errorType's status. */
export function errorResponse(err: PromApiError): ApiResponse {
  return {
    status: err.status,
    headers: JSON_HEADERS(),
    body: `{"status":"error","errorType":"${err.errorType}","error":${quoteHtml(err.message)}}`,
  };
}

/** A plain-text answer, as Go's `http.Error` writes it (Mimir's cardinality endpoints, unknown routes). */
export function textResponse(status: number, message: string, headers: Record<string, string> = {}): ApiResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...headers },
    body: `${message}\n`,
  };
}

/** Runs a handler body, turning what it throws into the error envelope (and logging internal errors). */
export async function respond(ctx: PromApiContext, endpoint: string, fn: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await fn();
  } catch (err) {
    const apiErr = toPromApiError(err);
    if (apiErr.errorType === 'internal') {
      ctx.logger?.error('prometheus api request failed', { tenant: ctx.tenant, endpoint, err });
    }
    return errorResponse(apiErr);
  }
}

/**
 * Prometheus's `Annotations.AsStrings`: at most `max` warnings and `max` infos, each once, then
 * "N more warning annotations omitted".
 */
export function capAnnotations(values: readonly string[], kind: 'warning' | 'info', max = 10): string[] {
  const unique = [...new Set(values)];
  if (unique.length <= max) return unique;
  const kept = unique.slice(0, max);
  kept.push(`${unique.length - max} more ${kind} annotations omitted`);
  return kept;
}
