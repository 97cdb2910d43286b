import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { ScratchS3Bucket } from '@panoptes/bucket';
import { defaults, renderReference } from '@panoptes/config';
import { nopLogger } from '@panoptes/log';
import { compressSnappy, encodeWriteRequestV1 } from '@panoptes/proto';
import { healthService } from '@panoptes/server';
import { describeWithService, eventually, uniqueName } from '@panoptes/testing';
import { panoptesConfigSpec, PanoptesConfig } from './config';
import { runPanoptes, singleProcessWarnings, startProcess, RunningProcess } from './runner';
import { testConfig } from './testing/test-config';
import { COMPONENTS } from './targets';

async function getJson(p: RunningProcess, path: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${p.wiring.http.port}${path}`, { headers: { Accept: 'application/json' } });
  expect(res.status).toBe(200);
  return res.json();
}

describe('all-in-one process with embedded defaults', () => {
  let dir: string;
  let proc: RunningProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-all-'));
    proc = await startProcess(testConfig(dir), nopLogger, new Registry());
  });
  afterAll(async () => {
    await proc?.manager.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready and lists every component as Running', async () => {
    const res = await fetch(`http://127.0.0.1:${proc.wiring.http.port}/ready`);
    expect(res.status).toBe(200);
    const { services } = (await getJson(proc, '/services')) as { services: Array<{ name: string; state: string }> };
    for (const c of COMPONENTS) expect(services).toContainEqual({ name: c, state: 'Running' });
    expect(services.every((s) => s.state === 'Running')).toBe(true);
  });

  it('starts each component before the ring membership that advertises it (so it stops after leaving the ring)', async () => {
    const { services } = (await getJson(proc, '/services')) as { services: Array<{ name: string }> };
    const at = (name: string) => services.findIndex((s) => s.name === name);
    for (const [component, membership] of [
      ['ingester', 'ingester-lifecycler'],
      ['ingester', 'partition-instance-lifecycler'],
      ['compactor', 'compactor-lifecycler'],
      ['ruler', 'ruler-lifecycler'],
      ['alert-router', 'alert-router-lifecycler'],
    ]) {
      expect(at(component)).toBeGreaterThanOrEqual(0);
      expect(at(component)).toBeLessThan(at(membership));
    }
  });

  it('shows its instance ACTIVE in the ingester, compactor, ruler and alert-router rings', async () => {
    for (const ring of ['ingester', 'compactor', 'ruler', 'alert-router']) {
      const { shards } = (await getJson(proc, `/${ring}/ring`)) as { shards: Array<{ id: string; state: string; tokens: number }> };
      expect(shards).toEqual([expect.objectContaining({ id: 'test-instance', state: 'ACTIVE', tokens: 128 })]);
    }
    const html = await (await fetch(`http://127.0.0.1:${proc.wiring.http.port}/ingester/ring`)).text();
    expect(html).toContain('<td>test-instance</td>');
  });

  it('owns partition 0 of the partition ring, ACTIVE', async () => {
    const body = await eventually(async () => {
      const b = (await getJson(proc, '/ingester/partition-ring')) as { partitions: Array<{ id: number; state: string }> };
      return b.partitions[0]?.state === 'ACTIVE' ? b : undefined;
    });
    expect(body.partitions).toEqual([expect.objectContaining({ id: 0, state: 'ACTIVE' })]);
  });

  it('prepare-partition-downscale turns its partition INACTIVE (writes refused with 503, reads served) and DELETE undoes it', async () => {
    const url = `http://127.0.0.1:${proc.wiring.http.port}/ingester/prepare-partition-downscale`;
    const state = async () => ((await getJson(proc, '/ingester/partition-ring')) as { partitions: Array<{ state: string }> }).partitions[0]?.state;
    const before = Math.floor(Date.now() / 1000);
    const prepared = (await (await fetch(url, { method: 'POST' })).json()) as { timestamp: number };
    expect(prepared.timestamp).toBeGreaterThanOrEqual(before);
    expect(await (await fetch(url)).json()).toEqual(prepared);
    expect(await state()).toBe('INACTIVE');
    const push = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${proc.wiring.http.port}/api/v1/push`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'downscale' },
        body: compressSnappy(encodeWriteRequestV1({ timeseries: [{ labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: Date.now() }] }] })),
      });
      return res.status === 503 ? res : undefined;
    });
    expect(await push.text()).toContain('no ACTIVE partition');
    const query = await fetch(`http://127.0.0.1:${proc.wiring.http.port}/prometheus/api/v1/query?query=up`, { headers: { 'X-Scope-OrgID': 'downscale' } });
    expect(query.status).toBe(200);
    expect(await (await fetch(url, { method: 'DELETE' })).json()).toEqual({ timestamp: 0 });
    expect(await state()).toBe('ACTIVE');
  });

  it('has no HA tracker page unless the HA tracker is enabled', async () => {
    const res = await fetch(`http://127.0.0.1:${proc.wiring.http.port}/distributor/ha_tracker`);
    expect(res.status).toBe(404);
  });

  it('serves its effective config with durations as text', async () => {
    const text = await (await fetch(`http://127.0.0.1:${proc.wiring.http.port}/config`)).text();
    expect(text).toContain('heartbeat_period: 15s');
    expect(text).toContain('backend: filesystem');
  });

  it('exposes panoptes_* metrics from its own registry', async () => {
    const text = await (await fetch(`http://127.0.0.1:${proc.wiring.http.port}/metrics`)).text();
    expect(text).toContain('panoptes_ring_members');
    expect(text).toContain('panoptes_kv_request_duration_seconds');
  });

  it('answers the gRPC health check', async () => {
    const client = new healthService(`127.0.0.1:${proc.wiring.grpc.port}`, grpc.credentials.createInsecure());
    const res = await new Promise((resolve, reject) =>
      (client as unknown as { Check: (r: unknown, cb: (e: Error | null, v: unknown) => void) => void }).Check({ service: '' }, (e, v) =>
        e ? reject(e) : resolve(v),
      ),
    );
    client.close();
    expect(res).toEqual({ status: 'SERVING' });
  });
});

