import { Registry } from 'prom-client';
import { FakeClock, LimitError, PanoptesError, UnavailableError, ValidationError, httpStatusOf, reasonOf } from '@panoptes/common';
import { IngesterApi, IngesterClientPool, PushResult, defaultIngesterClientPoolConfig, registerIngesterService } from '@panoptes/ingester-client';
import { MemoryKv, defaultMemoryKvConfig } from '@panoptes/kv';
import { nopLogger } from '@panoptes/log';
import { DecodedWriteRequest, RemoteWriteDecoder, encodeWriteRequestV1, tenantHashSeed } from '@panoptes/proto';
import { InstanceState, Operation, RandomTokenGenerator, Ring, RingDesc, defaultRingConfig, encodeRingDesc, seededRandom } from '@panoptes/ring';
import { GrpcServer } from '@panoptes/server';
import { eventually } from '@panoptes/testing';
import { ClassicSink, ClassicSinkConfig, defaultClassicSinkConfig } from './classic-sink';

const TENANT = 't1';
const NOW = 1_000_000;
const RING_KEY = 'ring/ingester';

/** An ingester that records the bodies it is pushed and answers as told. */
class FakeIngester implements IngesterApi {
  readonly bodies: Buffer[] = [];
  /** Thrown by push (after the delay) when set. */
  failure: unknown;
  /** Push answers after this long. */
  delayMs = 0;
  /** Pushes that have answered (succeeded or failed). */
  answered = 0;

  reset(): void {
    this.bodies.length = 0;
    this.failure = undefined;
    this.delayMs = 0;
    this.answered = 0;
  }

  async push(_tenant: string, body: Buffer): Promise<PushResult> {
    this.bodies.push(Buffer.from(body));
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.answered++;
    if (this.failure !== undefined) throw this.failure;
    return { samplesAppended: 0, samplesRejected: 0 };
  }

  querySeries(): [] {
    return [];
  }
  async labelNames(): Promise<string[]> {
    return [];
  }
  async labelValues(): Promise<string[]> {
    return [];
  }
  async series(): Promise<[]> {
    return [];
  }
  async userStats(): Promise<never> {
    throw new Error('not used');
  }
  async allUserStats(): Promise<[]> {
    return [];
  }
  async metricsMetadata(): Promise<[]> {
    return [];
  }

  /** Every series received, as `{…}` strings, in arrival order. */
  receivedSeries(): string[] {
    const decoder = new RemoteWriteDecoder();
    const out: string[] = [];
    for (const body of this.bodies) {
      const req = decoder.decode(body, 1);
      for (let s = 0; s < req.seriesCount; s++) out.push(req.seriesString(s));
    }
    return out;
  }

  receivedMetadataFamilies(): string[] {
    const decoder = new RemoteWriteDecoder();
    const out: string[] = [];
    for (const body of this.bodies) {
      const req = decoder.decode(body, 1);
      for (let m = 0; m < req.metadataCount; m++) out.push(req.metadata(m).metricFamilyName);
    }
    return out;
  }
}

async function startServer(api: IngesterApi): Promise<{ server: GrpcServer; address: string }> {
  const server = new GrpcServer(
    { listenAddress: '127.0.0.1', listenPort: 0, maxRecvMessageBytes: 16 << 20, maxSendMessageBytes: 16 << 20, gracefulShutdownTimeoutMs: 200 },
    nopLogger,
  );
  registerIngesterService(server, api, nopLogger);
  server.setReadiness(() => true);
  await server.start();
  return { server, address: `127.0.0.1:${server.port}` };
}

interface Request {
  body: Buffer;
  req: DecodedWriteRequest;
  all: Uint32Array;
  /** The series as `{…}` strings, by index. */
  strings: string[];
}

