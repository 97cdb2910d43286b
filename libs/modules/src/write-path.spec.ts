import { mkdtempSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { EXPORT_METRICS_REQUEST_TYPE, METRICS_SERVICE_EXPORT_PATH, decodeExportMetricsResponseProtobuf, otlpMetricsProtoRoot } from '@panoptes/otlp';
import { nopLogger } from '@panoptes/log';
import {
  HEADER_EXEMPLARS_WRITTEN,
  HEADER_SAMPLES_WRITTEN,
  REMOTE_WRITE_V2_CONTENT_TYPE,
  TimeSeriesV1Input,
  compressSnappy,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
} from '@panoptes/proto';
import { Ingester } from '@panoptes/ingester';
import { Matcher } from '@panoptes/tsdb';
import { eventually, freePort } from '@panoptes/testing';
import { RunningProcess, startProcess } from './runner';
import { testConfig } from './testing/test-config';

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);

function rw1(series: TimeSeriesV1Input[]): Buffer {
  return compressSnappy(encodeWriteRequestV1({ timeseries: series }));
}

function series(name: string, labels: Record<string, string>, samples: Array<[number, number]>): TimeSeriesV1Input {
  const all = { __name__: name, ...labels };
  return {
    labels: Object.keys(all)
      .sort()
      .map((k) => ({ name: k, value: all[k as keyof typeof all] })),
    samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
  };
}

