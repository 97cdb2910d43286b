import { FakeClock, UnavailableError } from '@panoptes/common';
import { type InstanceDesc, type InstanceState, type Operation, PartitionRing, type PartitionRingDesc, type PartitionState, type RingDesc, RingSnapshot } from '@panoptes/ring';
import { PartitionRingReadTopology, TokenRingReadTopology } from './ingester-topology';

const NOW = 1_000_000;

function instance(n: number, state: InstanceState = 'ACTIVE', opts: { zone?: string; heartbeatMs?: number } = {}): InstanceDesc {
  return { addr: `10.0.0.${n}:9095`, zone: opts.zone ?? '', state, tokens: [n * 1000, n * 1000 + 1], heartbeatMs: opts.heartbeatMs ?? NOW, registeredAtMs: 0 };
}

function snapshot(instances: Record<string, InstanceDesc>, zoneAwarenessEnabled = false): RingSnapshot {
  const desc: RingDesc = { instances };
  return RingSnapshot.fromDesc(desc, { heartbeatTimeoutMs: 60_000, zoneAwarenessEnabled, name: 'ingester' });
}

/** What `Ring.replicationSetForOperation` does: the snapshot's set with the ring's replication factor and clock. */
const ringOf = (s: RingSnapshot, rf = 3) => ({ replicationSetForOperation: (op: Operation) => s.replicationSetForOperation(op, rf, NOW) });

describe('TokenRingReadTopology (classic mode)', () => {
  it.each([
    {
      name: 'three healthy ingesters with RF 3: ask all, one may fail',
      instances: { 'ing-1': instance(1), 'ing-2': instance(2), 'ing-3': instance(3) },
      ids: ['ing-1', 'ing-2', 'ing-3'],
      maxErrors: 1,
    },
    {
      name: 'a LEAVING ingester still holds data and is asked',
      instances: { 'ing-1': instance(1), 'ing-2': instance(2, 'LEAVING'), 'ing-3': instance(3) },
      ids: ['ing-1', 'ing-2', 'ing-3'],
      maxErrors: 1,
    },
    {
      name: 'one ingester with a stale heartbeat: ask the other two, none may fail',
      instances: { 'ing-1': instance(1), 'ing-2': instance(2, 'ACTIVE', { heartbeatMs: NOW - 120_000 }), 'ing-3': instance(3) },
      ids: ['ing-1', 'ing-3'],
      maxErrors: 0,
    },
  ])('$name', ({ instances, ids, maxErrors }) => {
    const plan = new TokenRingReadTopology(() => ringOf(snapshot(instances))).readPlan();
    expect(plan.kind).toBe('replication-set');
    expect(plan.instances.map((i) => i.id)).toEqual(ids);
    expect(plan.instances[0]).toEqual({ id: ids[0], addr: instances[ids[0] as keyof typeof instances].addr, zone: '' });
    expect(plan.maxErrors).toBe(maxErrors);
  });

  it('fails with UnavailableError when too few ingesters are healthy to cover every series', () => {
    const ring = snapshot({ 'ing-1': instance(1), 'ing-2': instance(2, 'JOINING'), 'ing-3': instance(3, 'PENDING') });
    expect(() => new TokenRingReadTopology(() => ringOf(ring)).readPlan()).toThrow(UnavailableError);
  });

  it('with zones, tolerates one failing zone of three', () => {
    const ring = snapshot(
      { 'a-1': instance(1, 'ACTIVE', { zone: 'a' }), 'b-1': instance(2, 'ACTIVE', { zone: 'b' }), 'c-1': instance(3, 'ACTIVE', { zone: 'c' }) },
      true,
    );
    const plan = new TokenRingReadTopology(() => ringOf(ring)).readPlan();
    expect(plan.instances.map((i) => i.zone)).toEqual(['a', 'b', 'c']);
    expect(plan.maxUnavailableZones).toBe(1);
  });
});

