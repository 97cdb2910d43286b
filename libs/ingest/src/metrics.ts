import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { reasonOf } from '@panoptes/common';

/**
 * Metrics of one ingest log. No partition label: with hundreds of partitions per topic it would
 * multiply every series; per-partition detail belongs to the ingester that owns the partition.
 */
export class IngestMetrics {
  readonly producedRecords: Counter;
  readonly produceFailures: Counter<'reason'>;
  readonly produceDuration: Histogram;
  readonly consumedRecords: Counter;
  /** Lag sources of the live consumers of this log; the gauge sums them when scraped. */
  private readonly lagSources = new Set<() => number>();

  constructor(registry: Registry) {
    this.producedRecords = new Counter({
      name: 'panoptes_ingest_produced_records_total',
      help: 'Records acknowledged by the ingest log.',
      registers: [registry],
    });
    this.produceFailures = new Counter({
      name: 'panoptes_ingest_produce_failures_total',
      help: 'Produce calls that failed, by reason; their records were not acknowledged.',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.produceDuration = new Histogram({
      name: 'panoptes_ingest_produce_duration_seconds',
      help: 'Time from produce to acknowledgement of every record of the call.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.consumedRecords = new Counter({
      name: 'panoptes_ingest_consumed_records_total',
      help: 'Records returned to consumers by poll.',
      registers: [registry],
    });
    const lagSources = this.lagSources;
    new Gauge({
      name: 'panoptes_ingest_consumer_lag_records',
      help: 'Records between the partition end and the read position, summed over the consumers of this process (as of their last poll).',
      registers: [registry],
      collect() {
        let sum = 0;
        for (const lag of lagSources) sum += lag();
        this.set(sum);
      },
    });
  }

  /** Times a produce call and counts its outcome. */
  async observeProduce<T>(records: number, produce: () => Promise<T>): Promise<T> {
    const stop = this.produceDuration.startTimer();
    try {
      const result = await produce();
      this.producedRecords.inc(records);
      return result;
    } catch (err) {
      this.produceFailures.inc({ reason: reasonOf(err) });
      throw err;
    } finally {
      stop();
    }
  }

  /** Registers a consumer's lag; returns the function that unregisters it. */
  trackLag(lag: () => number): () => void {
    this.lagSources.add(lag);
    return () => this.lagSources.delete(lag);
  }
}
