import { compareLabels, compareUtf8 } from '@panoptes/block-formats';
import { type Clock, errorMessage, isPanoptesError, type PanoptesError, reasonOf, UnavailableError } from '@panoptes/common';
import type { MetricMetadata, SeriesChunks, TimeRange } from '@panoptes/ingester-client';
import type { Logger } from '@panoptes/log';
import type { MetadataRequest, MetadataSource, MetricMetadataEntry } from '@panoptes/prom-api';
import type { EncodedChunk, SelectHints, StoredSeries } from '@panoptes/promql';
import type { Matcher } from '@panoptes/tsdb';
import { Counter, type Registry } from 'prom-client';
import { ingestersRange, type QuerierStorageConfig } from './config';
import type { IngesterReadTopology, IngesterReplica, PartitionsReadPlan, ReplicationSetReadPlan } from './ingester-topology';
import { QueryLimiter } from './limiter';
import { FetchMetrics, metricIn } from './metrics';
import { iterateSeries, labelSetUnion, labelsKey, SeriesMergeMap, sortedUnion } from './series-merge';
import type { IngesterClientSource, IngesterQueryClient, StorageQuerier, StorageQueryable } from './types';

type Call<T> = (client: IngesterQueryClient, replica: IngesterReplica, signal: AbortSignal) => Promise<T>;

// Errors about the request itself: every replica would answer the same, so they are neither
// tolerated as a replica failure nor retried on another owner.
const REQUEST_ERROR_KINDS = new Set(['bad_request', 'unauthorized', 'too_large', 'unprocessable', 'limit']);
const isRequestError = (err: unknown): err is PanoptesError => isPanoptesError(err) && REQUEST_ERROR_KINDS.has(err.kind);

/**
 * Recent data, from the ingesters over gRPC (Mimir's distributor queryable). Which ingesters come
 * from the `IngesterReadTopology`: in classic mode all of them, tolerating the failures the
 * replication factor allows; in ingest-log mode one owner per partition, falling back to the next
 * owner when one fails. Answers are merged by label set (RF copies become one series, identical
 * chunks kept once). Only the part of a query newer than now − `queryIngestersWithinMs` is asked.
 * It is also the querier's metric metadata source: metadata lives only in the ingesters (as in Mimir).
 */
export class IngestersQueryable implements StorageQueryable, MetadataSource {
  private readonly fetched: FetchMetrics;
  private readonly failures: Counter<'operation' | 'reason'>;
  // Spreads ingest-log reads over the owners of each partition.
  private rotation = 0;

  constructor(
    private readonly config: QuerierStorageConfig,
    private readonly topology: IngesterReadTopology,
    private readonly clients: IngesterClientSource,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.fetched = new FetchMetrics(registry);
    this.failures = metricIn(
      registry,
      'panoptes_querier_ingester_request_failures_total',
      () =>
        new Counter({
          name: 'panoptes_querier_ingester_request_failures_total',
          help: 'Calls from the querier to an ingester that failed (tolerated, retried on another owner, or failing the query), by operation and reason.',
          labelNames: ['operation', 'reason'],
          registers: [registry],
        }),
    );
  }

  querier(tenant: string, minT: number, maxT: number, limiter?: QueryLimiter): StorageQuerier {
    const lim = limiter ?? new QueryLimiter(tenant, this.config, (reason) => this.fetched.rejected.inc({ reason }));
    const range = (): TimeRange | undefined => ingestersRange(this.config, this.clock.now(), minT, maxT);
    const selectSorted = async (matchers: readonly Matcher[], hints: SelectHints, signal?: AbortSignal): Promise<StoredSeries[]> => {
      // As Prometheus and Mimir: the selection's hints, not the querier's range, bound what is read.
      const r = ingestersRange(this.config, this.clock.now(), hints.start, hints.end);
      return r ? this.select(tenant, r, matchers, lim, signal) : [];
    };
    return {
      selectSorted,
      select: (matchers, hints, signal) => iterateSeries(selectSorted(matchers, hints, signal)),
      labelNames: async (matchers, signal) => {
        const r = range();
        if (!r) return [];
        return sortedUnion(await this.run('label_names', (c, _, s) => c.labelNames(tenant, { ...r, matchers }, { signal: s }), lim, signal));
      },
      labelValues: async (name, matchers, signal) => {
        const r = range();
        if (!r) return [];
        return sortedUnion(await this.run('label_values', (c, _, s) => c.labelValues(tenant, { ...r, name, matchers }, { signal: s }), lim, signal));
      },
      series: async (matcherSets, signal) => {
        const r = range();
        if (!r) return [];
        const lists = await this.run('series', (c, _, s) => c.series(tenant, { ...r, matcherSets }, { signal: s }), lim, signal);
        const out = labelSetUnion(lists);
        for (const labels of out) lim.addSeries(labelsKey(labels));
        return out;
      },
      warnings: () => [],
    };
  }