function request(seriesCount: number, metadataCount = 0): Request {
  const body = encodeWriteRequestV1({
    timeseries: Array.from({ length: seriesCount }, (_, i) => ({
      labels: [
        { name: '__name__', value: 'm' },
        { name: 'i', value: String(i).padStart(4, '0') },
      ],
      samples: [{ timestamp: NOW + i, value: i }],
    })),
    metadata: Array.from({ length: metadataCount }, (_, m) => ({ type: 1, metricFamilyName: `family_${m}`, help: `help ${m}` })),
  });
  const req = new RemoteWriteDecoder().decode(body, 1, tenantHashSeed(TENANT));
  const strings = Array.from({ length: seriesCount }, (_, s) => req.seriesString(s));
  return { body, req, all: Uint32Array.from({ length: seriesCount }, (_, i) => i), strings };
}

interface Node {
  id: string;
  zone: string;
  addr: string;
  state?: InstanceState;
}

type Behaviour = 'ok' | 'down' | PanoptesError;

const outOfOrder = new ValidationError('sample_out_of_order', 'out-of-order sample for series {__name__="m"}', { tenant: TENANT });
const seriesLimit = new LimitError('per_user_series_limit', 'per-user series limit of 10 exceeded for tenant "t1"', { tenant: TENANT });
const stopping = new UnavailableError('ingester_stopping', 'ingester is stopping; retry', { tenant: TENANT });
const internal = new PanoptesError('internal', 'head_corrupt', 'head corrupt', { tenant: TENANT });

/** Resolves to 'ok' or to the HTTP status and reason of the error the write failed with. */
async function outcome(p: Promise<void>): Promise<'ok' | { status: number; reason: string; message: string }> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return { status: httpStatusOf(err), reason: reasonOf(err), message: (err as Error).message };
  }
}

