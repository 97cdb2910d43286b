import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { compressSnappy, encodeWriteRequestV1 } from '@panoptes/proto';
import { eventually } from '@panoptes/testing';
import { RunningProcess, startProcess } from './runner';
import { testConfig } from './testing/test-config';

describe('compactor cycle in the all-in-one process', () => {
  it('writes the bucket index of every tenant, lists its tenants, and deletes a tenant on request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-compactor-'));
    let p: RunningProcess | undefined;
    try {
      p = await startProcess(
        testConfig(dir, (c) => {
          c.compactor.compactionIntervalMs = 1_000;
          c.compactor.ring.heartbeatPeriodMs = 1_000;
        }),
        nopLogger,
        new Registry(),
      );
      const base = `http://127.0.0.1:${p.wiring.http.port}`;
      const body = compressSnappy(
        encodeWriteRequestV1({ timeseries: [{ labels: [{ name: '__name__', value: 'up' }], samples: [{ timestamp: Date.now(), value: 1 }] }] }),
      );
      const push = await fetch(`${base}/api/v1/push`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'team-c' },
        body,
      });
      expect(push.status).toBe(204);
      expect((await fetch(`${base}/ingester/flush`, { method: 'POST' })).status).toBe(201);

      const indexFile = join(dir, 'objects', 'team-c', 'bucket-index.json.gz');
      await eventually(() => existsSync(indexFile), 10_000);
      await eventually(async () => ((await (await fetch(`${base}/compactor/tenants`)).json()) as { tenants: string[] }).tenants.includes('team-c'));
      // The plan: one ingester block alone is nothing to compact yet; an unknown tenant is a 404.
      const plan = await fetch(`${base}/compactor/tenant/team-c/planned_jobs`);
      expect(plan.status).toBe(200);
      expect(await plan.json()).toMatchObject({ tenant: 'team-c', jobs: [] });
      expect((await fetch(`${base}/compactor/tenant/nobody/planned_jobs`)).status).toBe(404);
      expect((await fetch(`${base}/compactor/tenant/${encodeURIComponent('a/b')}/planned_jobs`)).status).toBe(400);

      const status = async () =>
        (await (await fetch(`${base}/compactor/delete_tenant_status`, { headers: { 'X-Scope-OrgID': 'team-c' } })).json()) as { blocks_deleted: boolean };
      expect((await status()).blocks_deleted).toBe(false);
      expect((await fetch(`${base}/compactor/delete_tenant`, { method: 'POST', headers: { 'X-Scope-OrgID': 'team-c' } })).status).toBe(200);
      await eventually(async () => (await status()).blocks_deleted, 10_000);
      expect(existsSync(indexFile)).toBe(false);
    } finally {
      await p?.manager.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
