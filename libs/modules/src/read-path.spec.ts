import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { TimeSeriesV1Input, compressSnappy, encodeWriteRequestV1 } from '@panoptes/proto';
import { eventually, freePort } from '@panoptes/testing';
import { RunningProcess, startProcess } from './runner';
import { testConfig } from './testing/test-config';

const run = promisify(execFile);
const STEP = 15_000;
// Ten minutes of samples ending on a 15 s boundary a minute ago: recent, so the ingesters serve them.
const END = Math.floor((Date.now() - 60_000) / STEP) * STEP;
const START = END - 10 * 60_000;

function counter(name: string, labels: Record<string, string>, perStep: number): TimeSeriesV1Input {
  const all: Record<string, string> = { __name__: name, ...labels };
  const samples = [];
  for (let t = START, v = 0; t <= END; t += STEP, v += perStep) samples.push({ timestamp: t, value: v });
  return { labels: Object.keys(all).sort().map((k) => ({ name: k, value: all[k] })), samples };
}

async function start(dir: string, multitenancy: boolean): Promise<RunningProcess> {
  const grpcPort = await freePort();
  return startProcess(
    testConfig(dir, (c) => {
      c.auth.multitenancyEnabled = multitenancy;
      c.server.grpcListenPort = grpcPort;
      c.ingester.ring.instanceAddr = `127.0.0.1:${grpcPort}`;
      c.limits.ingestionRate = 1_000_000;
      c.limits.ingestionBurstSize = 1_000_000;
    }),
    nopLogger,
    new Registry(),
  );
}

async function push(base: string, tenant: string | undefined, series: TimeSeriesV1Input[]): Promise<void> {
  const res = await fetch(`${base}/api/v1/push`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      ...(tenant ? { 'X-Scope-OrgID': tenant } : {}),
    },
    body: compressSnappy(encodeWriteRequestV1({ timeseries: series })),
  });
  expect(res.status).toBe(204);
}

describe('read path in the all-in-one process: the Prometheus API over what was written', () => {
  let dir: string;
  let proc: RunningProcess;
  let base: string;

  /** A Grafana-style call: POST form to /prometheus/api/v1/<path>. */
  const api = async (path: string, form: Record<string, string | string[]>, tenant = 'team-a') => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    const res = await fetch(`${base}/prometheus/api/v1/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Scope-OrgID': tenant },
      body,
    });
    return { status: res.status, json: (await res.json()) as { status: string; data: any; errorType?: string; error?: string } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-read-'));
    proc = await start(dir, true);
    base = `http://127.0.0.1:${proc.wiring.http.port}`;
    await push(base, 'team-a', [counter('http_requests_total', { job: 'api', instance: 'a' }, 10), counter('http_requests_total', { job: 'api', instance: 'b' }, 20)]);
    await push(base, 'team-b', [counter('http_requests_total', { job: 'other', instance: 'z' }, 1)]);
    // Writes are acknowledged once in the log; wait until the ingester applied them.
    await eventually(async () => (await api('query', { query: 'count(http_requests_total)', time: String(END / 1000) })).json.data.result.length === 1, 10_000);
  }, 60_000);

  afterAll(async () => {
    await proc?.manager.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers an instant query with the rate of the written counters', async () => {
    const { status, json } = await api('query', { query: 'sum by (job) (rate(http_requests_total[1m]))', time: String(END / 1000) });
    expect(status).toBe(200);
    expect(json.status).toBe('success');
    expect(json.data.resultType).toBe('vector');
    expect(json.data.result).toEqual([{ metric: { job: 'api' }, value: [END / 1000, '2'] }]);
  });

  it('answers a range query with one point per step, through the frontend', async () => {
    const { status, json } = await api('query_range', { query: 'http_requests_total{instance="a"}', start: String(START / 1000), end: String(END / 1000), step: '60' });
    expect(status).toBe(200);
    expect(json.data.resultType).toBe('matrix');
    expect(json.data.result).toHaveLength(1);
    expect(json.data.result[0].metric).toEqual({ __name__: 'http_requests_total', job: 'api', instance: 'a' });
    expect(json.data.result[0].values).toEqual(Array.from({ length: 11 }, (_, i) => [(START + i * 60_000) / 1000, String(i * 40)]));
  });

  it('keeps tenants apart', async () => {
    const { json } = await api('query', { query: 'http_requests_total', time: String(END / 1000) }, 'team-b');
    expect(json.data.result.map((s: { metric: { job: string } }) => s.metric.job)).toEqual(['other']);
    const none = await api('query', { query: 'http_requests_total', time: String(END / 1000) }, 'team-c');
    expect(none.json.data.result).toEqual([]);
  });

  it('lists label names, label values and series', async () => {
    const range = { start: String(START / 1000), end: String(END / 1000) };
    expect((await api('labels', range)).json.data).toEqual(['__name__', 'instance', 'job']);
    const values = await fetch(`${base}/prometheus/api/v1/label/instance/values?start=${START / 1000}&end=${END / 1000}`, { headers: { 'X-Scope-OrgID': 'team-a' } });
    expect(((await values.json()) as { data: string[] }).data).toEqual(['a', 'b']);
    const series = await api('series', { 'match[]': 'http_requests_total{instance="b"}', ...range });
    expect(series.json.data).toEqual([{ __name__: 'http_requests_total', instance: 'b', job: 'api' }]);
  });

  it.each([
    ['a syntax error', 'query', { query: 'sum(', time: '0' }, 400, 'bad_data'],
    ['many-to-many matching', 'query', { query: 'http_requests_total + on() http_requests_total', time: String(END / 1000) }, 422, 'execution'],
    ['a range query without step', 'query_range', { query: 'up', start: '0', end: '10' }, 400, 'bad_data'],
  ])('answers %s with Prometheus\'s status and errorType', async (_name, path, form, status, errorType) => {
    const res = await api(path, form);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ status: 'error', errorType });
  });

  it('serves the same API at the root path', async () => {
    const res = await fetch(`${base}/api/v1/query?query=vector(1)&time=0`, { headers: { 'X-Scope-OrgID': 'team-a' } });
    expect(await res.json()).toEqual({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '1'] }] } });
  });
});