describe('PartitionRingReadTopology (ingest-log mode)', () => {
  function partitions(states: Record<number, PartitionState>, owners: Record<string, number>): PartitionRing {
    const desc: PartitionRingDesc = { partitions: {}, owners: {} };
    for (const [id, state] of Object.entries(states)) desc.partitions[Number(id)] = { state, stateChangedAtMs: 0 };
    for (const [ownerId, partitionId] of Object.entries(owners)) desc.owners[ownerId] = { ownerId, partitionId, state: 'ACTIVE', updatedAtMs: 0 };
    return PartitionRing.fromDesc(desc);
  }
  const clock = new FakeClock(NOW);

  it('reads ACTIVE and INACTIVE partitions (INACTIVE ones still hold data), not PENDING ones, each from its healthy owners', () => {
    const ring = snapshot({
      'ingester-zone-a-0': instance(1),
      'ingester-zone-b-0': instance(2),
      'ingester-zone-a-1': instance(3),
      'ingester-zone-a-2': instance(4),
    });
    const parts = partitions({ 0: 'ACTIVE', 1: 'INACTIVE', 2: 'PENDING' }, { 'ingester-zone-a-0': 0, 'ingester-zone-b-0': 0, 'ingester-zone-a-1': 1, 'ingester-zone-a-2': 2 });
    const plan = new PartitionRingReadTopology(() => parts, () => ring, clock).readPlan();
    expect(plan).toEqual({
      kind: 'partitions',
      partitions: [
        {
          id: 0,
          owners: [
            { id: 'ingester-zone-a-0', addr: '10.0.0.1:9095', zone: '' },
            { id: 'ingester-zone-b-0', addr: '10.0.0.2:9095', zone: '' },
          ],
        },
        { id: 1, owners: [{ id: 'ingester-zone-a-1', addr: '10.0.0.3:9095', zone: '' }] },
      ],
    });
  });

  it('leaves out owners that are unhealthy or missing from the ingester ring', () => {
    const ring = snapshot({ 'ing-0': instance(1, 'ACTIVE', { heartbeatMs: NOW - 120_000 }), 'ing-1': instance(2) });
    const parts = partitions({ 0: 'ACTIVE' }, { 'ing-0': 0, 'ing-1': 0, 'ing-gone': 0 });
    const plan = new PartitionRingReadTopology(() => parts, () => ring, clock).readPlan();
    expect(plan.partitions).toEqual([{ id: 0, owners: [{ id: 'ing-1', addr: '10.0.0.2:9095', zone: '' }] }]);
  });

  it('skips an INACTIVE partition nobody owns any more (scaled down: its data is in blocks), but not an unowned ACTIVE one', () => {
    const ring = snapshot({ 'ing-0': instance(1) });
    const scaledDown = partitions({ 0: 'ACTIVE', 1: 'INACTIVE' }, { 'ing-0': 0 });
    expect(new PartitionRingReadTopology(() => scaledDown, () => ring, clock).readPlan().partitions.map((p) => p.id)).toEqual([0]);
    const ownerless = partitions({ 0: 'ACTIVE', 1: 'ACTIVE' }, { 'ing-0': 0 });
    expect(() => new PartitionRingReadTopology(() => ownerless, () => ring, clock).readPlan()).toThrow(
      expect.objectContaining({ reason: 'partition_unavailable', message: expect.stringContaining('partition 1 (ACTIVE)') }),
    );
  });

  it('fails with UnavailableError naming the partition when no owner is healthy', () => {
    const ring = snapshot({ 'ing-0': instance(1, 'JOINING'), 'ing-1': instance(2) });
    const parts = partitions({ 0: 'ACTIVE', 3: 'ACTIVE' }, { 'ing-0': 3, 'ing-1': 0 });
    expect(() => new PartitionRingReadTopology(() => parts, () => ring, clock).readPlan()).toThrow(
      expect.objectContaining({ kind: 'unavailable', reason: 'partition_unavailable', message: expect.stringContaining('partition 3 (ACTIVE)') }),
    );
  });
});
