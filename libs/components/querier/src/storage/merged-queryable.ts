import type { Logger } from '@panoptes/log';
import type { StoredSeries } from '@panoptes/promql';
import type { Registry } from 'prom-client';
import type { QuerierStorageConfig } from './config';
import { QueryLimiter } from './limiter';
import { FetchMetrics } from './metrics';
import { iterateSeries, labelSetUnion, SeriesMergeMap, sortedUnion } from './series-merge';
import { NO_SERIES_DELETIONS, SeriesDeletionFilter, type SeriesDeletionSource } from './series-deletions';
import type { StorageQuerier, StorageQueryable } from './types';

/**
 * The querier's storage: ingesters for recent data and blocks for older data (Mimir's querier
 * queryable). Each source keeps to its own part of the query's range (`ingestersRange`: newer
 * than now − queryIngestersWithinMs; `storeRange`: older than now − queryStoreAfterMs), so a
 * query of recent data never touches the bucket and a query of old data never calls ingesters;
 * the two overlap by the difference of the two settings, which is what covers blocks still being
 * shipped. Both run in parallel and share one `QueryLimiter`; a series found in both becomes one,
 * with the chunks of both (identical chunks once). Results are sorted: series by labels, names
 * and values by UTF-8 bytes. A failing source fails the query (and cancels the other).
 *
 * Selected series lose the samples of the tenant's pending series deletion requests (from both
 * sources: see `SeriesDeletionFilter`); the requests are read alongside the sources. Without a
 * deletion source (the default) nothing is filtered.
 */
export class MergedQueryable implements StorageQueryable {
  private readonly fetched: FetchMetrics;
  private readonly deletionFilter: SeriesDeletionFilter;

  constructor(
    private readonly config: QuerierStorageConfig,
    private readonly ingesters: StorageQueryable,
    private readonly blocks: StorageQueryable,
    logger: Logger,
    registry: Registry,
    private deletions: SeriesDeletionSource = NO_SERIES_DELETIONS,
  ) {
    this.fetched = new FetchMetrics(registry);
    this.deletionFilter = new SeriesDeletionFilter(logger);
  }

  /** Where pending series deletion requests come from (replaces the constructor's). */
  setSeriesDeletions(source: SeriesDeletionSource): void {
    this.deletions = source;
  }

  querier(tenant: string, minT: number, maxT: number, limiter?: QueryLimiter): StorageQuerier {
    const lim = limiter ?? new QueryLimiter(tenant, this.config, (reason) => this.fetched.rejected.inc({ reason }));
    const sources = [this.ingesters.querier(tenant, minT, maxT, lim), this.blocks.querier(tenant, minT, maxT, lim)];
    const selectSorted: StorageQuerier['selectSorted'] = async (matchers, hints, signal) => {
      const pending = this.deletions.pending(tenant);
      // Awaited below; a failure of the sources must not leave this rejection unhandled.
      pending.catch(() => undefined);
      const lists = await allOrNothing(
        sources.map((s) => (sig: AbortSignal) => s.selectSorted(matchers, hints, sig)),
        signal,
      );
      return this.deletionFilter.apply(mergeSeries(lists), await pending);
    };
    return {
      selectSorted,
      select: (matchers, hints, signal) => iterateSeries(selectSorted(matchers, hints, signal)),
      labelNames: async (matchers, signal) => sortedUnion(await allOrNothing(sources.map((s) => (sig: AbortSignal) => s.labelNames(matchers, sig)), signal)),
      labelValues: async (name, matchers, signal) =>
        sortedUnion(await allOrNothing(sources.map((s) => (sig: AbortSignal) => s.labelValues(name, matchers, sig)), signal)),
      series: async (matcherSets, signal) => labelSetUnion(await allOrNothing(sources.map((s) => (sig: AbortSignal) => s.series(matcherSets, sig)), signal)),
      warnings: () => sources.flatMap((s) => s.warnings?.() ?? []),
    };
  }
}

/** Merges sorted selections by label set; a single non-empty one is returned as it is. */
function mergeSeries(lists: StoredSeries[][]): StoredSeries[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  const merged = new SeriesMergeMap();
  for (const list of nonEmpty) for (const s of list) merged.add(s.labels, s.chunks);
  return merged.sorted();
}

/**
 * Runs every call in parallel with a signal that aborts when `signal` does or when one of them
 * fails; resolves with all results, or rejects with the first failure once every call settled.
 */
async function allOrNothing<T>(calls: ((signal: AbortSignal) => Promise<T>)[], signal?: AbortSignal): Promise<T[]> {
  const controller = new AbortController();
  const abort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) abort();
  signal?.addEventListener('abort', abort, { once: true });
  let first: { err: unknown } | undefined;
  try {
    const settled = await Promise.allSettled(
      calls.map((call) =>
        call(controller.signal).catch((err: unknown) => {
          first ??= { err };
          controller.abort();
          throw err;
        }),
      ),
    );
    if (first) throw first.err;
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
