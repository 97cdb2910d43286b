import { FakeClock, UnavailableError, ValidationError } from '@panoptes/common';
import { MemoryKv, defaultMemoryKvConfig } from '@panoptes/kv';
import { nopLogger } from '@panoptes/log';
import { Registry } from 'prom-client';
import {
  PartitionInstanceLifecycler,
  PartitionInstanceLifecyclerConfig,
  defaultPartitionInstanceLifecyclerConfig,
  partitionIdFromInstanceId,
} from './partition-instance-lifecycler';
import { PartitionRing, partitionTokens } from './partition-ring';
import {
  PartitionRingDesc,
  PartitionState,
  activatePartitionIfReady,
  addPartitionOwner,
  createPartition,
  decodePartitionRingDesc,
  deletePartition,
  emptyPartitionRingDesc,
  encodePartitionRingDesc,
  removePartitionOwner,
  setPartitionState,
} from './partition-ring-desc';
import { PartitionRingWatcher, defaultPartitionRingConfig } from './partition-ring-watcher';
import { seededRandom } from './tokens';

function ringWith(states: Record<number, PartitionState>): PartitionRingDesc {
  const desc = emptyPartitionRingDesc();
  for (const [id, state] of Object.entries(states)) desc.partitions[Number(id)] = { state, stateChangedAtMs: 0 };
  return desc;
}

const activeRing = (n: number) => ringWith(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, 'ACTIVE' as const])));

function randomKeys(n: number, seed: number): Uint32Array {
  const random = seededRandom(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(random() * 0x100000000));
}

describe('partition ring state transitions', () => {
  it.each<{ from: PartitionState; to: PartitionState; allowed: boolean }>([
    { from: 'PENDING', to: 'ACTIVE', allowed: true },
    { from: 'ACTIVE', to: 'INACTIVE', allowed: true },
    { from: 'INACTIVE', to: 'ACTIVE', allowed: true },
    { from: 'PENDING', to: 'INACTIVE', allowed: false },
    { from: 'ACTIVE', to: 'PENDING', allowed: false },
    { from: 'INACTIVE', to: 'PENDING', allowed: false },
  ])('$from -> $to allowed: $allowed', ({ from, to, allowed }) => {
    const desc = ringWith({ 1: from });
    if (allowed) {
      expect(setPartitionState(desc, 1, to, 500)).toBe(true);
      expect(desc.partitions[1]).toEqual({ state: to, stateChangedAtMs: 500 });
    } else {
      expect(() => setPartitionState(desc, 1, to, 500)).toThrow(ValidationError);
      expect(desc.partitions[1].state).toBe(from);
    }
  });

  it('setting the current state again changes nothing', () => {
    const desc = ringWith({ 1: 'ACTIVE' });
    expect(setPartitionState(desc, 1, 'ACTIVE', 9)).toBe(false);
    expect(desc.partitions[1].stateChangedAtMs).toBe(0);
  });

  it('a new partition is PENDING and creating it twice changes nothing', () => {
    const desc = emptyPartitionRingDesc();
    expect(createPartition(desc, 4, 100)).toBe(true);
    expect(createPartition(desc, 4, 200)).toBe(false);
    expect(desc.partitions[4]).toEqual({ state: 'PENDING', stateChangedAtMs: 100 });
  });

  it.each([
    { name: 'activates with enough owners after the wait', owners: 1, pendingForMs: 10_000, activated: true },
    { name: 'waits for the pending period', owners: 1, pendingForMs: 9_999, activated: false },
    { name: 'waits for an owner', owners: 0, pendingForMs: 60_000, activated: false },
  ])('a PENDING partition $name', ({ owners, pendingForMs, activated }) => {
    const desc = emptyPartitionRingDesc();
    createPartition(desc, 0, 0);
    for (let i = 0; i < owners; i++) addPartitionOwner(desc, `ingester-zone-${i}-0`, 0, 0);
    expect(activatePartitionIfReady(desc, 0, pendingForMs, { minOwners: 1, minPendingMs: 10_000 })).toBe(activated);
    expect(desc.partitions[0].state).toBe(activated ? 'ACTIVE' : 'PENDING');
  });

  it('a DELETED owner does not count towards activation', () => {
    const desc = emptyPartitionRingDesc();
    createPartition(desc, 0, 0);
    addPartitionOwner(desc, 'a-0', 0, 0);
    addPartitionOwner(desc, 'b-0', 0, 0);
    removePartitionOwner(desc, 'b-0', 0);
    expect(activatePartitionIfReady(desc, 0, 1, { minOwners: 2, minPendingMs: 0 })).toBe(false);
  });

  it.each([
    { name: 'an ACTIVE partition', state: 'ACTIVE' as const, owner: undefined, error: 'partition_not_inactive' },
    { name: 'an INACTIVE partition with an active owner', state: 'INACTIVE' as const, owner: 'ACTIVE', error: 'partition_has_owners' },
    { name: 'an INACTIVE partition whose owner left', state: 'INACTIVE' as const, owner: 'DELETED', error: undefined },
    { name: 'an INACTIVE partition without owners', state: 'INACTIVE' as const, owner: undefined, error: undefined },
  ])('deleting $name', ({ state, owner, error }) => {
    const desc = ringWith({ 2: state, 3: 'ACTIVE' });
    if (owner) {
      addPartitionOwner(desc, 'ingester-2', 2, 0);
      if (owner === 'DELETED') removePartitionOwner(desc, 'ingester-2', 1);
    }
    addPartitionOwner(desc, 'ingester-3', 3, 0);
    if (error) {
      expect(() => deletePartition(desc, 2)).toThrow(expect.objectContaining({ reason: error }));
    } else {
      expect(deletePartition(desc, 2)).toBe(true);
      expect(Object.keys(desc.partitions)).toEqual(['3']);
      expect(Object.keys(desc.owners)).toEqual(['ingester-3']);
    }
  });

  it('round-trips through JSON and rejects a corrupt value', () => {
    const desc = ringWith({ 0: 'ACTIVE', 7: 'INACTIVE' });
    addPartitionOwner(desc, 'ingester-zone-a-7', 7, 3);
    expect(decodePartitionRingDesc(encodePartitionRingDesc(desc))).toEqual(desc);
    expect(() => decodePartitionRingDesc(Buffer.from('{"partitions":{"x":{"state":"ACTIVE"}},"owners":{}}'))).toThrow(
      ValidationError,
    );
  });
});