  /**
   * `/api/v1/metadata` from the ingesters (Mimir's MetricsMetadata fan-out): the same ingesters a
   * query reads, the same failure tolerance. Entries are deduplicated (replicas and partitions
   * repeat them), grouped by metric in ascending name order; `limit` keeps the first metrics by
   * name (each ingester sends its first `limit`, so the union's first `limit` are the true ones),
   * `limitPerMetric` the first entries of a metric as the ingesters rank them (newest first).
   */
  async metricMetadata(tenant: string, request: MetadataRequest, signal?: AbortSignal): Promise<MetricMetadataEntry[]> {
    if (request.limit === 0) return [];
    const limiter = new QueryLimiter(tenant, this.config, (reason) => this.fetched.rejected.inc({ reason }));
    const answers = await this.run('metrics_metadata', (c, _, s) => c.metricsMetadata(tenant, request, { signal: s }), limiter, signal);
    return mergeMetadata(answers, request);
  }

  private async select(tenant: string, range: TimeRange, matchers: readonly Matcher[], limiter: QueryLimiter, signal?: AbortSignal): Promise<StoredSeries[]> {
    const answers = await this.run(
      'query_stream',
      async (client, _replica, s) => {
        const got: [string, SeriesChunks][] = [];
        let chunks = 0;
        let bytes = 0;
        try {
          for await (const series of client.queryStream(tenant, { ...range, matchers }, { signal: s })) {
            const key = labelsKey(series.labels);
            limiter.addSeries(key);
            let b = 0;
            for (const c of series.chunks) b += c.data.byteLength;
            limiter.addChunks(series.chunks.length, b);
            chunks += series.chunks.length;
            bytes += b;
            got.push([key, series]);
          }
        } catch (err) {
          // What a failed call fetched is dropped (a retry or the other replicas bring it).
          limiter.release(chunks, bytes);
          throw err;
        }
        this.fetched.series.inc({ source: 'ingesters' }, got.length);
        this.fetched.chunks.inc({ source: 'ingesters' }, chunks);
        this.fetched.chunkBytes.inc({ source: 'ingesters' }, bytes);
        return got;
      },
      limiter,
      signal,
    );
    // One answer (one ingester owns the data, as in the all-in-one target or ingest-storage mode):
    // its series are distinct and its chunks ordered, so only the label order is left to make.
    if (answers.length === 1) return answers[0].map(([, s]) => ({ labels: s.labels, chunks: inTimeOrder(s.chunks) })).sort((a, b) => compareLabels(a.labels, b.labels));
    const merged = new SeriesMergeMap();
    for (const answer of answers) for (const [key, s] of answer) merged.add(s.labels, s.chunks, key);
    return merged.sorted();
  }

