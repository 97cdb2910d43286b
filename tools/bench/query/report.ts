import { geometricMean, Latency } from './stats';

/** Every figure of one query: latencies per side (undefined when that side was not measured). */
export interface QueryFigures {
  name: string;
  expr: string;
  /** Series in Prometheus's answer (or Panoptes' when Prometheus was skipped). */
  series?: number;
  /** Prometheus, the whole range (end = data end, "now"). */
  prometheus?: Latency;
  /** Panoptes with -query-frontend.cache-results=false, the whole range. */
  cold?: Latency;
  /** Panoptes with the results cache, the whole range repeated: its one split ends within max_cache_freshness, so it is never cached. */
  repeatNow?: Latency;
  /** Panoptes without cache, the range ending 15 min before the data end. */
  coldPast?: Latency;
  /** Panoptes with the results cache, that range repeated after one miss: answered from the cache. */
  warmPast?: Latency;
  /** The same cached answers in a pass of their own, after the interleaved runs. */
  warmAlone?: Latency;
  /** The first (missing) run of that range with the cache on, ms. */
  missPastMs?: number;
  /** Differences found between the answers; printed as warnings. */
  warnings: string[];
}

export function ratio(a: Latency | undefined, b: Latency | undefined): number {
  return a && b && b.medianMs > 0 ? a.medianMs / b.medianMs : NaN;
}

function ms(l: Latency | undefined, withP90: boolean): string {
  if (!l || !Number.isFinite(l.medianMs)) return '-';
  const f = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return withP90 ? `${f(l.medianMs)} (${f(l.p90Ms)})` : f(l.medianMs);
}

function x(r: number): string {
  return Number.isFinite(r) ? `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x` : '-';
}

/** A plain-text table, columns padded to their widest cell; numeric columns right-aligned. */
export function renderColumns(header: readonly string[], rows: ReadonlyArray<readonly string[]>, rightAligned: readonly boolean[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The result table: one row per query, then the geometric means of the ratios. */
export function renderQueryTable(figures: readonly QueryFigures[]): string {
  const header = ['query', 'series', 'prometheus ms p50 (p90)', 'panoptes cold ms p50 (p90)', 'cold/prom', 'repeat end=now ms', 'cold end-15m ms', 'warm end-15m ms p50 (p90)', 'cold/warm', 'warm alone ms p50 (p90)', 'cold/warm alone'];
  const rows = figures.map((f) => [
    f.warnings.length ? `${f.name} !` : f.name,
    f.series === undefined ? '-' : String(f.series),
    ms(f.prometheus, true),
    ms(f.cold, true),
    x(ratio(f.cold, f.prometheus)),
    ms(f.repeatNow, false),
    ms(f.coldPast, false),
    ms(f.warmPast, true),
    x(ratio(f.coldPast, f.warmPast)),
    ms(f.warmAlone, true),
    x(ratio(f.coldPast, f.warmAlone)),
  ]);
  const gm = (pick: (f: QueryFigures) => number): string => x(geometricMean(figures.map(pick)));
  rows.push(['geometric mean', '', '', '', gm((f) => ratio(f.cold, f.prometheus)), '', '', '', gm((f) => ratio(f.coldPast, f.warmPast)), '', gm((f) => ratio(f.coldPast, f.warmAlone))]);
  return renderColumns(header, rows, [false, true, true, true, true, true, true, true, true, true, true]);
}
