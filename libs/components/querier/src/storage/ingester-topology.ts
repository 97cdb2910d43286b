import { UnavailableError, type Clock } from '@panoptes/common';
import { activeOwners, Operation, type PartitionRing, type ReplicationSet, type RingSnapshot } from '@panoptes/ring';

/** An ingester a read may go to. */
export interface IngesterReplica {
  id: string;
  /** gRPC address, host:port. */
  addr: string;
  /** Availability zone; '' without zones. */
  zone: string;
}

/**
 * Classic mode: every series lives on replication-factor ingesters of the token ring, so a read
 * asks every healthy ingester and succeeds while at most `maxErrors` of them fail (or, when
 * `maxUnavailableZones` > 0, while the failures fall in at most that many zones): then each series
 * still reached the querier from at least one replica.
 */
export interface ReplicationSetReadPlan {
  kind: 'replication-set';
  instances: IngesterReplica[];
  maxErrors: number;
  maxUnavailableZones: number;
}

/**
 * Ingest-log mode: every series lives in one partition, and every owner of a partition holds all
 * of it, so a read asks one owner per partition and falls back to the next owner when it fails.
 */
export interface PartitionsReadPlan {
  kind: 'partitions';
  /** Owners healthy for reads, in the ring's order (the querier rotates through them). */
  partitions: { id: number; owners: IngesterReplica[] }[];
}

export type IngesterReadPlan = ReplicationSetReadPlan | PartitionsReadPlan;

/** Which ingesters a read must reach, decided from the rings at the time of the read. */
export interface IngesterReadTopology {
  /** Throws `UnavailableError` when the rings cannot cover every series. */
  readPlan(): IngesterReadPlan;
}

/** What the classic plan needs of the ingester ring: `Ring` of @panoptes/ring. */
export interface ReplicationSetSource {
  replicationSetForOperation(op: Operation): ReplicationSet;
}

/**
 * Classic mode (`-ingest-storage.enabled=false`): the distributor wrote each series to
 * replication-factor ingesters of the token ring, so read from all of them (Mimir with
 * "minimize ingester requests" off). The ring decides health and tolerance
 * (`replicationSetForOperation(Read)`: ACTIVE and LEAVING instances, which still hold their
 * data) and throws `UnavailableError` when too many are unhealthy to reach quorum.
 */
export class TokenRingReadTopology implements IngesterReadTopology {
  constructor(private readonly ring: () => ReplicationSetSource) {}

  readPlan(): ReplicationSetReadPlan {
    const set = this.ring().replicationSetForOperation(Operation.Read);
    return {
      kind: 'replication-set',
      instances: set.instances.map((i) => ({ id: i.id, addr: i.addr, zone: i.zone })),
      maxErrors: set.maxErrors,
      maxUnavailableZones: set.maxUnavailableZones,
    };
  }
}

/**
 * Ingest-log mode: the distributor wrote each series to one ACTIVE partition; partitions that
 * became INACTIVE still hold what was written before, so both are read (PENDING ones hold
 * nothing), except an INACTIVE partition nobody owns any more: the scale-down procedure flushed
 * it to blocks before its owners left. A partition's owners are ingester ids; their addresses and health come from the
 * ingester token ring, where each ingester also registers. A partition without an owner healthy
 * for reads makes the read fail with `UnavailableError`: its series would silently be missing.
 */
export class PartitionRingReadTopology implements IngesterReadTopology {
  constructor(
    private readonly partitions: () => PartitionRing,
    private readonly instances: () => RingSnapshot,
    private readonly clock: Clock,
  ) {}

  readPlan(): PartitionsReadPlan {
    const partitionRing = this.partitions();
    const ring = this.instances();
    const now = this.clock.now();
    const plan: PartitionsReadPlan = { kind: 'partitions', partitions: [] };
    for (const id of partitionRing.readablePartitions()) {
      const ownerIds = activeOwners(partitionRing.desc, id);
      // Scaled down: INACTIVE, every owner flushed its heads to blocks and gave the partition up.
      // What it held is read from the blocks now.
      if (ownerIds.length === 0 && partitionRing.partitionState(id) === 'INACTIVE') continue;
      const owners: IngesterReplica[] = [];
      for (const ownerId of ownerIds) {
        const instance = ring.instance(ownerId);
        if (instance && ring.isHealthy(ownerId, Operation.Read, now)) owners.push({ id: ownerId, addr: instance.addr, zone: instance.zone });
      }
      if (owners.length === 0) {
        throw new UnavailableError(
          'partition_unavailable',
          `partition ${id} (${partitionRing.partitionState(id)}) has no owner healthy for reads in the ingester ring (owners: ${ownerIds.join(', ') || 'none'}); its series cannot be read, check the ingester and partition ring pages`,
        );
      }
      plan.partitions.push({ id, owners });
    }
    return plan;
  }
}