describe('ClassicSink', () => {
  const fakes = Array.from({ length: 6 }, () => new FakeIngester());
  const servers: GrpcServer[] = [];
  const addresses: string[] = [];
  /** Where a stopped ingester used to listen: connections are refused. */
  let downAddress = '';
  let pool: IngesterClientPool;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    for (const fake of fakes) {
      const { server, address } = await startServer(fake);
      servers.push(server);
      addresses.push(address);
    }
    const stopped = await startServer(new FakeIngester());
    downAddress = stopped.address;
    await stopped.server.stop();
    pool = new IngesterClientPool(defaultIngesterClientPoolConfig(), undefined, nopLogger, new Registry());
  });

  afterAll(async () => {
    pool.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  beforeEach(() => fakes.forEach((f) => f.reset()));

  afterEach(async () => {
    // Calls still in flight after a write settled must not leak into the next test.
    await eventually(() => fakes.every((f) => f.answered === f.bodies.length));
    for (const c of cleanups.splice(0)) await c();
  });

  /** A started Ring over MemoryKv holding `nodes`, each with 128 seeded-random tokens. */
  async function startRing(nodes: Node[], zoneAwarenessEnabled = false, seed = 7): Promise<Ring> {
    const gen = new RandomTokenGenerator(seededRandom(seed));
    const taken = new Set<number>();
    const desc: RingDesc = { instances: {} };
    for (const n of nodes) {
      const tokens = gen.generate(128, taken);
      for (const t of tokens) taken.add(t);
      desc.instances[n.id] = { addr: n.addr, zone: n.zone, state: n.state ?? 'ACTIVE', tokens, heartbeatMs: NOW, registeredAtMs: 0 };
    }
    const kv = new MemoryKv(defaultMemoryKvConfig(), nopLogger, new Registry());
    if (nodes.length > 0) await kv.cas(RING_KEY, () => ({ value: encodeRingDesc(desc) }));
    const ring = new Ring({ ...defaultRingConfig(), key: RING_KEY, zoneAwarenessEnabled }, kv, new FakeClock(NOW), nopLogger, new Registry());
    await ring.start();
    cleanups.push(async () => {
      await ring.stop();
      await kv.close();
    });
    return ring;
  }

  /** Three ingesters in zones a, b, c on the first three fakes, each behaving as told. */
  function threeNodes(behaviours: Behaviour[] = ['ok', 'ok', 'ok']): Node[] {
    return ['a', 'b', 'c'].map((zone, i) => {
      const b = behaviours[i];
      if (b instanceof PanoptesError) fakes[i].failure = b;
      return { id: `ingester-${zone}`, zone: `zone-${zone}`, addr: b === 'down' ? downAddress : addresses[i] };
    });
  }

  /** Six ingesters, two per zone a, b, c, on all six fakes. */
  function sixNodes(): Node[] {
    return fakes.map((_, i) => {
      const zone = 'abc'[i % 3];
      return { id: `ingester-${zone}${Math.floor(i / 3)}`, zone: `zone-${zone}`, addr: addresses[i] };
    });
  }

  function sink(ring: Ring, config: Partial<ClassicSinkConfig> = {}, registry = new Registry()): ClassicSink {
    return new ClassicSink({ ...defaultClassicSinkConfig(), ...config }, () => ring, pool, nopLogger, registry);
  }

  describe('quorum over three ingesters (RF=3, zones a/b/c)', () => {
    it.each<[string, Behaviour[], 'ok' | { status: number; reason: string; mentions: string[] }]>([
      ['all three succeed: written', ['ok', 'ok', 'ok'], 'ok'],
      ['one ingester down: written with 2 of 3', ['ok', 'down', 'ok'], 'ok'],
      ['one ingester stopping (503): written with 2 of 3', ['ok', 'ok', stopping], 'ok'],
      ['one ingester refuses with a 400, two succeed: written', [outOfOrder, 'ok', 'ok'], 'ok'],
      [
        'two ingesters down: 503 naming the tenant and both ingesters',
        ['down', 'ok', 'down'],
        { status: 503, reason: 'ingester_quorum_failed', mentions: ['tenant "t1"', 'ingester-a', 'ingester-c', '2 of 3'] },
      ],
      ['all three down: 503', ['down', 'down', 'down'], { status: 503, reason: 'ingester_quorum_failed', mentions: ['ingesters failed'] }],
      [
        'two ingesters fail with internal errors: 503 so the client retries',
        [internal, 'ok', internal],
        { status: 503, reason: 'ingester_quorum_failed', mentions: ['head corrupt'] },
      ],
      [
        'two ingesters refuse with a 400: that 400 with its reason',
        [outOfOrder, outOfOrder, 'ok'],
        { status: 400, reason: 'sample_out_of_order', mentions: ['out-of-order sample'] },
      ],
      [
        'two ingesters hit a limit: that 429 with its reason',
        [seriesLimit, 'ok', seriesLimit],
        { status: 429, reason: 'per_user_series_limit', mentions: ['per-user series limit'] },
      ],
      [
        'a 400, a down ingester and a success: no quorum of either kind, 503',
        [outOfOrder, 'down', 'ok'],
        { status: 503, reason: 'ingester_quorum_failed', mentions: ['ingester-a', 'ingester-b'] },
      ],
    ])('%s', async (_name, behaviours, expected) => {
      const ring = await startRing(threeNodes(behaviours));
      const { req, all, strings } = request(20, 2);
      const got = await outcome(sink(ring).write(TENANT, req, all, all.length, undefined));
      if (expected === 'ok') {
        expect(got).toBe('ok');
      } else {
        expect(got).toMatchObject({ status: expected.status, reason: expected.reason });
        for (const m of expected.mentions) expect((got as { message: string }).message).toContain(m);
      }
      // Every ingester that was reachable got every series (RF=3 over three ingesters).
      await eventually(() => behaviours.every((b, i) => b === 'down' || fakes[i].answered === 1));
      behaviours.forEach((b, i) => {
        if (b !== 'down') expect(fakes[i].receivedSeries()).toEqual(strings);
      });
    });

    it('zone c unhealthy in the ring: the two healthy zones must both succeed', async () => {
      const nodes = threeNodes();
      nodes[2].state = 'LEAVING';
      const ring = await startRing(nodes, true);
      const { req, all } = request(10);
      expect(await outcome(sink(ring).write(TENANT, req, all, all.length, undefined))).toBe('ok');
      expect(fakes[2].bodies).toHaveLength(0);

      fakes[1].failure = stopping;
      expect(await outcome(sink(ring).write(TENANT, req, all, all.length, undefined))).toMatchObject({ status: 503, reason: 'ingester_quorum_failed' });
    });

    it('counts failed pushes by ingester id and reason', async () => {
      const ring = await startRing(threeNodes(['ok', 'down', outOfOrder]));
      const registry = new Registry();
      const { req, all } = request(5);
      await outcome(sink(ring, {}, registry).write(TENANT, req, all, all.length, undefined));
      const values = (await registry.getSingleMetric('panoptes_distributor_ingester_push_failures_total')!.get()).values;
      const rows = values.map((v) => ({ ingester: String(v.labels.ingester), reason: String(v.labels.reason), value: v.value }));
      expect(rows.sort((x, y) => x.ingester.localeCompare(y.ingester))).toEqual([
        { ingester: 'ingester-b', reason: 'grpc_unavailable', value: 1 },
        { ingester: 'ingester-c', reason: 'sample_out_of_order', value: 1 },
      ]);
    });
  });

  describe('not waiting for the slowest replica', () => {
    it('resolves once two of three answered, while the third is still writing', async () => {
      const ring = await startRing(threeNodes());
      fakes[2].delayMs = 300;
      const { req, all } = request(10);
      await sink(ring).write(TENANT, req, all, all.length, undefined);
      expect(fakes[2].bodies).toHaveLength(1);
      expect(fakes[2].answered).toBe(0);
      await eventually(() => fakes[2].answered === 1);
    });

    it('a replica failing after the write resolved is counted, and is no unhandled rejection', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (err: unknown): void => void unhandled.push(err);
      process.on('unhandledRejection', onUnhandled);
      try {
        const ring = await startRing(threeNodes());
        fakes[1].delayMs = 200;
        fakes[1].failure = stopping;
        const registry = new Registry();
        const { req, all } = request(10);
        await sink(ring, {}, registry).write(TENANT, req, all, all.length, undefined);
        const failures = registry.getSingleMetric('panoptes_distributor_ingester_push_failures_total')!;
        await eventually(async () => (await failures.get()).values.some((v) => v.labels.ingester === 'ingester-b' && v.value === 1));
        await new Promise((r) => setImmediate(r));
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('rejects as soon as two replicas failed, without waiting for the slow third', async () => {
      const ring = await startRing(threeNodes(['down', 'down', 'ok']));
      fakes[2].delayMs = 300;
      const { req, all } = request(10);
      expect(await outcome(sink(ring).write(TENANT, req, all, all.length, undefined))).toMatchObject({ status: 503 });
      expect(fakes[2].answered).toBe(0);
      await eventually(() => fakes[2].answered === 1);
    });

    it('a replica slower than remoteTimeoutMs counts as failed', async () => {
      const ring = await startRing(threeNodes());
      fakes[0].delayMs = 300;
      fakes[1].delayMs = 300;
      const { req, all } = request(10);
      const got = await outcome(sink(ring, { remoteTimeoutMs: 50 }).write(TENANT, req, all, all.length, undefined));
      expect(got).toMatchObject({ status: 503, reason: 'ingester_quorum_failed' });
      expect((got as { message: string }).message).toContain('ingester-a');
      await eventually(() => fakes[0].answered === 1 && fakes[1].answered === 1);
    });
  });

  describe('placement', () => {
    it('each ingester receives exactly the series its ring replication sets give it, in request order', async () => {
      const ring = await startRing(sixNodes());
      const { req, all, strings } = request(300);
      const expected = new Map<string, string[]>();
      for (let s = 0; s < 300; s++) {
        for (const inst of ring.get(req.seriesHashHi[s], Operation.Write).instances) {
          expected.set(inst.addr, [...(expected.get(inst.addr) ?? []), strings[s]]);
        }
      }
      await sink(ring).write(TENANT, req, all, all.length, undefined);
      fakes.forEach((fake, i) => {
        expect(fake.bodies).toHaveLength(1);
        expect(fake.receivedSeries()).toEqual(expected.get(addresses[i]));
        // Six ingesters, RF=3: each gets a share, not everything.
        expect(fake.receivedSeries().length).toBeLessThan(300);
      });
      expect(fakes.reduce((n, f) => n + f.receivedSeries().length, 0)).toBe(900);
    });

    it('writes only the given series of the request', async () => {
      const ring = await startRing(threeNodes());
      const { req, strings } = request(10);
      const chosen = Uint32Array.from([1, 4, 7]);
      await sink(ring).write(TENANT, req, chosen, chosen.length, undefined);
      for (const fake of fakes.slice(0, 3)) expect(fake.receivedSeries()).toEqual([strings[1], strings[4], strings[7]]);
    });

    it('with zone awareness every series lands once in each of the three zones', async () => {
      const nodes = sixNodes();
      const ring = await startRing(nodes, true);
      const { req, all, strings } = request(300);
      await sink(ring).write(TENANT, req, all, all.length, undefined);
      const zonesOf = new Map<string, string[]>();
      fakes.forEach((fake, i) => {
        for (const s of fake.receivedSeries()) zonesOf.set(s, [...(zonesOf.get(s) ?? []), nodes[i].zone]);
      });
      expect(zonesOf.size).toBe(300);
      for (const s of strings) expect(zonesOf.get(s)!.sort()).toEqual(['zone-a', 'zone-b', 'zone-c']);
    });

    it('metadata goes to the three ingesters of its family name, the same ones every time', async () => {
      const ring = await startRing(sixNodes());
      const { req, all } = request(0, 12);
      const s = sink(ring);
      await s.write(TENANT, req, all, 0, undefined);
      const first = fakes.map((f) => f.receivedMetadataFamilies().sort());
      const copies = new Map<string, number>();
      for (const families of first) for (const f of families) copies.set(f, (copies.get(f) ?? 0) + 1);
      expect([...copies.keys()].sort()).toEqual(Array.from({ length: 12 }, (_, m) => `family_${m}`).sort());
      expect([...copies.values()]).toEqual(Array(12).fill(3));
      // Spread over the ingesters, not all on one.
      expect(first.filter((families) => families.length > 0).length).toBeGreaterThan(3);

      fakes.forEach((f) => f.reset());
      await s.write(TENANT, req, all, 0, undefined);
      expect(fakes.map((f) => f.receivedMetadataFamilies().sort())).toEqual(first);
    });

    it('forwards the unchanged request body as it is when an ingester gets all of it', async () => {
      const ring = await startRing(threeNodes());
      const { body, req, all } = request(20, 2);
      await sink(ring).write(TENANT, req, all, all.length, body);
      for (const fake of fakes.slice(0, 3)) expect(fake.bodies).toEqual([body]);
    });
  });

  describe('ring unavailable', () => {
    it.each<[string, Node[] | 'empty', string]>([
      ['an empty ring', 'empty', 'ring_empty'],
      [
        'a ring with one of three ingesters ACTIVE',
        [
          { id: 'ingester-a', zone: 'zone-a', addr: '127.0.0.1:1', state: 'LEAVING' },
          { id: 'ingester-b', zone: 'zone-b', addr: '127.0.0.1:2' },
          { id: 'ingester-c', zone: 'zone-c', addr: '127.0.0.1:3', state: 'JOINING' },
        ],
        'too_many_unhealthy_instances',
      ],
    ])('%s: 503 naming the tenant, nothing pushed', async (_name, nodes, reason) => {
      const ring = await startRing(nodes === 'empty' ? [] : nodes);
      const { req, all } = request(5);
      const got = await outcome(sink(ring).write(TENANT, req, all, all.length, undefined));
      expect(got).toMatchObject({ status: 503, reason });
      expect((got as { message: string }).message).toContain('tenant "t1": cannot write 5 series');
      expect(fakes.every((f) => f.bodies.length === 0)).toBe(true);
    });
  });
});
