import { Counter, Registry } from 'prom-client';

/** The metric `name` of `registry`, made by `create` the first time: queryables built on one registry share it. */
export function metricIn<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** Counters every storage source of the querier reports into, by `source` (`ingesters`, `blocks`). */
export class FetchMetrics {
  readonly series: Counter<'source'>;
  readonly chunks: Counter<'source'>;
  readonly chunkBytes: Counter<'source'>;
  readonly rejected: Counter<'reason'>;

  constructor(registry: Registry) {
    this.series = metricIn(
      registry,
      'panoptes_querier_fetched_series_total',
      () =>
        new Counter({
          name: 'panoptes_querier_fetched_series_total',
          help: 'Series received by the querier, by source (replica and block copies each count).',
          labelNames: ['source'],
          registers: [registry],
        }),
    );
    this.chunks = metricIn(
      registry,
      'panoptes_querier_fetched_chunks_total',
      () =>
        new Counter({
          name: 'panoptes_querier_fetched_chunks_total',
          help: 'Chunks received by the querier, by source.',
          labelNames: ['source'],
          registers: [registry],
        }),
    );
    this.chunkBytes = metricIn(
      registry,
      'panoptes_querier_fetched_chunk_bytes_total',
      () =>
        new Counter({
          name: 'panoptes_querier_fetched_chunk_bytes_total',
          help: 'Chunk bytes received by the querier, by source.',
          labelNames: ['source'],
          registers: [registry],
        }),
    );
    this.rejected = metricIn(
      registry,
      'panoptes_querier_queries_rejected_total',
      () =>
        new Counter({
          name: 'panoptes_querier_queries_rejected_total',
          help: 'Queries stopped because they fetched more than a per-query limit allows, by reason.',
          labelNames: ['reason'],
          registers: [registry],
        }),
    );
  }
}