describe('write path in the all-in-one process (remote write, OTLP, validation, blocks)', () => {
  let dir: string;
  let proc: RunningProcess;
  let base: string;
  let ingester: Ingester;

  const push = (body: Buffer | string, headers: Record<string, string> = {}, tenant: string | null = 'team-a') =>
    fetch(`${base}/api/v1/push`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
        ...(tenant === null ? {} : { 'X-Scope-OrgID': tenant }),
        ...headers,
      },
      body,
    });

  const stored = (tenant: string, name: string) => {
    const out: Array<{ labels: string; samples: Array<[number, number]> }> = [];
    for (const s of ingester.select(tenant, [new Matcher('=', '__name__', name)], -Infinity, Infinity)) {
      const it = s.iterator();
      const samples: Array<[number, number]> = [];
      while (it.next()) samples.push([it.t, it.v]);
      out.push({ labels: s.labels.map(([k, v]) => `${k}=${v}`).join(','), samples });
    }
    return out;
  };

  const until = (check: () => void) =>
    eventually(() => {
      check();
      return true;
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-write-'));
    const overrides = join(dir, 'overrides.yaml');
    writeFileSync(overrides, 'overrides:\n  team-limited:\n    max_global_series_per_user: 2\n');
    proc = await startProcess(
      testConfig(dir, (c) => {
        c.runtimeConfig.file = overrides;
        c.distributor.haTracker.enableHaTracker = true;
        c.limits.acceptHaSamples = true;
        c.limits.ingestionRate = 100_000;
        c.limits.ingestionBurstSize = 200_000;
        c.limits.creationGracePeriodMs = 100 * 365 * 86_400_000; // fixed old timestamps in these tests
      }),
      nopLogger,
      new Registry(),
    );
    base = `http://127.0.0.1:${proc.wiring.http.port}`;
    ingester = proc.wiring.modules.get('ingester') as Ingester;
  });
  afterAll(async () => {
    await proc?.manager.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores remote write 1.0 samples and answers 204 with the written counts', async () => {
    const res = await push(
      rw1([
        series('rw1_up', { job: 'node', instance: 'a:9100' }, [
          [T0, 1],
          [T0 + 15_000, 0],
        ]),
        series('rw1_up', { job: 'node', instance: 'b:9100' }, [[T0, 1]]),
      ]),
    );
    expect(res.status).toBe(204);
    expect(res.headers.get(HEADER_SAMPLES_WRITTEN)).toBe('3');
    await until(() => expect(stored('team-a', 'rw1_up')).toHaveLength(2));
    expect(stored('team-a', 'rw1_up')).toEqual([
      { labels: '__name__=rw1_up,instance=a:9100,job=node', samples: [[T0, 1], [T0 + 15_000, 0]] },
      { labels: '__name__=rw1_up,instance=b:9100,job=node', samples: [[T0, 1]] },
    ]);
    expect(stored('other-tenant', 'rw1_up')).toEqual([]);
  });

  it('stores remote write 2.0 samples and exemplars and reports them in the response headers', async () => {
    const body = encodeWriteRequestV2({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'rw2_requests_total' },
            { name: 'path', value: '/api' },
          ],
          samples: [{ timestamp: T0, value: 7 }],
          exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 7, timestamp: T0 }],
          metadata: { type: 1, help: 'Requests.', unit: '' },
        },
      ],
    });
    const res = await push(compressSnappy(body), {
      'Content-Type': REMOTE_WRITE_V2_CONTENT_TYPE,
      'X-Prometheus-Remote-Write-Version': '2.0.0',
    });
    expect(res.status).toBe(204);
    expect(res.headers.get(HEADER_SAMPLES_WRITTEN)).toBe('1');
    expect(res.headers.get(HEADER_EXEMPLARS_WRITTEN)).toBe('1');
    await until(() => expect(stored('team-a', 'rw2_requests_total')).toEqual([{ labels: '__name__=rw2_requests_total,path=/api', samples: [[T0, 7]] }]));
    expect(ingester.tenant('team-a')!.metadata.get('rw2_requests_total')).toEqual({ type: 1, help: 'Requests.', unit: '' });
  });

  it('stores OTLP/HTTP JSON metrics translated the Prometheus 3 way', async () => {
    const res = await fetch(`${base}/otlp/v1/metrics`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': 'team-a' },
      body: JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'otlp.queue.size',
                    gauge: { dataPoints: [{ timeUnixNano: String(T0 * 1e6), asInt: '12' }] },
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    await until(() => expect(stored('team-a', 'otlp_queue_size')).toEqual([{ labels: '__name__=otlp_queue_size,job=checkout', samples: [[T0, 12]] }]));
  });

  it('stores OTLP metrics exported over gRPC (MetricsService/Export) with the tenant in metadata', async () => {
    const type = otlpMetricsProtoRoot().lookupType(EXPORT_METRICS_REQUEST_TYPE);
    const body = Buffer.from(
      type
        .encode(
          type.fromObject({
            resourceMetrics: [
              {
                resource: { attributes: [{ key: 'service.name', value: { stringValue: 'grpc-svc' } }] },
                scopeMetrics: [{ metrics: [{ name: 'grpc_jobs', gauge: { dataPoints: [{ timeUnixNano: T0 * 1e6, asDouble: 4.5 }] } }] }],
              },
            ],
          }),
        )
        .finish(),
    );
    const client = new grpc.Client(`127.0.0.1:${proc.wiring.grpc.port}`, grpc.credentials.createInsecure());
    try {
      const call = (tenant: string | undefined) =>
        new Promise<Buffer>((resolve, reject) => {
          const md = new grpc.Metadata();
          if (tenant) md.set('x-scope-orgid', tenant);
          client.makeUnaryRequest(METRICS_SERVICE_EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, body, md, (err, res) => (err ? reject(err) : resolve(res!)));
        });
      expect(decodeExportMetricsResponseProtobuf(await call('team-a'))).toEqual({});
      await until(() => expect(stored('team-a', 'grpc_jobs')).toEqual([{ labels: '__name__=grpc_jobs,job=grpc-svc', samples: [[T0, 4.5]] }]));
      await expect(call(undefined)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    } finally {
      client.close();
    }
  });

  const huge = Buffer.alloc(50 * 1024 * 1024, 1);
  const manyLabels: Record<string, string> = {};
  for (let i = 0; i < 10_000; i++) manyLabels[`l${String(i).padStart(5, '0')}`] = 'v';
  const invalidUtf8 = (() => {
    const body = encodeWriteRequestV1({ timeseries: [series('bad_utf8', { job: 'XX' }, [[T0, 1]])] });
    const i = body.indexOf(Buffer.from('XX'));
    body[i] = 0xff;
    body[i + 1] = 0xfe;
    return compressSnappy(body);
  })();

  it.each([
    { name: 'corrupt snappy', body: () => Buffer.from([0x20, 0x0f, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]), status: 400, text: /snappy|malformed/i },
    { name: 'truncated protobuf', body: () => compressSnappy(encodeWriteRequestV1({ timeseries: [series('trunc', { a: 'b' }, [[T0, 1]])] }).subarray(0, 10)), status: 400, text: /malformed/ },
    { name: 'empty body', body: () => Buffer.alloc(0), status: 400, text: /empty request body/ },
    { name: '50 MB body', body: () => huge, status: 413, text: /over the limit/ },
    { name: '10k labels', body: () => rw1([series('wide', manyLabels, [[T0, 1]])]), status: 400, text: /over the limit of 30/ },
    { name: 'invalid UTF-8', body: () => invalidUtf8, status: 400, text: /not valid UTF-8/ },
    {
      name: 'unsorted labels',
      body: () => rw1([{ labels: [{ name: '__name__', value: 'unsorted' }, { name: 'z', value: '1' }, { name: 'a', value: '2' }], samples: [{ timestamp: T0, value: 1 }] }]),
      status: 400,
      text: /not sorted/,
    },
    {
      name: 'duplicate label names',
      body: () => rw1([{ labels: [{ name: '__name__', value: 'dup' }, { name: 'a', value: '1' }, { name: 'a', value: '2' }], samples: [{ timestamp: T0, value: 1 }] }]),
      status: 400,
      text: /duplicate label names/,
    },
    { name: 'missing metric name', body: () => rw1([{ labels: [{ name: 'job', value: 'x' }], samples: [{ timestamp: T0, value: 1 }] }]), status: 400, text: /no metric name/ },
    { name: 'sample too far in the future', body: () => rw1([series('future', {}, [[Date.now() + 400 * 365 * 86_400_000, 1]])]), status: 400, text: /too far in the future/ },
    {
      name: 'native histograms',
      body: () =>
        compressSnappy(
          encodeWriteRequestV2({
            timeseries: [
              { labels: [{ name: '__name__', value: 'native_hist' }], histograms: [{ countInt: 3, sum: 1.5, schema: 0, timestamp: T0, positiveSpans: [{ offset: 0, length: 1 }], positiveDeltas: [3] }] },
            ],
          }),
        ),
      headers: { 'Content-Type': REMOTE_WRITE_V2_CONTENT_TYPE, 'X-Prometheus-Remote-Write-Version': '2.0.0' },
      status: 400,
      text: /native histograms, which are not supported yet/,
    },
    { name: 'unknown content type', body: () => rw1([series('ct', {}, [[T0, 1]])]), headers: { 'Content-Type': 'text/plain' }, status: 415, text: /media type/ },
    { name: 'missing tenant', body: () => rw1([series('no_tenant', {}, [[T0, 1]])]), tenant: null, status: 401, text: /X-Scope-OrgID/i },
  ])('$name → $status with a clear reason, and the server keeps serving', async ({ body, status, text, headers, ...rest }) => {
    const tenant = 'tenant' in rest ? (rest as { tenant: string | null }).tenant : 'team-a';
    const res = await push(body(), (headers ?? {}) as Record<string, string>, tenant);
    expect(res.status).toBe(status);
    expect(await res.text()).toMatch(text);
    const ok = await push(rw1([series('still_serving', {}, [[T0, 1]])]));
    expect(ok.status).toBe(204);
  });

  it('counts every refusal per tenant and reason in /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const reason of ['native_histograms_not_supported', 'labels_not_sorted', 'duplicate_label_names', 'missing_metric_name', 'label_invalid', 'max_label_names_per_series']) {
      expect(text).toMatch(new RegExp(`panoptes_distributor_discarded_samples_total\\{tenant="team-a",reason="${reason}"\\} [1-9]`));
    }
  });

  it('writes the valid series of a request with invalid ones and lists the refusals in the 400', async () => {
    const res = await push(
      rw1([
        series('mixed_ok', { i: '1' }, [[T0, 1]]),
        { labels: [{ name: 'job', value: 'no-name' }], samples: [{ timestamp: T0, value: 1 }] },
        series('mixed_ok', { i: '2' }, [[T0, 2]]),
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get(HEADER_SAMPLES_WRITTEN)).toBe('2');
    expect(await res.text()).toMatch(/refused 1 samples \(2 samples were written\).*no metric name/);
    await until(() => expect(stored('team-a', 'mixed_ok')).toHaveLength(2));
  });

  it.each([
    {
      name: 'an out-of-order sample',
      first: [series('ooo_metric', { k: '1' }, [[T0 + 60_000, 1]])],
      second: [series('ooo_metric', { k: '1' }, [[T0, 2]]), series('ooo_metric', { k: '2' }, [[T0, 3]])],
      reason: /out-of-order sample/,
    },
    {
      name: 'a new series over the per-tenant series limit',
      tenant: 'team-limited',
      first: [series('limited', { k: '1' }, [[T0, 1]]), series('limited', { k: '2' }, [[T0, 1]])],
      second: [series('limited', { k: '3' }, [[T0, 1]]), series('limited', { k: '1' }, [[T0 + 1000, 2]])],
      reason: /per-tenant series limit of 2 .*team-limited/,
    },
  ])('answers 400 for $name refused by the ingester, storing the rest of the request', async ({ first, second, reason, ...rest }) => {
    const tenant = (rest as { tenant?: string }).tenant ?? 'team-a';
    expect((await push(rw1(first), {}, tenant)).status).toBe(204);
    const res = await push(rw1(second), {}, tenant);
    expect(res.status).toBe(400);
    expect(res.headers.get(HEADER_SAMPLES_WRITTEN)).toBe('1');
    expect(await res.text()).toMatch(reason);
  });

  it('keeps only the elected HA replica, answers 202 to the other, and drops the replica label', async () => {
    const ha = (replica: string, v: number) => rw1([series('ha_metric', { cluster: 'prom-eu', __replica__: replica }, [[T0 + v * 1000, v]])]);
    expect((await push(ha('r1', 1), {}, 'team-ha')).status).toBe(204);
    const other = await push(ha('r2', 2), {}, 'team-ha');
    expect(other.status).toBe(202);
    expect(await other.text()).toMatch(/r2.*not the elected replica|replica.*r1/i);
    expect((await push(ha('r1', 3), {}, 'team-ha')).status).toBe(204);
    await until(() =>
      expect(stored('team-ha', 'ha_metric')).toEqual([{ labels: '__name__=ha_metric,cluster=prom-eu', samples: [[T0 + 1000, 1], [T0 + 3000, 3]] }]),
    );
  });

  it('refuses a request over the tenant ingestion rate with 429 naming the limit, storing nothing of it', async () => {
    const samples: Array<[number, number]> = [];
    for (let i = 0; i < 2_000; i++) samples.push([T0 + i * 1000, i]);
    const big = rw1(Array.from({ length: 150 }, (_, k) => series('rate_limited', { k: String(k) }, samples)));
    const res = await push(big, {}, 'team-rate');
    expect(res.status).toBe(429);
    expect(await res.text()).toMatch(/rate limit of 100000 .*team-rate|team-rate.*rate limit/);
    expect(stored('team-rate', 'rate_limited')).toEqual([]);
  });

  it('POST /ingester/flush cuts the heads into Prometheus blocks under <tenant>/<ulid>/ in the bucket', async () => {
    const res = await fetch(`${base}/ingester/flush`, { method: 'POST' });
    expect(res.status).toBe(201);
    const flushed = (await res.json()) as { blocksCut: number; blocksShipped: number; shipFailures: number };
    expect(flushed.blocksCut).toBeGreaterThan(0);
    expect(flushed.shipFailures).toBe(0);
    const tenantDir = join(dir, 'objects', 'team-a');
    const blocks = readdirSync(tenantDir);
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) {
      expect(existsSync(join(tenantDir, b, 'meta.json'))).toBe(true);
      expect(existsSync(join(tenantDir, b, 'index'))).toBe(true);
    }
    expect(huge.length).toBeGreaterThan(0);
  });
});