describe('distributor with the HA tracker enabled', () => {
  it('serves the /distributor/ha_tracker page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-ha-'));
    const proc = await startProcess(
      testConfig(dir, (c) => {
        c.target = ['distributor'];
        c.distributor.haTracker.enableHaTracker = true;
      }),
      nopLogger,
      new Registry(),
    );
    try {
      const html = await (await fetch(`http://127.0.0.1:${proc.wiring.http.port}/distributor/ha_tracker`)).text();
      expect(html).toContain('<h1>HA tracker</h1>');
      expect(await getJson(proc, '/distributor/ha_tracker')).toEqual({ elected: [] });
    } finally {
      await proc.manager.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runPanoptes', () => {
  function run(argv: string[], fixedTarget?: string) {
    const out: string[] = [];
    const err: string[] = [];
    return runPanoptes({
      argv,
      env: {},
      fixedTarget,
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      onShutdownSignal: () => undefined,
    }).then((code) => ({ code, out: out.join(''), err: err.join('') }));
  }

  it('exits 1 listing every config error at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-badcfg-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'server:\n  http_listen_port: lots\n  bogus_key: 1\nlimits:\n  ingestion_rate: -10\n');
    const { code, err } = await run([`-config.file=${file}`, '-target=all,nonsense', '-kv.store=zookeeper', '-distributor.ha-tracker.failover-timeout=10s']);
    expect(code).toBe(1);
    expect(err).toContain('invalid configuration (6 errors)');
    expect(err).toContain('distributor.ha_tracker: HA tracker failover timeout (10000 ms) must be longer than the update timeout plus its jitter');
    expect(err).toContain('server.http_listen_port: expected an integer, got "lots"');
    expect(err).toContain('server.bogus_key: unknown field "bogus_key"');
    expect(err).toContain('limits.ingestion_rate (-distributor.ingestion-rate-limit): must be >= 0, got -10');
    expect(err).toContain('-kv.store: expected one of memory, redis, got "zookeeper"');
    expect(err).toContain('target: unknown target "nonsense"');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints every flag for -help and exits 0', async () => {
    const { code, out } = await run(['-help']);
    expect(code).toBe(0);
    expect(out).toContain('-server.http-listen-port int');
    expect(out).toContain('-distributor.ingestion-rate-limit int');
  });

  it('prints the default config for -config.print-defaults and exits 0 without starting', async () => {
    const { code, out } = await run(['-config.print-defaults']);
    expect(code).toBe(0);
    expect(out).toContain('http_listen_port: 8080');
    expect(out).toContain('heartbeat_period: 15s');
  });

  it('refuses another target in a single-component binary', async () => {
    const { code, err } = await run(['-target=querier'], 'ingester');
    expect(code).toBe(1);
    expect(err).toContain('always runs -target=ingester');
  });

  it('exits 1 naming the service when a dependency cannot start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-fail-'));
    // A file where the object store directory should be: the bucket cannot be used.
    writeFileSync(join(dir, 'objects'), 'not a directory');
    const { code, err } = await run([
      '-target=ingester',
      '-server.http-listen-port=0',
      '-server.grpc-listen-port=0',
      `-common.storage.filesystem.dir=${join(dir, 'objects')}`,
      `-ingest-storage.in-process.dir=${join(dir, 'ingest')}`,
      '-ingester.ring.instance-id=ingester-1',
    ]);
    expect(code).toBe(1);
    expect(err).toMatch(/failed to start: service "bucket" failed/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('singleProcessWarnings', () => {
  it.each<[string, (c: PanoptesConfig) => void, string[]]>([
    ['all-in-one with embedded backends: none', () => undefined, []],
    ['one component with the memory KV', (c) => (c.target = ['querier']), ['-kv.store=memory', '-ingest-storage.backend=in-process']],
    ['distributor and ingester together with Redis: none', (c) => {
      c.target = ['distributor', 'ingester'];
      c.kv.store = 'redis';
    }, []],
    ['an ingester alone on Redis and the in-process log', (c) => {
      c.target = ['ingester'];
      c.kv.store = 'redis';
    }, ['-ingest-storage.backend=in-process']],
    ['a classic-mode distributor alone on Redis: none (classic mode has no ingest log)', (c) => {
      c.target = ['distributor'];
      c.kv.store = 'redis';
      c.distributor.ingestMode = 'classic';
    }, []],
  ])('%s', (_name, change, expected) => {
    const c = defaults(panoptesConfigSpec);
    change(c);
    const warnings = singleProcessWarnings(c);
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((flag, i) => expect(warnings[i]).toContain(flag));
  });
});

describe('default config', () => {
  it('leaves no window that neither the ingesters nor the blocks serve', () => {
    const c = defaults(panoptesConfigSpec) as PanoptesConfig;
    // Ingesters keep cut blocks' samples in the head past the age from which the querier reads
    // blocks, and the querier asks ingesters for at least that far back.
    expect(c.blocksStorage.tsdb.retentionPeriodMs).toBeGreaterThan(c.querier.queryStoreAfterMs);
    expect(c.querier.queryIngestersWithinMs).toBeGreaterThan(c.querier.queryStoreAfterMs);
  });
});

describe('docs/configuration.md', () => {
  it('is generated from the current option descriptors (npm run docs:config)', () => {
    const file = join(__dirname, '..', '..', '..', 'docs', 'configuration.md');
    expect(readFileSync(file, 'utf8')).toBe(renderReference(panoptesConfigSpec));
  });
});

describeWithService('redis', 'separate processes sharing the Redis ring KV', (redis) => {
  it('see each other in the ingester ring and leave it on shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-redis-'));
    const prefix = `${uniqueName('panoptes-test')}/`;
    const make = (id: string, zone: string, target: string[]) =>
      testConfig(join(dir, id), (c) => {
        c.target = target;
        c.kv.store = 'redis';
        c.kv.redis.endpoint = redis.addr;
        c.kv.redis.keyPrefix = prefix;
        c.ingester.ring.instanceId = id;
        c.ingester.ring.instanceZone = zone;
      });
    const a = await startProcess(make('ingester-zone-a-0', 'zone-a', ['ingester']), nopLogger, new Registry());
    const b = await startProcess(make('ingester-zone-b-1', 'zone-b', ['ingester']), nopLogger, new Registry());
    const d = await startProcess(make('distributor-1', '', ['distributor']), nopLogger, new Registry());
    try {
      const shards = await eventually(async () => {
        const { shards } = (await getJson(d, '/ingester/ring')) as { shards: Array<{ id: string; zone: string; state: string }> };
        return shards.length === 2 ? shards : undefined;
      });
      expect(shards.map((s) => [s.id, s.zone, s.state])).toEqual([
        ['ingester-zone-a-0', 'zone-a', 'ACTIVE'],
        ['ingester-zone-b-1', 'zone-b', 'ACTIVE'],
      ]);
      const { partitions } = (await getJson(d, '/ingester/partition-ring')) as { partitions: Array<{ id: number }> };
      expect(partitions.map((p) => p.id)).toEqual([0, 1]);
      await b.manager.stopAll();
      await eventually(async () => {
        const { shards: left } = (await getJson(d, '/ingester/ring')) as { shards: Array<{ id: string }> };
        return left.length === 1 && left[0].id === 'ingester-zone-a-0';
      });
    } finally {
      await Promise.all([a.manager.stopAll(), b.manager.stopAll(), d.manager.stopAll()]);
      const client = new Redis({ host: redis.host, port: redis.port });
      const keys = await client.keys(`${prefix}*`);
      if (keys.length) await client.del(...keys);
      client.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithService('kafka', 'all-in-one on real Kafka, Redis and MinIO', (kafka) => {
  describeWithService('redis', 'with Redis', (redis) => {
    describeWithService('s3', 'with MinIO', (s3) => {
      it('starts, becomes ready and stops cleanly with every backing service real', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'panoptes-real-'));
        const bucketName = uniqueName('panoptes-e2e').toLowerCase();
        const topic = uniqueName('panoptes-ingest');
        const prefix = `${uniqueName('panoptes-test')}/`;
        const scratch = new ScratchS3Bucket(s3, bucketName);
        await scratch.create();
        const config = testConfig(dir, (c) => {
          c.kv.store = 'redis';
          c.kv.redis.endpoint = redis.addr;
          c.kv.redis.keyPrefix = prefix;
          c.ingestStorage.backend = 'kafka';
          c.ingestStorage.kafka.brokers = kafka.brokers;
          c.ingestStorage.topic = topic;
          c.ingestStorage.partitions = 2;
          c.common.storage.backend = 's3';
          c.common.storage.s3 = { ...c.common.storage.s3, endpoint: s3.endpoint, bucketName, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region };
        });
        const proc = await startProcess(config, nopLogger, new Registry());
        try {
          const res = await fetch(`http://127.0.0.1:${proc.wiring.http.port}/ready`);
          expect(res.status).toBe(200);
          const cfg = await (await fetch(`http://127.0.0.1:${proc.wiring.http.port}/config`)).text();
          expect(cfg).toContain('secret_access_key: "********"');
          expect(cfg).not.toContain(s3.secretAccessKey);
        } finally {
          await proc.manager.stopAll();
          await scratch.destroy();
          const admin = new Kafka({ brokers: kafka.brokers, logLevel: 0 }).admin();
          await admin.connect();
          await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
          await admin.disconnect();
              const r = new Redis({ host: redis.host, port: redis.port });
          const keys = await r.keys(`${prefix}*`);
          if (keys.length) await r.del(...keys);
          r.disconnect();
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  });
});