describe('read path with promtool as the client', () => {
  let dir: string;
  let proc: RunningProcess;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-promtool-'));
    proc = await start(dir, false); // promtool 2.42 cannot send X-Scope-OrgID
    base = `http://127.0.0.1:${proc.wiring.http.port}/prometheus`;
    await push(`http://127.0.0.1:${proc.wiring.http.port}`, undefined, [counter('jobs_total', { job: 'batch' }, 5)]);
    await eventually(async () => (await run('promtool', ['query', 'instant', base, 'jobs_total', `--time=${END / 1000}`])).stdout.includes('jobs_total'), 10_000);
  }, 60_000);

  afterAll(async () => {
    await proc?.manager.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('promtool query instant prints the sample', async () => {
    const { stdout } = await run('promtool', ['query', 'instant', base, 'jobs_total', `--time=${END / 1000}`]);
    expect(stdout.trim()).toBe(`jobs_total{job="batch"} => 200 @[${END / 1000}]`);
  });

  it('promtool query range prints every step', async () => {
    const { stdout } = await run('promtool', ['query', 'range', base, 'jobs_total', `--start=${(END - 60_000) / 1000}`, `--end=${END / 1000}`, '--step=30s']);
    expect(stdout.trim().split('\n')).toEqual([`jobs_total{job="batch"} =>`, `180 @[${(END - 60_000) / 1000}]`, `190 @[${(END - 30_000) / 1000}]`, `200 @[${END / 1000}]`]);
  });

  it('promtool query series and labels list what was written', async () => {
    const series = await run('promtool', ['query', 'series', base, '--match=jobs_total', `--start=${START / 1000}`, `--end=${END / 1000}`]);
    expect(series.stdout.trim()).toBe('{__name__="jobs_total", job="batch"}');
    const labels = await run('promtool', ['query', 'labels', base, 'job', `--start=${START / 1000}`, `--end=${END / 1000}`]);
    expect(labels.stdout.trim()).toBe('batch');
  });
});
