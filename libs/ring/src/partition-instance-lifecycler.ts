import { Clock, ValidationError, errorMessage } from '@panoptes/common';
import { KvStore } from '@panoptes/kv';
import { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { Registry } from 'prom-client';
import {
  PartitionRingDesc,
  PartitionState,
  activatePartitionIfReady,
  activeOwners,
  decodePartitionRingDesc,
  deletePartition,
  partitionIds,
  setPartitionState,
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
  /**
   * Delete a partition that has been INACTIVE this long and has no owner left, in milliseconds
   * (any instance's reconcile does it); 0 never deletes. Keep it above the time queriers read
   * recent data from ingesters only (-querier.query-store-after).
   */
  deleteInactivePartitionAfterMs: number;
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
    deleteInactivePartitionAfterMs: 13 * 3_600_000,
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
  /** Give up ownership on shutdown; starts from the config, set by the scale-down endpoints. */
  removeOwnerOnShutdown: boolean;
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
    this.removeOwnerOnShutdown = config.removeOwnerOnShutdown;
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
    if (!this.removeOwnerOnShutdown) return;
    await updatePartitionRing(this.kv, this.config.ringKey, (desc) =>
      removePartitionOwner(desc, this.config.instanceId, this.clock.now()),
    );
    this.logger.info('gave up partition ownership');
  }

  /**
   * Scale-down, step 1 (Mimir's `POST /ingester/prepare-partition-downscale`): the owned partition
   * goes INACTIVE, so distributors stop writing to it while queriers keep reading it, and this
   * instance gives up ownership on shutdown. `false` undoes it (ACTIVE again, ownership kept).
   * Returns when the partition became INACTIVE (ms since the epoch), or 0 when it is not INACTIVE.
   */
  async prepareDownscale(prepare: boolean): Promise<number> {
    const id = this.partitionId;
    const desc = await updatePartitionRing(this.kv, this.config.ringKey, (d) => {
      const state = d.partitions[id]?.state;
      if (prepare && state === 'PENDING') {
        throw new ValidationError(
          'partition_pending',
          `partition ${id} is PENDING and holds no data yet; stop the instance instead of preparing a downscale`,
        );
      }
      return setPartitionState(d, id, prepare ? 'INACTIVE' : 'ACTIVE', this.clock.now());
    });
    this.removeOwnerOnShutdown = prepare;
    return this.observe(desc);
  }

  /** When the owned partition became INACTIVE (ms since the epoch), or 0 when it is not INACTIVE. */
  async downscaleState(): Promise<number> {
    return this.observe(decodePartitionRingDesc(await this.kv.get(this.config.ringKey)));
  }

  private observe(desc: PartitionRingDesc): number {
    const p = desc.partitions[this.partitionId];
    this.lastSeenState = p?.state;
    return p?.state === 'INACTIVE' ? p.stateChangedAtMs : 0;
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
      if (this.config.deleteInactivePartitionAfterMs > 0) {
        for (const other of partitionIds(d, ['INACTIVE'])) {
          const p = d.partitions[other];
          if (now - p.stateChangedAtMs < this.config.deleteInactivePartitionAfterMs || activeOwners(d, other).length > 0) continue;
          changed = deletePartition(d, other) || changed;
          this.logger.info('deleted an inactive partition without owners', { deleted_partition: other });
        }
      }
      return changed;
    });
    const state = desc.partitions[id]?.state;
    if (state !== this.lastSeenState && state) this.logger.info('partition state', { state });
    this.lastSeenState = state;
    return state !== undefined;
  }
}
