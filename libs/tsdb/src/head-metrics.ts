import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The head's metrics, without a tenant label: the ingester gives each tenant's head its own
 * registry and exposes them with the tenant added (Mimir's per-tenant registries), so one
 * registry holds at most one head's metrics.
 */
export class HeadMetrics {
  readonly series: Gauge;
  readonly appended: Counter;
  readonly appendedOutOfOrder: Counter;
  readonly rejected: Counter<'reason'>;

  constructor(private readonly registry: Registry) {
    this.series = new Gauge({
      name: 'panoptes_ingester_memory_series',
      help: 'Series held in the in-memory TSDB head.',
      registers: [registry],
    });
    this.appended = new Counter({
      name: 'panoptes_ingester_samples_appended_total',
      help: 'Samples stored in the TSDB head.',
      registers: [registry],
    });
    this.appendedOutOfOrder = new Counter({
      name: 'panoptes_ingester_out_of_order_samples_appended_total',
      help: 'Samples stored in the TSDB head out of order (within the out-of-order window; also counted in samples_appended_total).',
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'panoptes_ingester_samples_rejected_total',
      help: 'Samples the TSDB head refused, by reason (sample_out_of_order, sample_duplicate_timestamp, sample_too_old, …).',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  /** Removes these metrics from the registry (a head that is thrown away, e.g. a failed load). */
  unregister(): void {
    const names = [
      'panoptes_ingester_memory_series',
      'panoptes_ingester_samples_appended_total',
      'panoptes_ingester_out_of_order_samples_appended_total',
      'panoptes_ingester_samples_rejected_total',
    ];
    for (const name of names) {
      this.registry.removeSingleMetric(name);
    }
  }
}