describe('PartitionRing lookups', () => {
  it('partition tokens are a pure function of the id, distinct between partitions', () => {
    expect(partitionTokens(5)).toEqual(partitionTokens(5));
    expect(partitionTokens(5)).toHaveLength(128);
    const a = new Set(partitionTokens(5));
    expect(partitionTokens(6).filter((t) => a.has(t))).toEqual([]);
  });

  it.each([3, 10, 100])('%i partitions share the key space with relative std-dev < 0.15', (n) => {
    const fractions = [...PartitionRing.fromDesc(activeRing(n)).ownership().values()];
    const mean = fractions.reduce((x, y) => x + y, 0) / n;
    const sd = Math.sqrt(fractions.reduce((x, f) => x + (f - mean) ** 2, 0) / n);
    expect(mean * n).toBeCloseTo(1, 9);
    expect(sd / mean).toBeLessThan(0.15);
  });

  it('adding an 11th partition to 10 moves about 1/11 of 100k keys, all of them to the new partition', () => {
    const before = PartitionRing.fromDesc(activeRing(10));
    const after = PartitionRing.fromDesc(activeRing(11));
    let moved = 0;
    const movedTo = new Set<number>();
    for (const key of randomKeys(100_000, 21)) {
      const to = after.partitionForKey(key);
      if (before.partitionForKey(key) !== to) {
        moved++;
        movedTo.add(to);
      }
    }
    expect([...movedTo]).toEqual([10]);
    expect(moved / 100_000).toBeGreaterThan(0.06);
    expect(moved / 100_000).toBeLessThan(0.12);
  });

  it('an INACTIVE partition receives no writes, only its keys move, and it stays readable', () => {
    const all = PartitionRing.fromDesc(activeRing(5));
    const desc = activeRing(5);
    desc.partitions[3].state = 'INACTIVE';
    const scaledDown = PartitionRing.fromDesc(desc);
    expect(scaledDown.activePartitions()).toEqual([0, 1, 2, 4]);
    expect(scaledDown.readablePartitions()).toEqual([0, 1, 2, 3, 4]);
    const changes = new Set<string>();
    for (const key of randomKeys(20_000, 22)) {
      const from = all.partitionForKey(key);
      const to = scaledDown.partitionForKey(key);
      if (from !== to) changes.add(`from ${from}`);
      if (to === 3) changes.add('to 3');
    }
    expect([...changes]).toEqual(['from 3']);
  });

  it.each<{ name: string; states: Record<number, PartitionState> }>([
    { name: 'an empty ring', states: {} },
    { name: 'only PENDING and INACTIVE partitions', states: { 0: 'PENDING', 1: 'INACTIVE' } },
  ])('partitionForKey on $name throws UnavailableError', ({ states }) => {
    expect(() => PartitionRing.fromDesc(ringWith(states)).partitionForKey(1)).toThrow(UnavailableError);
  });
});

