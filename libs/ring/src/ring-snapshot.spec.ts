import { UnavailableError } from '@panoptes/common';
import { Operation } from './operation';
import { InstanceDesc, InstanceState, RingDesc } from './ring-desc';
import { RingSnapshot, RingSnapshotOptions } from './ring-snapshot';
import { RandomTokenGenerator, seededRandom } from './tokens';

const NOW = 1_000_000;
const TIMEOUT = 60_000;

interface Spec {
  id: string;
  zone?: string;
  state?: InstanceState;
  heartbeatMs?: number;
}

/** A ring of instances with 128 seeded-random tokens each (deterministic per seed). */
function ringDesc(specs: Spec[], seed = 42, tokensPer = 128): RingDesc {
  const gen = new RandomTokenGenerator(seededRandom(seed));
  const taken = new Set<number>();
  const desc: RingDesc = { instances: {} };
  for (const s of specs) {
    const tokens = gen.generate(tokensPer, taken);
    for (const t of tokens) taken.add(t);
    desc.instances[s.id] = instance(tokens, s);
  }
  return desc;
}

function instance(tokens: number[], s: Partial<Spec> = {}): InstanceDesc {
  return {
    addr: `${s.id ?? 'x'}:9095`,
    zone: s.zone ?? '',
    state: s.state ?? 'ACTIVE',
    tokens,
    heartbeatMs: s.heartbeatMs ?? NOW,
    registeredAtMs: 0,
  };
}

const names = (n: number, zones = 0): Spec[] =>
  Array.from({ length: n }, (_, i) => ({ id: `ingester-${i}`, zone: zones ? `zone-${String.fromCharCode(97 + (i % zones))}` : '' }));

function snapshot(desc: RingDesc, options: Partial<RingSnapshotOptions> = {}): RingSnapshot {
  return RingSnapshot.fromDesc(desc, { heartbeatTimeoutMs: TIMEOUT, zoneAwarenessEnabled: false, name: 'test', ...options });
}

function randomKeys(n: number, seed: number): Uint32Array {
  const random = seededRandom(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(random() * 0x100000000));
}

function relativeStdDev(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return Math.sqrt(variance) / mean;
}

