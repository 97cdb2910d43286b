import type { DownstreamResponse } from './scheduler';

/**
 * Response header in which a querier reports its engine's work for one request:
 * `samples=<total samples read>,peak=<peak samples held>`. A wire contract with the Querier of
 * @panoptes/querier (which sets it); the frontend reads it and never passes it on.
 */
export const QUERIER_STATS_HEADER = 'X-Panoptes-Querier-Stats';

/**
 * Request header by which a client asks for the query's stats (`true`), and the response header
 * carrying them: `samples=…,peak=…,duration_ms=…,splits=…,cache_hits=…`.
 */
export const QUERY_STATS_HEADER = 'X-Panoptes-Query-Stats';

/** `samples` and `peak` of a `QUERIER_STATS_HEADER` value; undefined when absent or malformed. */
export function parseQuerierStats(value: string | undefined): { samples: number; peak: number } | undefined {
  if (!value) return undefined;
  let samples: number | undefined;
  let peak: number | undefined;
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const n = Number(part.slice(eq + 1));
    if (eq < 0 || !Number.isFinite(n)) continue;
    const key = part.slice(0, eq).trim();
    if (key === 'samples') samples = n;
    else if (key === 'peak') peak = n;
  }
  return samples === undefined || peak === undefined ? undefined : { samples, peak };
}

/** The value of a header, whatever the case of its name. */
export function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** `headers` without `name` (any case); undefined when nothing is left. */
export function withoutHeader(headers: Record<string, string> | undefined, name: string): Record<string, string> | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === lower) continue;
    out[k] = v;
    any = true;
  }
  return any ? out : undefined;
}

/**
 * What answering one request took, gathered across its splits: `samples` add up, `peakSamples` is
 * the largest peak of any one split (splits are evaluated separately, each within its querier's
 * -querier.max-samples). Splits answered from the results cache read no samples.
 */
export class QueryStats {
  /** Pieces the request was cut into (1 when not split; 0 when answered without a querier). */
  splits = 0;
  cacheHits = 0;
  cacheMisses = 0;
  samples = 0;
  peakSamples = 0;

  /** Adds what a querier reported in a response. */
  addQuerierResponse(res: DownstreamResponse): void {
    const s = parseQuerierStats(headerValue(res.headers, QUERIER_STATS_HEADER));
    if (!s) return;
    this.samples += s.samples;
    this.peakSamples = Math.max(this.peakSamples, s.peak);
  }

  /** The `X-Panoptes-Query-Stats` response header value. */
  headerValue(durationMs: number): string {
    return `samples=${this.samples},peak=${this.peakSamples},duration_ms=${Math.round(durationMs)},splits=${this.splits},cache_hits=${this.cacheHits}`;
  }
}
