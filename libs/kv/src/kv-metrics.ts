import { Counter, Histogram, Registry } from 'prom-client';

export type KvOperation = 'get' | 'cas' | 'delete' | 'list';

/**
 * KV request metrics. Several stores may share one registry (one per ring in a process), so the
 * metrics are created once per registry and reused.
 */
export class KvMetrics {
  readonly requestDuration: Histogram<'operation' | 'status'>;
  readonly casRetries: Counter;

  constructor(registry: Registry) {
    this.requestDuration =
      (registry.getSingleMetric('panoptes_kv_request_duration_seconds') as Histogram<'operation' | 'status'>) ??
      new Histogram({
        name: 'panoptes_kv_request_duration_seconds',
        help: 'Time spent on KV store requests, by operation and status (success or error).',
        labelNames: ['operation', 'status'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers: [registry],
      });
    this.casRetries =
      (registry.getSingleMetric('panoptes_kv_cas_retries_total') as Counter) ??
      new Counter({
        name: 'panoptes_kv_cas_retries_total',
        help: 'Compare-and-swap attempts that were retried because of a conflicting write or a retry request.',
        registers: [registry],
      });
  }

  /** Runs `op`, recording its duration with status success or error. */
  async time<T>(operation: KvOperation, op: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    let status = 'error';
    try {
      const result = await op();
      status = 'success';
      return result;
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.requestDuration.observe({ operation, status }, seconds);
    }
  }
}