describe('RingSnapshot token distribution', () => {
  // Measured with seeds 1, 2, 3, 42, 1234 (128 tokens each): 3 instances 0.036–0.088,
  // 10 instances 0.084–0.101, 100 instances 0.079–0.089 (theory: about 1/sqrt(128) = 0.088).
  it.each([
    { instances: 3, bound: 0.15 },
    { instances: 10, bound: 0.15 },
    { instances: 100, bound: 0.15 },
  ])('$instances instances x 128 tokens own the key space with relative std-dev < $bound', ({ instances, bound }) => {
    for (const seed of [1, 2, 3]) {
      const ownership = snapshot(ringDesc(names(instances), seed)).ownership();
      const fractions = [...ownership.values()];
      expect(fractions).toHaveLength(instances);
      expect(fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(relativeStdDev(fractions)).toBeLessThan(bound);
    }
  });

  it('adding an 11th instance to 10 moves about 1/11 of 100k keys, all of them to the new instance', () => {
    const specs = names(11);
    const before = snapshot(ringDesc(specs.slice(0, 10)));
    const after = snapshot(ringDesc(specs));
    // ringDesc draws tokens in order, so the first 10 instances keep their tokens in `after`.
    expect(after.instance('ingester-3')?.tokens).toEqual(before.instance('ingester-3')?.tokens);
    const keys = randomKeys(100_000, 7);
    let moved = 0;
    const movedTo = new Set<string | undefined>();
    for (const key of keys) {
      const to = after.primaryOwner(key);
      if (before.primaryOwner(key) !== to) {
        moved++;
        movedTo.add(to);
      }
    }
    expect([...movedTo]).toEqual(['ingester-10']);
    const fraction = moved / keys.length;
    expect(fraction).toBeGreaterThan(0.06);
    expect(fraction).toBeLessThan(0.12);
  });

  it('one instance owns the whole key space', () => {
    expect(snapshot(ringDesc(names(1))).ownership().get('ingester-0')).toBe(1);
  });

  it('ownership follows token ranges: token t owns (previous token, t]', () => {
    const desc: RingDesc = {
      instances: { a: instance([0x40000000]), b: instance([0xc0000000]) },
    };
    const s = snapshot(desc);
    expect(s.ownership().get('a')).toBe(0.5);
    expect(s.primaryOwner(0x40000000)).toBe('a');
    expect(s.primaryOwner(0x40000001)).toBe('b');
    expect(s.primaryOwner(0xc0000001)).toBe('a');
    expect(s.primaryOwner(0)).toBe('a');
  });
});

describe('RingSnapshot.get', () => {
  const threeByTokens: RingDesc = {
    instances: {
      a: instance([100, 1000]),
      b: instance([200, 2000]),
      c: instance([300, 3000]),
      d: instance([400, 4000]),
    },
  };

  it.each([
    { name: 'walks clockwise from the key', key: 150, rf: 3, expected: ['b', 'c', 'd'] },
    { name: 'a key on a token starts at that token', key: 200, rf: 2, expected: ['b', 'c'] },
    { name: 'wraps around past the last token', key: 3500, rf: 3, expected: ['d', 'a', 'b'] },
    { name: 'skips tokens of instances already picked', key: 350, rf: 4, expected: ['d', 'a', 'b', 'c'] },
  ])('$name', ({ key, rf, expected }) => {
    const set = snapshot(threeByTokens).get(key, Operation.Write, rf, NOW);
    expect(set.instances.map((i) => i.id)).toEqual(expected);
    expect(set.maxErrors).toBe(rf - (Math.floor(rf / 2) + 1));
  });

  it.each<{ name: string; op: Operation; unhealthy: Partial<InstanceDesc>; expected: string[] }>([
    { name: 'a write skips a LEAVING instance and extends the walk', op: Operation.Write, unhealthy: { state: 'LEAVING' }, expected: ['a', 'c', 'd'] },
    { name: 'a read still uses a LEAVING instance', op: Operation.Read, unhealthy: { state: 'LEAVING' }, expected: ['a', 'b', 'c'] },
    { name: 'a write skips a JOINING instance', op: Operation.Write, unhealthy: { state: 'JOINING' }, expected: ['a', 'c', 'd'] },
    { name: 'a read skips a JOINING instance', op: Operation.Read, unhealthy: { state: 'JOINING' }, expected: ['a', 'c', 'd'] },
    { name: 'a stale heartbeat is skipped for writes', op: Operation.Write, unhealthy: { heartbeatMs: NOW - TIMEOUT - 1 }, expected: ['a', 'c', 'd'] },
    { name: 'a stale heartbeat is skipped for reads', op: Operation.Read, unhealthy: { heartbeatMs: NOW - TIMEOUT - 1 }, expected: ['a', 'c', 'd'] },
    { name: 'a heartbeat exactly at the timeout is healthy', op: Operation.Write, unhealthy: { heartbeatMs: NOW - TIMEOUT }, expected: ['a', 'b', 'c'] },
  ])('$name', ({ op, unhealthy, expected }) => {
    const desc: RingDesc = { instances: { ...threeByTokens.instances, b: { ...threeByTokens.instances.b, ...unhealthy } } };
    const set = snapshot(desc).get(50, op, 3, NOW);
    expect(set.instances.map((i) => i.id)).toEqual(expected);
    expect(set.maxErrors).toBe(1);
  });

  it('returns fewer than RF but at least quorum when not enough instances are healthy, with no errors left to spare', () => {
    const desc: RingDesc = {
      instances: { a: instance([100]), b: instance([200]), c: instance([300], { state: 'LEAVING' }) },
    };
    const set = snapshot(desc).get(50, Operation.Write, 3, NOW);
    expect(set.instances.map((i) => i.id)).toEqual(['a', 'b']);
    expect(set.maxErrors).toBe(0);
  });

  it.each([
    { name: 'below quorum', healthy: 1, rf: 3, reason: 'too_many_unhealthy_instances' },
    { name: 'an empty ring', healthy: 0, rf: 1, reason: 'ring_empty' },
  ])('throws UnavailableError for $name', ({ healthy, rf, reason }) => {
    const instances: Record<string, InstanceDesc> = {};
    for (let i = 0; i < 3 && healthy > 0; i++) instances[`i${i}`] = instance([i * 100 + 1], { state: i < healthy ? 'ACTIVE' : 'LEAVING' });
    const err = (() => {
      try {
        snapshot({ instances }).get(0, Operation.Write, rf, NOW);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).reason).toBe(reason);
  });
});

describe('RingSnapshot.get with zone awareness', () => {
  const zoned = (n: number, zones: number, overrides: (s: Spec) => Spec = (s) => s) =>
    snapshot(ringDesc(names(n, zones).map(overrides)), { zoneAwarenessEnabled: true });

  it('3 zones x 3 instances, RF=3: every one of 10k keys gets 3 distinct zones', () => {
    const ring = zoned(9, 3);
    const outcomes = new Set<string>();
    for (const key of randomKeys(10_000, 11)) {
      const set = ring.get(key, Operation.Write, 3, NOW);
      outcomes.add(`zones=${new Set(set.instances.map((i) => i.zone)).size} maxUnavailableZones=${set.maxUnavailableZones} maxErrors=${set.maxErrors}`);
    }
    expect([...outcomes]).toEqual(['zones=3 maxUnavailableZones=1 maxErrors=1']);
  });

  it('2 zones, RF=3: still 3 instances, spread over both zones', () => {
    const ring = zoned(6, 2);
    const outcomes = new Set<string>();
    for (const key of randomKeys(10_000, 12)) {
      const set = ring.get(key, Operation.Write, 3, NOW);
      outcomes.add(`instances=${new Set(set.instances.map((i) => i.id)).size} zones=${new Set(set.instances.map((i) => i.zone)).size}`);
    }
    expect([...outcomes]).toEqual(['instances=3 zones=2']);
  });

  it('3 zones, RF=3, one zone entirely unhealthy: writes succeed on 2 zones with that zone reported unavailable', () => {
    const ring = zoned(9, 3, (s) => (s.zone === 'zone-c' ? { ...s, heartbeatMs: NOW - TIMEOUT - 1 } : s));
    const outcomes = new Set<string>();
    for (const key of randomKeys(10_000, 13)) {
      const set = ring.get(key, Operation.Write, 3, NOW);
      const zones = set.instances.map((i) => i.zone).sort();
      outcomes.add(`zones=${zones} unavailable=${set.unavailableZones} maxUnavailableZones=${set.maxUnavailableZones} maxErrors=${set.maxErrors}`);
    }
    // Tolerance is 1 zone and zone-c uses it up; 2 replicas are exactly quorum.
    expect([...outcomes]).toEqual(['zones=zone-a,zone-b unavailable=zone-c maxUnavailableZones=0 maxErrors=0']);
  });

  it('3 zones, RF=3, one unhealthy instance: its zone is served by another instance of the same zone', () => {
    const ring = zoned(9, 3, (s) => (s.id === 'ingester-2' ? { ...s, state: 'LEAVING' } : s));
    const outcomes = new Set<string>();
    for (const key of randomKeys(10_000, 14)) {
      const set = ring.get(key, Operation.Write, 3, NOW);
      const zones = set.instances.map((i) => i.zone).sort();
      const usesLeaving = set.instances.some((i) => i.id === 'ingester-2');
      outcomes.add(`zones=${zones} usesLeaving=${usesLeaving} unavailable=${set.unavailableZones}`);
    }
    expect([...outcomes]).toEqual(['zones=zone-a,zone-b,zone-c usesLeaving=false unavailable=']);
  });

  it('3 zones, RF=3, two zones unhealthy: throws UnavailableError naming the zones', () => {
    const ring = zoned(9, 3, (s) => (s.zone !== 'zone-a' ? { ...s, state: 'LEAVING' } : s));
    expect(() => ring.get(123, Operation.Write, 3, NOW)).toThrow(UnavailableError);
    expect(() => ring.get(123, Operation.Write, 3, NOW)).toThrow(/zone-b, zone-c/);
  });
});

describe('RingSnapshot.replicationSetForOperation', () => {
  it.each([
    { name: 'all healthy: RF/2 errors tolerated', zoneAware: false, unhealthy: [] as string[], instances: 9, maxErrors: 1, maxZones: 0 },
    { name: 'one unhealthy: it is left out and no further error is tolerated', zoneAware: false, unhealthy: ['ingester-0'], instances: 8, maxErrors: 0, maxZones: 0 },
    { name: 'zone-aware, one unhealthy: its whole zone is left out', zoneAware: true, unhealthy: ['ingester-0'], instances: 6, maxErrors: 0, maxZones: 0 },
    { name: 'zone-aware, all healthy: one zone may fail', zoneAware: true, unhealthy: [], instances: 9, maxErrors: 0, maxZones: 1 },
  ])('$name', ({ zoneAware, unhealthy, instances, maxErrors, maxZones }) => {
    const desc = ringDesc(names(9, 3).map((s) => (unhealthy.includes(s.id) ? { ...s, state: 'LEAVING' as const } : s)));
    const set = snapshot(desc, { zoneAwarenessEnabled: zoneAware }).replicationSetForOperation(Operation.Write, 3, NOW);
    expect(set.instances).toHaveLength(instances);
    expect(set.maxErrors).toBe(maxErrors);
    expect(set.maxUnavailableZones).toBe(maxZones);
  });

  it.each([
    ['1 instance, RF=3: a single copy cannot make a quorum', 1, 0, 'needs 2 healthy instances'],
    ['2 instances, RF=3, both healthy: no error tolerated', 2, 0, null],
    ['3 instances, RF=3, 2 unhealthy', 3, 2, 'needs 2 healthy instances'],
  ])('fewer instances than the replication factor (as dskit): %s', (_n, count, down, error) => {
    const all = names(count, 1);
    const desc = ringDesc(all.map((s, i) => (i < down ? { ...s, state: 'LEAVING' as const } : s)));
    const call = () => snapshot(desc, { zoneAwarenessEnabled: false }).replicationSetForOperation(Operation.Write, 3, NOW);
    if (error) expect(call).toThrow(error);
    else expect(call().maxErrors).toBe(0);
  });
});
