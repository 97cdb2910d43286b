import { Counter, Histogram, Registry } from 'prom-client';

// Several buckets and caches share one registry (blocks, ruler and alert-router buckets in one
// process), so each metric family is registered once per registry and reused after that.

export function counterIn<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function histogramIn<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
  buckets: number[],
): Histogram<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<L>;
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

/** Requests, hits and failures of a Cache, labelled by the cache's name. */
export class CacheMetrics {
  readonly requests: Counter<'name'>;
  readonly hits: Counter<'name'>;
  readonly failures: Counter<'name' | 'operation'>;

  constructor(registry: Registry) {
    this.requests = counterIn(registry, 'panoptes_cache_requests_total', 'Keys looked up in the cache.', ['name']);
    this.hits = counterIn(registry, 'panoptes_cache_hits_total', 'Keys found in the cache.', ['name']);
    this.failures = counterIn(
      registry,
      'panoptes_cache_operation_failures_total',
      'Cache operations that failed (a failed lookup counts as a miss, never as a failed read).',
      ['name', 'operation'],
    );
  }
}
