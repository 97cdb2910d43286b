import { type PromApiClient, type PromQueryResult, promTime } from '@panoptes/testing';
import { seriesKey } from '../harness';

/** A query both sides answer: instant at `atMs`, or range over [startMs, endMs] with `stepMs`. */
export type SideBySideQuery = { expr: string; atMs: number } | { expr: string; startMs: number; endMs: number; stepMs: number };

/** Points of one series: timestamp in ms → value text. */
type Points = Map<number, string>;

/** A query result as series key → points (an instant vector has one point per series). */
export function resultPoints(result: PromQueryResult): Map<string, Points> {
  const out = new Map<string, Points>();
  const add = (metric: Record<string, string>, values: [number, string][]) => {
    const key = seriesKey(metric);
    if (out.has(key)) throw new Error(`series ${key} appears twice in one answer`);
    out.set(key, new Map(values.map(([t, v]) => [Math.round(t * 1000), v])));
  };
  switch (result.resultType) {
    case 'vector':
      for (const s of result.result) add(s.metric, [s.value]);
      break;
    case 'matrix':
      for (const s of result.result) add(s.metric, s.values);
      break;
    default:
      add({}, [result.result]);
  }
  return out;
}

/** Equal as Prometheus values: same text, both NaN, or within a relative 1e-9 (summation order). */
export function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) && Number.isNaN(y)) return true;
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

/** What differs between two answers, at most `limit` lines; empty when they agree. */
export function diffPoints(expected: Map<string, Points>, actual: Map<string, Points>, limit = 8): string[] {
  const out: string[] = [];
  for (const [key, points] of expected) {
    const other = actual.get(key);
    if (!other) {
      out.push(`missing series ${key}`);
      continue;
    }
    for (const [t, v] of points) {
      const w = other.get(t);
      if (w === undefined) out.push(`${key} @${t}: missing (expected ${v})`);
      else if (!sameValue(v, w)) out.push(`${key} @${t}: ${w} (expected ${v})`);
    }
    for (const t of other.keys()) if (!points.has(t)) out.push(`${key} @${t}: unexpected point ${other.get(t)}`);
  }
  for (const key of actual.keys()) if (!expected.has(key)) out.push(`unexpected series ${key}`);
  return out.length > limit ? [...out.slice(0, limit), `… ${out.length - limit} more`] : out;
}

/** Runs `q` against both; returns the differences (prefixed with the query), empty when equal. */
export async function compareQuery(prometheus: PromApiClient, panoptes: PromApiClient, q: SideBySideQuery): Promise<string[]> {
  const ask = (c: PromApiClient) => ('atMs' in q ? c.query(q.expr, q.atMs) : c.queryRange(q.expr, q.startMs, q.endMs, q.stepMs));
  const [want, got] = await Promise.all([ask(prometheus), ask(panoptes)]);
  const wantPoints = resultPoints(want);
  if (wantPoints.size === 0) return [`${q.expr}: Prometheus itself has no data (the comparison would prove nothing)`];
  return diffPoints(wantPoints, resultPoints(got)).map((d) => `${q.expr}${'atMs' in q ? '' : ' (range)'}: ${d}`);
}

/**
 * An evaluation time near `nearMs` at least 150 ms away (modulo 1 s) from every scrape timestamp
 * in `sampleTimesMs`, so no range-selector or lookback boundary falls on a sample: Prometheus 2.42
 * includes a sample exactly at t − range, Prometheus 3 (and Panoptes) exclude it.
 */
export function awayFromSamples(nearMs: number, sampleTimesMs: number[]): number {
  const offsets = sampleTimesMs.map((t) => ((t % 1000) + 1000) % 1000);
  const base = Math.floor(nearMs / 1000) * 1000;
  for (let ms = 0; ms < 1000; ms += 50) {
    const clear = offsets.every((o) => {
      const d = Math.abs(o - ms);
      return Math.min(d, 1000 - d) >= 150;
    });
    if (clear) return base + ms;
  }
  throw new Error(`no evaluation time clear of the scrape offsets ${offsets.join(', ')}`);
}

/** A form-encoded POST to a Prometheus API path, as Grafana's data source sends it (httpMethod POST). */
export async function postForm(baseUrl: string, path: string, params: [string, string][], tenant: string): Promise<{ status: number; contentType: string; body: unknown }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Scope-OrgID': tenant },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text: the assertion on it says what came back
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
}

/** Seconds with millisecond precision, as the Prometheus API and Grafana write times. */
export const apiTime = promTime;