describe('partitionIdFromInstanceId', () => {
  it.each([
    { id: 'ingester-zone-a-3', partition: 3 },
    { id: 'ingester-17', partition: 17 },
    { id: 'ingester-zone-b-0', partition: 0 },
  ])('$id owns partition $partition', ({ id, partition }) => {
    expect(partitionIdFromInstanceId(id)).toBe(partition);
  });

  it('rejects an id without a trailing number', () => {
    expect(() => partitionIdFromInstanceId('ingester-zone-a')).toThrow(ValidationError);
  });
});

describe('PartitionInstanceLifecycler', () => {
  const KEY = 'ring/ingester-partitions';
  let kv: MemoryKv;
  let clock: FakeClock;
  const services: Array<PartitionInstanceLifecycler | PartitionRingWatcher> = [];

  beforeEach(() => {
    kv = new MemoryKv(defaultMemoryKvConfig(), nopLogger, new Registry());
    clock = new FakeClock(0);
  });

  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop();
    await kv.close();
  });

  function lifecycler(instanceId: string, overrides: Partial<PartitionInstanceLifecyclerConfig> = {}) {
    const config = { ...defaultPartitionInstanceLifecyclerConfig(), ringKey: KEY, instanceId, minPendingMs: 10_000, reconcilePeriodMs: 1_000, ...overrides };
    const l = new PartitionInstanceLifecycler(config, kv, clock, nopLogger, new Registry());
    services.push(l);
    return l;
  }

  const stored = async () => decodePartitionRingDesc(await kv.get(KEY));

  it('creates its partition PENDING, owns it, and activates it after the pending period', async () => {
    const a = lifecycler('ingester-zone-a-3');
    await a.start();
    expect(a.partitionId).toBe(3);
    expect(a.partitionState).toBe('PENDING');
    expect((await stored()).owners['ingester-zone-a-3']).toMatchObject({ partitionId: 3, state: 'ACTIVE' });
    await clock.advance(9_000);
    expect(a.partitionState).toBe('PENDING');
    await clock.advance(1_000);
    expect(a.partitionState).toBe('ACTIVE');
    expect((await stored()).partitions[3]).toEqual({ state: 'ACTIVE', stateChangedAtMs: 10_000 });
  });

  it('an instance of another zone joins the same partition as a second owner', async () => {
    await lifecycler('ingester-zone-a-1').start();
    await lifecycler('ingester-zone-b-1').start();
    const desc = await stored();
    expect(Object.keys(desc.partitions)).toEqual(['1']);
    expect(Object.values(desc.owners).map((o) => `${o.ownerId}:${o.partitionId}:${o.state}`).sort()).toEqual([
      'ingester-zone-a-1:1:ACTIVE',
      'ingester-zone-b-1:1:ACTIVE',
    ]);
  });

  it.each([
    { removeOwnerOnShutdown: false, ownerAfterStop: 'ACTIVE' },
    { removeOwnerOnShutdown: true, ownerAfterStop: 'DELETED' },
  ])('on stop with removeOwnerOnShutdown=$removeOwnerOnShutdown the owner entry is $ownerAfterStop', async ({ removeOwnerOnShutdown, ownerAfterStop }) => {
    const a = lifecycler('ingester-zone-a-2', { removeOwnerOnShutdown });
    await a.start();
    await a.stop();
    expect((await stored()).owners['ingester-zone-a-2'].state).toBe(ownerAfterStop);
    expect((await stored()).partitions[2]).toBeDefined();
  });

  it('prepareDownscale turns the partition INACTIVE and gives it up on shutdown; undoing it restores ACTIVE and ownership', async () => {
    const a = lifecycler('ingester-zone-a-4', { minPendingMs: 0 });
    const b = lifecycler('ingester-zone-b-4', { minPendingMs: 0 });
    await a.start();
    await b.start();
    await clock.advance(1_000);
    expect(await a.downscaleState()).toBe(0);
    clock.set(50_000);
    expect(await a.prepareDownscale(true)).toBe(50_000);
    expect(await b.downscaleState()).toBe(50_000);
    expect(await a.prepareDownscale(false)).toBe(0);
    expect((await stored()).partitions[4].state).toBe('ACTIVE');
    await a.stop();
    expect((await stored()).owners['ingester-zone-a-4'].state).toBe('ACTIVE');
    await b.prepareDownscale(true);
    await b.stop();
    expect((await stored()).owners['ingester-zone-b-4'].state).toBe('DELETED');
  });

  it('refuses to prepare a downscale of a PENDING partition', async () => {
    const a = lifecycler('ingester-zone-a-6');
    await a.start();
    await expect(a.prepareDownscale(true)).rejects.toMatchObject({ reason: 'partition_pending' });
  });

  it('deletes an INACTIVE partition without owners once deleteInactivePartitionAfter passed, not before, and not while owned', async () => {
    const leaving = lifecycler('ingester-zone-a-7', { minPendingMs: 0 });
    const staying = lifecycler('ingester-zone-a-8', { minPendingMs: 0, deleteInactivePartitionAfterMs: 60_000 });
    await leaving.start();
    await staying.start();
    await clock.advance(1_000);
    await leaving.prepareDownscale(true);
    await clock.advance(61_000);
    expect((await stored()).partitions[7]?.state).toBe('INACTIVE');
    await leaving.stop();
    await clock.advance(1_000);
    expect((await stored()).partitions[7]).toBeUndefined();
    expect((await stored()).owners['ingester-zone-a-7']).toBeUndefined();
    expect((await stored()).partitions[8].state).toBe('ACTIVE');
  });

  it('without createPartitionIfMissing it waits until someone creates the partition', async () => {
    const a = lifecycler('ingester-zone-a-5', { createPartitionIfMissing: false });
    let started = false;
    const starting = a.start().then(() => (started = true));
    await clock.advance(3_000);
    expect(started).toBe(false);
    expect((await stored()).owners).toEqual({});
    await kv.cas(KEY, (v) => {
      const desc = decodePartitionRingDesc(v);
      createPartition(desc, 5, clock.now());
      return { value: encodePartitionRingDesc(desc) };
    });
    await clock.advance(1_000);
    await starting;
    expect((await stored()).owners['ingester-zone-a-5']?.state).toBe('ACTIVE');
  });

  it('the watcher follows the KV: a partition becoming ACTIVE starts receiving keys', async () => {
    const watcher = new PartitionRingWatcher({ ...defaultPartitionRingConfig(), key: KEY }, kv, nopLogger, new Registry());
    services.push(watcher);
    await watcher.start();
    expect(() => watcher.ring().partitionForKey(1)).toThrow(UnavailableError);
    await lifecycler('ingester-zone-a-0', { minPendingMs: 0 }).start();
    await new Promise((r) => setImmediate(r));
    expect(watcher.ring().activePartitions()).toEqual([0]);
    expect(watcher.ring().partitionForKey(1)).toBe(0);
  });
});
