import { nopLogger } from '@panoptes/log';
import type { AmApiRequest } from './api/http';
import { AlertRouterHttpApi } from './api/router-http';
import { ALERT_ROUTER_STATE_PATH } from './replication/peers';
import { tenantToken } from './sharding';
import { FakeAlertRouterCluster, settle } from './testing/cluster';

const TENANTS = Array.from({ length: 12 }, (_, i) => `tenant-${i}`);
const get = (path: string): AmApiRequest => ({ method: 'GET', path, query: new URLSearchParams() });

/** Alert-routers with replication factor 1: each tenant lives on exactly one instance. */
async function cluster(ids: string[]) {
  const c = new FakeAlertRouterCluster({ replicationFactor: 1 });
  const nodes = ids.map((id) => c.add(id));
  return { c, clock: c.clock, nodes, calls: c.calls };
}

describe('alert-router tenant sharding over the ring (replication factor 1)', () => {
  let c: FakeAlertRouterCluster | undefined;
  afterEach(async () => {
    await c?.stopAll();
    c = undefined;
  });

  it('gives every tenant exactly one owner and spreads similar tenant IDs over the instances', async () => {
    const x = await cluster(['am-a', 'am-b', 'am-c']);
    c = x.c;
    for (const n of x.nodes) await n.start();
    for (const t of TENANTS) {
      expect(x.nodes.filter((n) => n.placement.isSender(t)).map((n) => n.id)).toHaveLength(1);
      expect(new Set(x.nodes.map((n) => n.placement.sender(t)?.id)).size).toBe(1);
      expect(x.nodes[0].placement.members(t)).toHaveLength(1);
    }
    // IDs that differ only at the end land on different instances (FNV-1a would bunch them).
    for (const n of x.nodes) expect(TENANTS.filter((t) => n.placement.isSender(t)).length).toBeGreaterThan(0);
    expect(tenantToken('tenant-1') >>> 28).not.toBe(tenantToken('tenant-2') >>> 28);
  });

  it('serves a tenant on its owner only: other instances forward its API and config requests once', async () => {
    const x = await cluster(['am-a', 'am-b']);
    c = x.c;
    for (const n of x.nodes) await n.start();
    for (const t of TENANTS) {
      const [owner, other] = x.nodes[0].placement.isSender(t) ? x.nodes : [x.nodes[1], x.nodes[0]];
      x.calls.length = 0;
      const res = await other.api.handle('alertmanager', t, { method: 'POST', path: '/api/v2/alerts', query: new URLSearchParams(), body: '[{"labels":{"alertname":"A"}}]' });
      expect(res.status).toBe(200);
      expect(x.calls).toEqual([{ from: other.id, to: owner.id, method: 'POST', url: '/alertmanager/api/v2/alerts' }]);
      expect(owner.router.tenantIds()).toContain(t);
      expect(other.router.tenantIds()).not.toContain(t);
      const alerts = JSON.parse((await other.api.handle('alertmanager', t, get('/api/v2/alerts'))).body) as unknown[];
      expect(alerts).toHaveLength(1);
      const config = await other.api.handle('config', t, { method: 'POST', path: '/api/v1/alerts', query: new URLSearchParams(), body: 'alertmanager_config: |\n  route:\n    receiver: x\n  receivers:\n    - name: x\n' });
      expect(config.status).toBe(201);
      expect(x.calls.at(-1)).toEqual({ from: other.id, to: owner.id, method: 'POST', url: '/api/v1/alerts' });
    }
  });

  it('a forwarded request is served where it lands, never forwarded again', async () => {
    const x = await cluster(['am-a', 'am-b']);
    c = x.c;
    for (const n of x.nodes) await n.start();
    const t = TENANTS.find((id) => !x.nodes[0].placement.isSender(id))!;
    const res = await x.nodes[0].api.handle('alertmanager', t, get('/api/v2/status'), true);
    expect(res.status).toBe(200);
    // Starting the tenant here asks its set for state (a pull), but the request itself stays.
    expect(x.calls.filter((call) => call.url !== ALERT_ROUTER_STATE_PATH)).toEqual([]);
    expect(x.nodes[0].router.tenantIds()).toEqual([t]);
  });

  it('hands the tenants a joining instance takes over to it, silences and alerts included', async () => {
    const x = await cluster(['am-a', 'am-b']);
    c = x.c;
    const [a, b] = x.nodes;
    await a.start();
    const now = new Date(x.clock.now());
    for (const t of TENANTS) {
      const body = JSON.stringify({ matchers: [{ name: 'alertname', value: 'A', isRegex: false }], startsAt: now.toISOString(), endsAt: new Date(x.clock.now() + 3_600_000).toISOString(), createdBy: 'me', comment: t });
      expect((await a.api.handle('alertmanager', t, { method: 'POST', path: '/api/v2/silences', query: new URLSearchParams(), body })).status).toBe(200);
      expect((await a.api.handle('alertmanager', t, { method: 'POST', path: '/api/v2/alerts', query: new URLSearchParams(), body: '[{"labels":{"alertname":"B"}}]' })).status).toBe(200);
    }
    expect(a.router.tenantIds()).toHaveLength(TENANTS.length);
    await b.start();
    const moved = TENANTS.filter((t) => !a.placement.isSender(t));
    expect(moved.length).toBeGreaterThan(0);
    await x.c.advance(1_000);
    await settle();
    expect(a.router.tenantIds()).toEqual(TENANTS.filter((t) => a.placement.isSender(t)).sort());
    for (const t of moved) {
      const silences = JSON.parse((await a.api.handle('alertmanager', t, get('/api/v2/silences'))).body) as { comment: string }[];
      expect(silences.map((s) => s.comment)).toEqual([t]);
      // Alerts are handed over too: no wait for the rulers' resends.
      const alerts = JSON.parse((await a.api.handle('alertmanager', t, get('/api/v2/alerts'))).body) as { labels: { alertname: string } }[];
      expect(alerts.map((al) => al.labels.alertname)).toEqual(['B']);
      expect(b.router.tenantIds()).toContain(t);
    }
  });

  it('answers 503 naming the unreachable owner', async () => {
    const x = await cluster(['am-a', 'am-b']);
    c = x.c;
    for (const n of x.nodes) await n.start();
    const t = TENANTS.find((id) => !x.nodes[0].placement.isSender(id))!;
    const lonely = new AlertRouterHttpApi({ instanceId: 'am-a', forwardTimeoutMs: 1_000 }, x.nodes[0].router, x.nodes[0].placement, nopLogger, (async () => {
      throw new Error('connection refused');
    }) as typeof fetch);
    const res = await lonely.handle('alertmanager', t, get('/api/v2/alerts'));
    expect(res.status).toBe(503);
    expect(res.body).toContain(`no alert-router holding tenant ${t} can be reached (am-b:8080: connection refused)`);
  });
});
