import type { Labels } from '@panoptes/block-formats';
import type { SeriesDeletionRequest } from '@panoptes/bucket-index';
import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { parseSeriesSelector } from '@panoptes/prom-api';
import type { EncodedChunk, StoredSeries } from '@panoptes/promql';
import type { Matcher } from '@panoptes/tsdb';
import { type DeletedInterval, trimChunk } from './block-chunks';

/**
 * Where the querier learns a tenant's pending series deletion requests: `SeriesDeletionStore` of
 * @panoptes/bucket-index (cached for a few seconds, so this is cheap to ask on every selection).
 */
export interface SeriesDeletionSource {
  pending(tenant: string): Promise<readonly SeriesDeletionRequest[]>;
}

/** No deletions: the default of a querier built without a source. */
export const NO_SERIES_DELETIONS: SeriesDeletionSource = { pending: async () => [] };

interface ParsedDeletion {
  startMs: number;
  endMs: number;
  /** A series matching every matcher of any one set is affected. */
  selectors: Matcher[][];
}

/**
 * Drops the samples of pending series deletion requests from selected series, so a deletion is
 * visible before compaction removes the samples from storage (Prometheus applies its tombstones
 * the same way at read time). A series no request matches, or whose chunks no matching request's
 * range touches, is passed on as it is (same object); only chunks a range touches are re-encoded
 * without the deleted samples, and a series left without samples is dropped. Label names, values
 * and series listings are not filtered (as in Prometheus before its blocks are compacted).
 *
 * Selectors are parsed once per request object (the source returns the same frozen objects until
 * it re-reads them). A stored selector that does not parse (the API never accepts one) is logged
 * and that request ignored.
 */
export class SeriesDeletionFilter {
  private readonly parsed = new WeakMap<SeriesDeletionRequest, ParsedDeletion | null>();

  constructor(private readonly logger: Logger) {}

  apply(series: StoredSeries[], requests: readonly SeriesDeletionRequest[]): StoredSeries[] {
    if (requests.length === 0 || series.length === 0) return series;
    const deletions: ParsedDeletion[] = [];
    for (const r of requests) {
      const d = this.parse(r);
      if (d) deletions.push(d);
    }
    let out: StoredSeries[] | undefined;
    for (let i = 0; i < series.length; i++) {
      const s = series[i];
      const intervals = deletedIntervals(s, deletions);
      if (!intervals) {
        out?.push(s);
        continue;
      }
      out ??= series.slice(0, i);
      const chunks: EncodedChunk[] = [];
      for (const c of s.chunks) {
        const kept = trimChunk(c, intervals, 'series deletion');
        if (kept) chunks.push(kept);
      }
      if (chunks.length > 0) out.push({ labels: s.labels, chunks });
    }
    return out ?? series;
  }

  private parse(r: SeriesDeletionRequest): ParsedDeletion | null {
    let d = this.parsed.get(r);
    if (d !== undefined) return d;
    try {
      d = { startMs: r.startMs, endMs: r.endMs, selectors: r.matchers.map((m) => parseSeriesSelector(m)) };
    } catch (err) {
      this.logger.error('series deletion request has a selector that does not parse; ignoring it', { component: 'querier', tenant: r.tenant, request: r.id, err: errorMessage(err) });
      d = null;
    }
    this.parsed.set(r, d);
    return d;
  }
}

/** The sorted, merged ranges deleted from the series that touch one of its chunks; undefined when none. */
function deletedIntervals(s: StoredSeries, deletions: readonly ParsedDeletion[]): DeletedInterval[] | undefined {
  let intervals: DeletedInterval[] | undefined;
  for (const d of deletions) {
    if (!s.chunks.some((c) => c.minT <= d.endMs && d.startMs <= c.maxT)) continue;
    if (!d.selectors.some((set) => matchesAll(set, s.labels))) continue;
    (intervals ??= []).push({ mint: d.startMs, maxt: d.endMs });
  }
  if (!intervals || intervals.length === 1) return intervals;
  intervals.sort((a, b) => a.mint - b.mint);
  const merged: DeletedInterval[] = [intervals[0]];
  for (const iv of intervals.slice(1)) {
    const last = merged[merged.length - 1];
    if (iv.mint <= last.maxt + 1) merged[merged.length - 1] = { mint: last.mint, maxt: Math.max(last.maxt, iv.maxt) };
    else merged.push(iv);
  }
  return merged;
}

/** Whether the labels satisfy every matcher (a missing label has the value ""). */
function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  for (const m of matchers) {
    let value = '';
    for (const [n, v] of labels) {
      if (n === m.name) {
        value = v;
        break;
      }
    }
    if (!m.matches(value)) return false;
  }
  return true;
}