describe('ingester durability across restarts of the all-in-one process', () => {
  it.each([
    { name: 'a clean stop (final snapshot)', snapshotIntervalMs: 1_000, waitForSnapshot: false },
    { name: 'an unflushed head (snapshot, then more records replayed from the log)', snapshotIntervalMs: 1_000, waitForSnapshot: true },
  ])('keeps every acknowledged sample after $name', async ({ snapshotIntervalMs, waitForSnapshot }) => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-restart-'));
    const config = testConfig(dir, (c) => {
      c.limits.creationGracePeriodMs = 100 * 365 * 86_400_000;
      c.blocksStorage.tsdb.snapshotIntervalMs = snapshotIntervalMs;
    });
    const send = async (p: RunningProcess, from: number, n: number) => {
      const samples: Array<[number, number]> = [];
      for (let i = from; i < from + n; i++) samples.push([T0 + i * 15_000, i]);
      const res = await fetch(`http://127.0.0.1:${p.wiring.http.port}/api/v1/push`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'durable' },
        body: rw1([series('durable_total', { pod: 'p1' }, samples)]),
      });
      expect(res.status).toBe(204);
    };
    const read = (p: RunningProcess) => {
      const ing = p.wiring.modules.get('ingester') as Ingester;
      const out: number[] = [];
      for (const s of ing.select('durable', [new Matcher('=', '__name__', 'durable_total')], -Infinity, Infinity)) {
        const it = s.iterator();
        while (it.next()) out.push(it.v);
      }
      return out;
    };
    try {
      let p = await startProcess(config, nopLogger, new Registry());
      await send(p, 0, 10);
      if (waitForSnapshot) {
        await eventually(() => readdirSync(join(dir, 'tsdb', 'snapshots')).some((f) => /^snapshot-\d+$/.test(f)), 10_000);
        await send(p, 10, 5);
        // Simulate a crash after the last push: no final snapshot is written.
        (p.wiring.modules.get('ingester') as unknown as { durability: { close?: unknown } }).durability.close = undefined;
      }
      await eventually(() => read(p).length === (waitForSnapshot ? 15 : 10));
      await p.manager.stopAll();
      p = await startProcess(config, nopLogger, new Registry());
      try {
        expect(read(p)).toEqual(Array.from({ length: waitForSnapshot ? 15 : 10 }, (_, i) => i));
      } finally {
        await p.manager.stopAll();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('classic ingest mode in the all-in-one process (gRPC push to the ring, ingester WAL)', () => {
  it('writes through the ingester ring, reports ingester refusals, and replays the WAL after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-classic-'));
    const grpcPort = await freePort();
    const config = testConfig(dir, (c) => {
      c.distributor.ingestMode = 'classic';
      c.server.grpcListenPort = grpcPort;
      c.ingester.ring.instanceAddr = `127.0.0.1:${grpcPort}`;
      c.ingester.ring.heartbeatPeriodMs = 1_000;
      c.ingester.ring.replicationFactor = 1; // one ingester: a quorum of RF=3 needs two (as in Mimir)
      c.limits.creationGracePeriodMs = 100 * 365 * 86_400_000;
    });
    const pushTo = (p: RunningProcess, body: Buffer) =>
      fetch(`http://127.0.0.1:${p.wiring.http.port}/api/v1/push`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'classic' },
        body,
      });
    const read = (p: RunningProcess) => {
      const ing = p.wiring.modules.get('ingester') as Ingester;
      return [...ing.select('classic', [new Matcher('=', '__name__', 'classic_total')], -Infinity, Infinity)].map((s) => {
        const it = s.iterator();
        const out: number[] = [];
        while (it.next()) out.push(it.v);
        return out;
      });
    };
    let p: RunningProcess | undefined;
    try {
      p = await startProcess(config, nopLogger, new Registry());
      const first = p;
      // The ingester must be ACTIVE in the ring before the distributor can place series.
      await eventually(async () => (await pushTo(first, rw1([series('classic_total', {}, [[T0, 0]])]))).status === 204, 15_000);
      expect((await pushTo(p, rw1([series('classic_total', {}, [[T0 + 1000, 1]])]))).status).toBe(204);
      const ooo = await pushTo(p, rw1([series('classic_total', {}, [[T0 + 500, 9]])]));
      expect(ooo.status).toBe(400);
      expect(await ooo.text()).toMatch(/out-of-order sample/);
      expect(read(p)).toEqual([[0, 1]]);
      // Simulate a crash: no final snapshot; the WAL has both accepted pushes.
      (p.wiring.modules.get('ingester') as unknown as { durability: { close?: unknown } }).durability.close = undefined;
      await p.manager.stopAll();
      p = await startProcess(config, nopLogger, new Registry());
      expect(read(p)).toEqual([[0, 1]]);
    } finally {
      await p?.manager.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('POST /ingester/prepare-shutdown', () => {
  it('makes the next shutdown flush every head into uploaded blocks; DELETE unsets it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-prepare-'));
    let p: RunningProcess | undefined;
    try {
      p = await startProcess(
        testConfig(dir, (c) => {
          c.limits.creationGracePeriodMs = 100 * 365 * 86_400_000;
        }),
        nopLogger,
        new Registry(),
      );
      const base = `http://127.0.0.1:${p.wiring.http.port}`;
      const res = await fetch(`${base}/api/v1/push`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'leaving' },
        body: rw1([series('leaving_total', {}, [[T0, 1]])]),
      });
      expect(res.status).toBe(204);
      expect(await (await fetch(`${base}/ingester/prepare-shutdown`)).text()).toBe('unset\n');
      expect((await fetch(`${base}/ingester/prepare-shutdown`, { method: 'POST' })).status).toBe(204);
      expect((await fetch(`${base}/ingester/prepare-shutdown`, { method: 'DELETE' })).status).toBe(204);
      expect(await (await fetch(`${base}/ingester/prepare-shutdown`)).text()).toBe('unset\n');
      expect((await fetch(`${base}/ingester/prepare-shutdown`, { method: 'POST' })).status).toBe(204);
      expect(await (await fetch(`${base}/ingester/prepare-shutdown`)).text()).toBe('set\n');
      expect(existsSync(join(dir, 'objects', 'leaving'))).toBe(false);
      await p.manager.stopAll();
      p = undefined;
      const blocks = readdirSync(join(dir, 'objects', 'leaving'));
      expect(blocks).toHaveLength(1);
      expect(existsSync(join(dir, 'objects', 'leaving', blocks[0], 'meta.json'))).toBe(true);
    } finally {
      await p?.manager.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('out-of-order window (-ingester.out-of-order-time-window)', () => {
  it('accepts samples up to the window behind the newest, refuses older ones as too old', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-ooo-'));
    let p: RunningProcess | undefined;
    try {
      p = await startProcess(
        testConfig(dir, (c) => {
          c.limits.creationGracePeriodMs = 100 * 365 * 86_400_000;
          c.ingester.outOfOrderTimeWindowMs = 10 * 60_000;
        }),
        nopLogger,
        new Registry(),
      );
      const url = `http://127.0.0.1:${p.wiring.http.port}/api/v1/push`;
      const send = (samples: Array<[number, number]>) =>
        fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'late' },
          body: rw1([series('late_total', {}, samples)]),
        });
      expect((await send([[T0 + 20 * 60_000, 3]])).status).toBe(204);
      expect((await send([[T0 + 15 * 60_000, 2]])).status).toBe(204); // 5 min late: inside the window
      const tooOld = await send([[T0, 1]]); // 20 min late
      expect(tooOld.status).toBe(400);
      expect(await tooOld.text()).toMatch(/too old/);
      const ing = p.wiring.modules.get('ingester') as Ingester;
      const got: Array<[number, number]> = [];
      for (const s of ing.select('late', [new Matcher('=', '__name__', 'late_total')], -Infinity, Infinity)) {
        const it = s.iterator();
        while (it.next()) got.push([it.t, it.v]);
      }
      expect(got).toEqual([
        [T0 + 15 * 60_000, 2],
        [T0 + 20 * 60_000, 3],
      ]);
    } finally {
      await p?.manager.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
