import { errorMessage } from '@panoptes/common';
import { KvStore } from '@panoptes/kv';
import { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { Gauge, Registry } from 'prom-client';
import { DEFAULT_TOKENS_PER_PARTITION, PartitionRing } from './partition-ring';
import { PartitionState, decodePartitionRingDesc, emptyPartitionRingDesc } from './partition-ring-desc';

export interface PartitionRingConfig {
  /** KV key holding the partition ring, e.g. "ring/ingester-partitions". */
  key: string;
  /** Ring name in logs and metrics, e.g. "ingester-partitions". */
  name: string;
  /** Tokens each partition gets on the key ring; every process must use the same value. */
  tokensPerPartition: number;
}

export function defaultPartitionRingConfig(): PartitionRingConfig {
  return { key: 'ring/ingester-partitions', name: 'ingester-partitions', tokensPerPartition: DEFAULT_TOKENS_PER_PARTITION };
}

const STATES: readonly PartitionState[] = ['PENDING', 'ACTIVE', 'INACTIVE'];

/**
 * Follows the partition ring in the KV (read on start, then the KV watch) and keeps an indexed
 * PartitionRing for lookups. An undecodable value is logged and the previous ring kept.
 */
export class PartitionRingWatcher extends Service {
  private current: PartitionRing;
  private readonly partitionsGauge: Gauge<'name' | 'state'>;

  constructor(
    private readonly config: PartitionRingConfig,
    private readonly kv: KvStore,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super(`${config.name}-watcher`);
    this.current = PartitionRing.fromDesc(emptyPartitionRingDesc(), config.tokensPerPartition);
    this.partitionsGauge =
      (registry.getSingleMetric('panoptes_ring_partitions') as Gauge<'name' | 'state'>) ??
      new Gauge({
        name: 'panoptes_ring_partitions',
        help: 'Partitions in the partition ring by state.',
        labelNames: ['name', 'state'],
        registers: [registry],
      });
  }

  protected override async starting(signal: AbortSignal): Promise<void> {
    this.apply(await this.kv.get(this.config.key));
    await this.kv.watchKey(this.config.key, signal, (value) => this.apply(value));
  }

  /** The latest partition ring. */
  ring(): PartitionRing {
    return this.current;
  }

  private apply(value: Buffer | undefined): void {
    try {
      this.current = PartitionRing.fromDesc(decodePartitionRingDesc(value), this.config.tokensPerPartition);
    } catch (err) {
      this.logger.error('ignoring undecodable partition ring', { ring: this.config.name, err: errorMessage(err) });
      return;
    }
    for (const state of STATES) {
      const n = Object.values(this.current.desc.partitions).filter((p) => p.state === state).length;
      this.partitionsGauge.set({ name: this.config.name, state }, n);
    }
  }
}
