import { Clock, errorMessage } from '@panoptes/common';
import { KvStore } from '@panoptes/kv';
import { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { Registry } from 'prom-client';
import { Operation } from './operation';
import { RingDesc, decodeRingDesc, emptyRingDesc, encodeRingDesc, updateInstance } from './ring-desc';
import { RingMetrics } from './ring-metrics';
import { ReplicationSet, RingSnapshot } from './ring-snapshot';

export interface RingConfig {
  /** KV key holding the ring, e.g. "ring/ingester". */
  key: string;
  /** Ring name in logs, metrics and error messages, e.g. "ingester". */
  name: string;
  /** An instance whose last heartbeat is older than this is unhealthy, in milliseconds; 0 disables the check. */
  heartbeatTimeoutMs: number;
  /** Replicas per key when `get` is not given one. */
  replicationFactor: number;
  /** Place the replicas of a key in distinct zones. */
  zoneAwarenessEnabled: boolean;
}

export function defaultRingConfig(): RingConfig {
  return {
    key: 'ring/ingester',
    name: 'ingester',
    heartbeatTimeoutMs: 60_000,
    replicationFactor: 3,
    zoneAwarenessEnabled: false,
  };
}

// Heartbeats refresh the gauges anyway; this catches instances that stopped heartbeating.
const METRICS_REFRESH_MS = 10_000;

/**
 * A client's view of a token ring: reads the ring from the KV on start, then follows the KV watch,
 * rebuilding an indexed RingSnapshot on every change. Lookups use the latest snapshot and never
 * touch the KV. A value that fails to decode is logged and the previous snapshot kept.
 */
export class Ring extends Service {
  private current: RingSnapshot;
  private readonly metrics: RingMetrics;

  constructor(
    private readonly config: RingConfig,
    private readonly kv: KvStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super(`${config.name}-ring`);
    this.metrics = new RingMetrics(registry);
    this.current = this.build(emptyRingDesc());
  }

  protected override async starting(signal: AbortSignal): Promise<void> {
    this.apply(await this.kv.get(this.config.key));
    await this.kv.watchKey(this.config.key, signal, (value) => this.apply(value));
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await this.clock.sleep(METRICS_REFRESH_MS, signal);
      } catch {
        return;
      }
      this.updateMetrics();
    }
  }

  /** The replication set of `key` for `op`; see RingSnapshot.get. */
  get(key: number, op: Operation = Operation.Write, replicationFactor = this.config.replicationFactor): ReplicationSet {
    return this.current.get(key, op, replicationFactor, this.clock.now());
  }

  /** Every instance healthy for `op`, with the failures the caller may tolerate. */
  replicationSetForOperation(op: Operation = Operation.Read): ReplicationSet {
    return this.current.replicationSetForOperation(op, this.config.replicationFactor, this.clock.now());
  }

  /** The latest indexed view of the ring. */
  snapshot(): RingSnapshot {
    return this.current;
  }

  desc(): RingDesc {
    return this.current.desc;
  }

  /**
   * Removes an instance from the ring (the status page's "forget" button, for an instance that
   * died without leaving). A live instance re-adds itself on its next heartbeat. Returns whether
   * the instance was in the ring.
   */
  async forget(id: string): Promise<boolean> {
    let found = false;
    await this.kv.cas(this.config.key, (value) => {
      const desc = decodeRingDesc(value);
      found = id in desc.instances;
      return found ? { value: encodeRingDesc(updateInstance(desc, id, () => undefined)) } : null;
    });
    if (found) this.logger.info('instance forgotten', { ring: this.config.name, instance: id });
    return found;
  }

  private apply(value: Buffer | undefined): void {
    try {
      this.current = this.build(decodeRingDesc(value));
    } catch (err) {
      this.logger.error('ignoring undecodable ring', { ring: this.config.name, key: this.config.key, err: errorMessage(err) });
      return;
    }
    this.updateMetrics();
  }

  private build(desc: RingDesc): RingSnapshot {
    return RingSnapshot.fromDesc(desc, {
      heartbeatTimeoutMs: this.config.heartbeatTimeoutMs,
      zoneAwarenessEnabled: this.config.zoneAwarenessEnabled,
      name: this.config.name,
    });
  }

  private updateMetrics(): void {
    this.metrics.update(this.config.name, this.current.desc, this.clock.now(), this.config.heartbeatTimeoutMs);
  }
}
