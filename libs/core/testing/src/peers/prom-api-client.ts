import { PeerError } from './peer-error';

export type PromLabels = Record<string, string>;
/** `[unix seconds, value as string]`, as the Prometheus HTTP API encodes a sample. */
export type PromSamplePair = [number, string];

export interface PromVectorSample {
  metric: PromLabels;
  value: PromSamplePair;
}

export interface PromRangeSeries {
  metric: PromLabels;
  values: PromSamplePair[];
}

export type PromQueryResult =
  | { resultType: 'vector'; result: PromVectorSample[] }
  | { resultType: 'matrix'; result: PromRangeSeries[] }
  | { resultType: 'scalar' | 'string'; result: PromSamplePair };

/** A point in time: a Date or milliseconds since the epoch. */
export type PromTime = Date | number;

export interface PromApiClientOptions {
  /** Sent with every request, e.g. `{ 'X-Scope-OrgID': 't1' }` when the target is Panoptes. */
  headers?: Record<string, string>;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

/**
 * A small client for the Prometheus HTTP query API (`/api/v1/...`), usable against a real
 * Prometheus and against Panoptes's Prometheus-compatible API (`<base>/prometheus`) alike, so
 * read-path tests can ask both the same question. Responses are parsed JSON, typed loosely; an
 * answer whose status is not "success" rejects with a PeerError naming errorType and error.
 */
export class PromApiClient {
  constructor(
    /** Base URL without the `/api/v1` suffix, e.g. `http://127.0.0.1:9090`. */
    readonly baseUrl: string,
    private readonly options: PromApiClientOptions = {},
  ) {}

  /** Instant query at `time` (now when omitted). */
  query(expr: string, time?: PromTime): Promise<PromQueryResult> {
    const params: [string, string][] = [['query', expr]];
    if (time !== undefined) params.push(['time', promTime(time)]);
    return this.get<PromQueryResult>('/api/v1/query', params);
  }

  /** Range query; `stepMs` is the resolution in milliseconds. */
  queryRange(expr: string, start: PromTime, end: PromTime, stepMs: number): Promise<PromQueryResult> {
    return this.get<PromQueryResult>('/api/v1/query_range', [
      ['query', expr],
      ['start', promTime(start)],
      ['end', promTime(end)],
      ['step', String(stepMs / 1000)],
    ]);
  }

  /** Label sets of the series matching any of the selectors, e.g. `series('up', '{job="node"}')`. */
  series(...matchers: string[]): Promise<PromLabels[]> {
    if (matchers.length === 0) throw new RangeError('series() needs at least one selector');
    return this.get<PromLabels[]>(
      '/api/v1/series',
      matchers.map((m) => ['match[]', m]),
    );
  }

  /** Values of one label, optionally restricted to series matching the selectors. */
  labelValues(label: string, ...matchers: string[]): Promise<string[]> {
    return this.get<string[]>(
      `/api/v1/label/${encodeURIComponent(label)}/values`,
      matchers.map((m) => ['match[]', m]),
    );
  }

  /** Any GET endpoint of the API; returns the `data` field of a successful answer. */
  async get<T>(path: string, params: [string, string][] = []): Promise<T> {
    const qs = new URLSearchParams(params).toString();
    const url = `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: this.options.headers,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
      throw new PeerError('peer_api_error', `GET ${url} failed: ${String(err)}${cause ? ` (${String(cause)})` : ''}`);
    }
    const text = await res.text();
    let body: { status?: string; data?: T; errorType?: string; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new PeerError('peer_api_error', `GET ${url} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 500)}`);
    }
    if (body.status !== 'success' || body.data === undefined) {
      throw new PeerError(
        'peer_api_error',
        `GET ${url} answered HTTP ${res.status}: ${body.errorType ?? 'no errorType'}: ${body.error ?? text.slice(0, 500)}`,
      );
    }
    return body.data;
  }
}

/** The samples of an instant-vector result; throws on any other result type. */
export function vectorOf(result: PromQueryResult): PromVectorSample[] {
  if (result.resultType !== 'vector') throw new TypeError(`expected a vector result, got ${result.resultType}`);
  return result.result;
}

/** The series of a range-query (matrix) result; throws on any other result type. */
export function matrixOf(result: PromQueryResult): PromRangeSeries[] {
  if (result.resultType !== 'matrix') throw new TypeError(`expected a matrix result, got ${result.resultType}`);
  return result.result;
}

/** Prometheus API time: unix seconds with millisecond precision. */
export function promTime(t: PromTime): string {
  const ms = t instanceof Date ? t.getTime() : t;
  return (ms / 1000).toFixed(3);
}
