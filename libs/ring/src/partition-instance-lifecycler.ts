import { Clock, ValidationError, errorMessage } from '@panoptes/common';
import { KvStore } from '@panoptes/kv';
import { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { Registry } from 'prom-client';
import {
  PartitionState,
  activatePartitionIfReady,
  addPartitionOwner,
  createPartition,
  removePartitionOwner,
  updatePartitionRing,
} from './partition-ring-desc';

export interface PartitionInstanceLifecyclerConfig {
  /** KV key holding the partition ring, e.g. "ring/ingester-partitions". */
  ringKey: string;
  /** This instance's id; its trailing number is the partition it owns (ingester-zone-a-3 owns 3). */
  instanceId: string;
  /** Partition to own instead of the one in the id; -1 to take it from the id. */
  partitionId: number;
  /** Create the partition (PENDING) when it is not in the ring; otherwise wait for someone to create it. */
  createPartitionIfMissing: boolean;
  /** Owners a PENDING partition needs before it becomes ACTIVE. */
  minOwnersForActivation: number;
  /** Time a partition stays PENDING at least before it becomes ACTIVE, in milliseconds. */
  minPendingMs: number;
  /** How often ownership and activation are re-checked, in milliseconds. */
  reconcilePeriodMs: number;
  /** Give up ownership on shutdown (scale-down); when false a restart resumes the same partition. */
  removeOwnerOnShutdown: boolean;
}

export function defaultPartitionInstanceLifecyclerConfig(): PartitionInstanceLifecyclerConfig {
  return {
    ringKey: 'ring/ingester-partitions',
    instanceId: 'ingester-zone-a-0',
    partitionId: -1,
    createPartitionIfMissing: true,
    minOwnersForActivation: 1,
    minPendingMs: 10_000,
    reconcilePeriodMs: 5_000,
    removeOwnerOnShutdown: false,
  };
}

/** The partition an instance id names: its trailing number. Throws ValidationError when there is none. */
export function partitionIdFromInstanceId(instanceId: string): number {
  const match = /(\d+)$/.exec(instanceId);
  if (!match) {
    throw new ValidationError(
      'invalid_instance_id',
      `instance id "${instanceId}" does not end in a number, so it names no partition; name instances like ingester-zone-a-3 or set the partition id`,
    );
  }
  return Number(match[1]);
}

/**
 * Keeps one instance's ownership of its partition in the partition ring.
 * starting: create the partition if missing (or wait until it exists), register as its owner,
 * activate it if it is ready. running: every reconcilePeriodMs re-register if the entry was lost
 * and activate the partition once it has had enough owners for long enough. stopping: give up
 * ownership when removeOwnerOnShutdown, otherwise keep it so a restart resumes the same partition.
 */
export class PartitionInstanceLifecycler extends Service {
  readonly partitionId: number;
  private lastSeenState: PartitionState | undefined;

  constructor(
    private readonly config: PartitionInstanceLifecyclerConfig,
    private readonly kv: KvStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    _registry: Registry,
  ) {
    super('partition-instance-lifecycler');
    this.partitionId = config.partitionId >= 0 ? config.partitionId : partitionIdFromInstanceId(config.instanceId);
    this.logger = logger.with({ instance: config.instanceId, partition: this.partitionId });
  }

  /** The owned partition's state as of the last reconcile (undefined before the partition exists). */
  get partitionState(): PartitionState | undefined {
    return this.lastSeenState;
  }

  protected override async starting(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (await this.reconcile()) return;
      this.logger.info('waiting for the partition to be created');
      await this.clock.sleep(this.config.reconcilePeriodMs, signal);
    }
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await this.clock.sleep(this.config.reconcilePeriodMs, signal);
      } catch {
        return;
      }
      try {
        await this.reconcile();
      } catch (err) {
        this.logger.warn('partition ring reconcile failed', { err: errorMessage(err) });
      }
    }
  }

  protected override async stopping(_failure: unknown): Promise<void> {
    if (!this.config.removeOwnerOnShutdown) return;
    await updatePartitionRing(this.kv, this.config.ringKey, (desc) =>
      removePartitionOwner(desc, this.config.instanceId, this.clock.now()),
    );
    this.logger.info('gave up partition ownership');
  }

  /** One pass of create / own / activate. Returns false while the partition does not exist (and may not be created). */
  async reconcile(): Promise<boolean> {
    const id = this.partitionId;
    const desc = await updatePartitionRing(this.kv, this.config.ringKey, (d) => {
      const now = this.clock.now();
      let changed = this.config.createPartitionIfMissing && createPartition(d, id, now);
      if (!d.partitions[id]) return changed;
      changed = addPartitionOwner(d, this.config.instanceId, id, now) || changed;
      changed =
        activatePartitionIfReady(d, id, now, {
          minOwners: this.config.minOwnersForActivation,
          minPendingMs: this.config.minPendingMs,
        }) || changed;
      return changed;
    });
    const state = desc.partitions[id]?.state;
    if (state !== this.lastSeenState && state) this.logger.info('partition state', { state });
    this.lastSeenState = state;
    return state !== undefined;
  }
}
