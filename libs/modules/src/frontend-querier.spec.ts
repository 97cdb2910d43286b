import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { eventually } from '@panoptes/testing';
import { RunningProcess, startProcess } from './runner';
import { testConfig } from './testing/test-config';

/** The Prometheus API of `proc` (a query-frontend), as Grafana calls it. */
async function query(proc: RunningProcess, expr: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${proc.wiring.http.port}/prometheus/api/v1/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Scope-OrgID': 'team-a', ...headers },
    body: new URLSearchParams({ query: expr, time: '1700000000' }),
  });
  return { status: res.status, stats: res.headers.get('x-panoptes-query-stats'), json: (await res.json()) as { status: string; data?: { result: unknown }; errorType?: string; error?: string } };
}

async function gauge(proc: RunningProcess, name: string): Promise<number> {
  return (await proc.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
}

describe('a query-frontend process and a querier process pulling its queries over gRPC', () => {
  let dir: string;
  let frontend: RunningProcess;
  let querier: RunningProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-pull-'));
    frontend = await startProcess(
      testConfig(join(dir, 'frontend'), (c) => {
        c.target = ['query-frontend'];
        c.queryFrontend.queueTimeoutMs = 1_000;
      }),
      nopLogger,
      new Registry(),
    );
    querier = await startProcess(
      testConfig(join(dir, 'querier'), (c) => {
        c.target = ['querier'];
        c.querier.frontendAddress = [`127.0.0.1:${frontend.wiring.grpc.port}`];
        c.querier.maxConcurrent = 2;
        c.querier.id = 'querier-1';
      }),
      nopLogger,
      new Registry(),
    );
  }, 30_000);

  afterAll(async () => {
    await querier?.manager.stopAll();
    await frontend?.manager.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects max_concurrent workers, answers queries through them and reports the query stats when asked', async () => {
    await eventually(async () => (await gauge(frontend, 'panoptes_query_frontend_connected_workers')) === 2, 10_000);
    await eventually(async () => (await gauge(querier!, 'panoptes_querier_frontend_streams')) === 2, 10_000);
    expect(await gauge(frontend, 'panoptes_query_frontend_connected_queriers')).toBe(1);
    const res = await query(frontend, 'vector(1) + 1', { 'X-Panoptes-Query-Stats': 'true' });
    expect(res.status).toBe(200);
    expect(res.json.data?.result).toEqual([{ metric: {}, value: [1700000000, '2'] }]);
    expect(res.stats).toMatch(/^samples=0,peak=\d+,duration_ms=\d+,splits=1,cache_hits=0$/);
  });

  it('answers 503 once its querier left and none came back within the queue timeout', async () => {
    await querier!.manager.stopAll();
    querier = undefined;
    await eventually(async () => (await gauge(frontend, 'panoptes_query_frontend_connected_workers')) === 0, 10_000);
    const res = await query(frontend, 'vector(1)');
    expect(res.status).toBe(503);
    expect(res.json.errorType).toBe('unavailable');
    expect(res.json.error).toContain('no querier is connected to this query-frontend');
  });
});