  /** Runs `call` against the ingesters the topology names; the answers of those that succeeded. */
  private async run<T>(operation: string, call: Call<T>, limiter: QueryLimiter, signal?: AbortSignal): Promise<T[]> {
    limiter.check();
    const plan = this.topology.readPlan();
    const controller = new AbortController();
    const abort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      return plan.kind === 'partitions'
        ? await this.runPartitions(plan, operation, call, limiter, controller)
        : await this.runReplicationSet(plan, operation, call, limiter, controller);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  private async runReplicationSet<T>(
    plan: ReplicationSetReadPlan,
    operation: string,
    call: Call<T>,
    limiter: QueryLimiter,
    controller: AbortController,
  ): Promise<T[]> {
    const failed: { replica: IngesterReplica; err: unknown }[] = [];
    const answers: T[] = [];
    await Promise.all(
      plan.instances.map(async (replica) => {
        try {
          answers.push(await call(this.clients.getClientFor(replica.addr), replica, controller.signal));
        } catch (err) {
          failed.push({ replica, err });
          if (limiter.failure) controller.abort();
        }
      }),
    );
    limiter.check();
    if (failed.length === 0) return answers;
    for (const f of failed) this.failures.inc({ operation, reason: reasonOf(f.err) });
    const zones = new Set(failed.map((f) => f.replica.zone));
    const tolerated = plan.maxUnavailableZones > 0 ? zones.size <= plan.maxUnavailableZones : failed.length <= plan.maxErrors;
    const detail = failed.map((f) => `${f.replica.id} (${f.replica.addr}): ${errorMessage(f.err)}`).join('; ');
    if (tolerated) {
      this.logger.warn('ingester query failed, tolerated by replication', { component: 'querier', operation, failed: failed.length, detail });
      return answers;
    }
    if (isRequestError(failed[0].err)) throw failed[0].err;
    const allowed = plan.maxUnavailableZones > 0 ? `failures in at most ${plan.maxUnavailableZones} zone(s)` : `at most ${plan.maxErrors} failure(s)`;
    throw new UnavailableError(
      'ingesters_unavailable',
      `${failed.length} of ${plan.instances.length} ingesters failed ${operation}, the replication factor allows ${allowed}: ${detail}; retry the query, and check the ingester ring page`,
      { tenant: limiter.tenant, cause: failed[0].err },
    );
  }

  private async runPartitions<T>(plan: PartitionsReadPlan, operation: string, call: Call<T>, limiter: QueryLimiter, controller: AbortController): Promise<T[]> {
    let first: { err: unknown } | undefined;
    const start = this.rotation++;
    const answers = await Promise.allSettled(
      plan.partitions.map(async ({ id, owners }) => {
        try {
          return await this.callOwners(id, owners, start, operation, call, limiter, controller.signal);
        } catch (err) {
          first ??= { err };
          controller.abort();
          throw err;
        }
      }),
    );
    limiter.check();
    if (first) throw first.err;
    return answers.map((a) => (a as PromiseFulfilledResult<T>).value);
  }

  /** Asks the owners of one partition in turn, from `start` round, until one answers. */
  private async callOwners<T>(
    partition: number,
    owners: readonly IngesterReplica[],
    start: number,
    operation: string,
    call: Call<T>,
    limiter: QueryLimiter,
    signal: AbortSignal,
  ): Promise<T> {
    const errors: string[] = [];
    let last: unknown;
    for (let i = 0; i < owners.length; i++) {
      const replica = owners[(start + i) % owners.length];
      try {
        return await call(this.clients.getClientFor(replica.addr), replica, signal);
      } catch (err) {
        this.failures.inc({ operation, reason: reasonOf(err) });
        if (limiter.failure || isRequestError(err) || signal.aborted) throw err;
        last = err;
        errors.push(`${replica.id} (${replica.addr}): ${errorMessage(err)}`);
        if (i + 1 < owners.length) {
          this.logger.warn('ingester query failed, trying another owner of the partition', { component: 'querier', operation, partition, ingester: replica.id, err: errorMessage(err) });
        }
      }
    }
    throw new UnavailableError(
      'partition_unavailable',
      `every owner of partition ${partition} failed ${operation}: ${errors.join('; ')}; retry the query, and check the ingester and partition ring pages`,
      { tenant: limiter.tenant, cause: last },
    );
  }
}

// Remote write MetricMetadata.MetricType numbers as Prometheus's API names them (model.MetricType).
const METRIC_TYPE_NAMES = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

/** The metric type name of a remote write type number; numbers it does not know are `unknown`. */
export function metricTypeName(type: number): string {
  return METRIC_TYPE_NAMES[type] ?? 'unknown';
}

/** Several ingesters' metadata answers as one list, deduplicated, grouped by metric in name order, limits applied. */
function mergeMetadata(answers: readonly (readonly MetricMetadata[])[], request: MetadataRequest): MetricMetadataEntry[] {
  const byMetric = new Map<string, Map<string, MetricMetadataEntry>>();
  for (const answer of answers) {
    for (const m of answer) {
      if (request.metric !== '' && m.metricFamilyName !== request.metric) continue;
      const entry = { metric: m.metricFamilyName, type: metricTypeName(m.type), help: m.help, unit: m.unit };
      let entries = byMetric.get(entry.metric);
      if (entries === undefined) byMetric.set(entry.metric, (entries = new Map()));
      const key = `${entry.type}\u0000${entry.unit}\u0000${entry.help}`;
      if (!entries.has(key)) entries.set(key, entry);
    }
  }
  let names = [...byMetric.keys()].sort(compareUtf8);
  if (request.limit > 0) names = names.slice(0, request.limit);
  const out: MetricMetadataEntry[] = [];
  for (const name of names) {
    const entries = [...byMetric.get(name)!.values()];
    out.push(...(request.limitPerMetric > 0 ? entries.slice(0, request.limitPerMetric) : entries));
  }
  return out;
}

/** `chunks` ordered by (minT, maxT), as the engine reads them; the array itself when it already is. */
function inTimeOrder(chunks: readonly EncodedChunk[]): EncodedChunk[] {
  for (let i = 1; i < chunks.length; i++) {
    if (chunks[i].minT < chunks[i - 1].minT || (chunks[i].minT === chunks[i - 1].minT && chunks[i].maxT < chunks[i - 1].maxT)) {
      return [...chunks].sort((a, b) => a.minT - b.minT || a.maxT - b.maxT);
    }
  }
  return chunks as EncodedChunk[];
}
