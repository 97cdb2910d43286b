import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { Registry } from 'prom-client';
import { receiveAlert } from '../alerts/alert';
import type { AmApiRequest } from '../api/http';
import { loadConfig } from '../config/config';
import { AlertRouterMetrics } from '../metrics';
import { defaultIntegrationFactory, eachIntegration } from '../notify/integrations';
import { AlertRouterTenant, defaultTenantConfig } from '../tenant';
import { type ClusterNode, FakeAlertRouterCluster, settle } from '../testing/cluster';
import { RecordingHttpServer } from '../testing/fake-servers';
import { type TenantStateDelta, decodeTenantState, encodeTenantState } from './tenant-state';

const routeConfig = (url = 'http://127.0.0.1:1/hook') => `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${url}
`;

const TENANTS = Array.from({ length: 8 }, (_, i) => `team-${i}`);
const HOUR = 3_600_000;

const post = (path: string, body: unknown): AmApiRequest => ({ method: 'POST', path, query: new URLSearchParams(), body: JSON.stringify(body) });

function alerts(c: FakeAlertRouterCluster, ...names: string[]): AmApiRequest {
  const endsAt = new Date(c.clock.now() + 24 * HOUR).toISOString();
  return post(
    '/api/v2/alerts',
    names.map((n) => {
      const [alertname, instance = 'i1'] = n.split('/');
      return { labels: { alertname, instance }, endsAt };
    }),
  );
}

function silence(c: FakeAlertRouterCluster, alertname: string): AmApiRequest {
  return post('/api/v2/silences', {
    matchers: [{ name: 'alertname', value: alertname, isRegex: false }],
    startsAt: new Date(c.clock.now()).toISOString(),
    endsAt: new Date(c.clock.now() + 24 * HOUR).toISOString(),
    createdBy: 'ops',
    comment: 'maintenance',
  });
}

/** Nodes of the tenant's replication set, sender first, as `node` sees the ring. */
function set(c: FakeAlertRouterCluster, tenant: string, node: ClusterNode): ClusterNode[] {
  return node.placement.members(tenant).map((m) => c.node(m.id));
}

async function startCluster(ids: string[], options: Partial<ConstructorParameters<typeof FakeAlertRouterCluster>[0]> = {}): Promise<FakeAlertRouterCluster> {
  const c = new FakeAlertRouterCluster({ replicationFactor: 3, router: { fallbackConfig: routeConfig() }, ...options });
  for (const id of ids) c.add(id);
  for (const id of ids) await c.node(id).start();
  return c;
}

describe('alert-router replication: every member holds the tenant, only the sender sends', () => {
  let c: FakeAlertRouterCluster | undefined;
  afterEach(async () => {
    await c?.stopAll();
    c = undefined;
  });

  it('three instances with replication factor 3 send one webhook per group for alerts posted to a replica', async () => {
    const sink = await RecordingHttpServer.start();
    try {
      c = await startCluster(['am-a', 'am-b', 'am-c'], {
        router: { fallbackConfig: routeConfig(`${sink.url}/hook`) },
        integrationFactory: () => (r) => defaultIntegrationFactory({ externalUrl: 'http://am/alertmanager', userAgent: 'test', now: () => c!.clock.now(), templateFiles: {} })(r),
      });
      const cluster = c;
      for (const t of TENANTS) {
        const [sender, replica] = set(cluster, t, cluster.node('am-a'));
        expect(sender.placement.isSender(t)).toBe(true);
        const res = await replica.api.handle('alertmanager', t, alerts(cluster, 'Disk', 'Cpu/i1', 'Cpu/i2'));
        expect(res.status).toBe(200);
      }
      // Every member holds every alert before any notification.
      for (const t of TENANTS) {
        for (const n of cluster.nodes.values()) {
          expect(n.router.tenantIds()).toContain(t);
          expect((await n.router.tenant(t)).store.size).toBe(3);
        }
      }
      await cluster.advance(2_000);
      const posts = await sink.waitFor(TENANTS.length * 2);
      // More group intervals pass: nothing is sent again (repeat_interval is 1h), by no instance.
      await cluster.advance(11_000);
      await new Promise((r) => setTimeout(r, 100));
      expect(posts).toHaveLength(TENANTS.length * 2);
      const keys = posts.map((p) => (JSON.parse(p.body) as { groupKey: string; alerts: unknown[] }).groupKey).sort();
      expect(keys).toEqual(TENANTS.flatMap(() => ['{}:{alertname="Cpu"}', '{}:{alertname="Disk"}']).sort());
      // The notification log reached the replicas before the flush ended.
      for (const t of TENANTS) {
        for (const n of cluster.nodes.values()) expect((await n.router.tenant(t)).nflog.size).toBe(2);
      }
    } finally {
      await sink.close();
    }
  });

  it('a silence created through one instance is on all three, and so is its expiry through another', async () => {
    c = await startCluster(['am-a', 'am-b', 'am-c']);
    const [a, b, cc] = ['am-a', 'am-b', 'am-c'].map((id) => c!.node(id));
    for (const t of TENANTS) {
      const res = await b.api.handle('alertmanager', t, silence(c, 'Disk'));
      expect(res.status).toBe(200);
      const { silenceID } = JSON.parse(res.body) as { silenceID: string };
      for (const n of [a, b, cc]) expect((await n.router.tenant(t)).silences.get(silenceID)).toMatchObject({ id: silenceID, comment: 'maintenance' });
      await c.advance(1_000);
      expect((await cc.api.handle('alertmanager', t, { method: 'DELETE', path: `/api/v2/silence/${silenceID}`, query: new URLSearchParams() })).status).toBe(200);
      for (const n of [a, b, cc]) expect((await n.router.tenant(t)).silences.get(silenceID)?.endsAt).toBe(c.clock.now());
    }
    await c.advance(1_000);
    // Only each tenant's sender writes its state: a replica's copy never overwrites the sender's.
    const writers = new Set(c.writes.map((w) => `${w.tenant}:${w.node}`));
    expect([...writers].sort()).toEqual(TENANTS.map((t) => `${t}:${a.placement.sender(t)!.id}`).sort());
  });

  it('when the sender crashes, the next member takes over within one ring check, resending nothing and keeping silences', async () => {
    // State is written to the bucket only every 15 minutes: what survives the crash is what was replicated.
    c = await startCluster(['am-a', 'am-b', 'am-c'], { heartbeatTimeoutMs: 5_000, checkPeriodMs: 1_000, router: { fallbackConfig: routeConfig(), persistOnChange: false } });
    const cluster = c;
    const t = 'team-crash';
    const [sender, next, last] = set(cluster, t, cluster.node('am-a'));
    expect((await last.api.handle('alertmanager', t, alerts(cluster, 'Disk', 'Muted'))).status).toBe(200);
    expect((await next.api.handle('alertmanager', t, silence(cluster, 'Muted'))).status).toBe(200);
    await cluster.advance(2_000);
    expect(cluster.sent.map((s) => `${s.node}:${s.alerts.join(',')}`)).toEqual([`${sender.id}:Disk=firing`]);

    // The sender dies: no orderly stop, no state write, no leaving the ring.
    await sender.crash();
    cluster.sent.length = 0;
    // Until the ring marks it unhealthy, requests that cannot reach it are served by the next member.
    expect((await last.api.handle('alertmanager', t, alerts(cluster, 'Disk', 'Muted'))).status).toBe(200);
    expect((await next.router.tenant(t)).dispatching).toBe(false);
    await cluster.advance(5_000); // heartbeat timeout
    await cluster.advance(1_000); // one ring check
    expect((await next.router.tenant(t)).dispatching).toBe(true);
    expect((await last.router.tenant(t)).dispatching).toBe(false);
    expect(set(cluster, t, next).map((n) => n.id)).toEqual([next.id, last.id]);

    // Many group intervals later, still before repeat_interval: the notified group is not notified again.
    await cluster.advance(30_000, 1_000);
    expect(cluster.sent).toEqual([]);

    // A new alert in the group and a new group are notified once each, from the new sender; the silence still holds.
    expect((await last.api.handle('alertmanager', t, alerts(cluster, 'Disk/i2', 'Memory', 'Muted/i2'))).status).toBe(200);
    await cluster.advance(12_000, 1_000);
    expect(cluster.sent.map((s) => `${s.node}:${s.alerts.join(',')}`).sort()).toEqual([`${next.id}:Disk=firing,Disk=firing`, `${next.id}:Memory=firing`]);
  });

  it('a sender stopping gracefully stops dispatching before it leaves the ring, and the next member takes over', async () => {
    c = await startCluster(['am-a', 'am-b', 'am-c'], { router: { fallbackConfig: routeConfig(), persistOnChange: false } });
    const cluster = c;
    for (const t of TENANTS) expect((await cluster.node('am-c').api.handle('alertmanager', t, alerts(cluster, 'Disk'))).status).toBe(200);
    await cluster.advance(2_000);
    expect(cluster.sent).toHaveLength(TENANTS.length);
    const leaving = cluster.node('am-a');
    const taken = TENANTS.filter((t) => leaving.placement.isSender(t));
    expect(taken.length).toBeGreaterThan(0);
    const next = new Map(taken.map((t) => [t, set(cluster, t, leaving)[1]]));
    await leaving.stop();
    // It wrote the state of what it was sending, though writes on change are off.
    expect(new Set(cluster.writes.filter((w) => w.node === 'am-a').map((w) => w.tenant))).toEqual(new Set(taken));
    await cluster.advance(2_000);
    for (const t of taken) expect((await next.get(t)!.router.tenant(t)).dispatching).toBe(true);
    for (const t of taken) expect((await cluster.node('am-b').api.handle('alertmanager', t, alerts(cluster, 'Disk', 'Load'))).status).toBe(200);
    await cluster.advance(20_000);
    expect(cluster.sent.slice(TENANTS.length).map((s) => `${s.node}:${s.tenant}:${s.alerts.join(',')}`).sort()).toEqual(taken.map((t) => `${next.get(t)!.id}:${t}:Load=firing`).sort());
  });

  it('scaling from 3 to 4 instances keeps silences and the notification log with every new member and sends nothing twice', async () => {
    c = await startCluster(['am-a', 'am-b', 'am-c'], { router: { fallbackConfig: routeConfig(), persistOnChange: false } });
    const cluster = c;
    const ids: Record<string, string> = {};
    for (const t of TENANTS) {
      expect((await cluster.node('am-a').api.handle('alertmanager', t, alerts(cluster, 'Disk'))).status).toBe(200);
      const res = await cluster.node('am-b').api.handle('alertmanager', t, silence(cluster, 'Muted'));
      ids[t] = (JSON.parse(res.body) as { silenceID: string }).silenceID;
    }
    await cluster.advance(2_000);
    expect(cluster.sent).toHaveLength(TENANTS.length);
    const before = new Map(TENANTS.map((t) => [t, set(cluster, t, cluster.node('am-a')).map((n) => n.id)]));

    const d = cluster.add('am-d');
    await d.start();
    await cluster.advance(3_000);
    const changed = TENANTS.filter((t) => set(cluster, t, d).some((n) => n.id === 'am-d'));
    expect(changed.length).toBeGreaterThan(0);
    for (const t of TENANTS) {
      const members = set(cluster, t, d);
      for (const n of members) {
        expect(n.router.tenantIds()).toContain(t);
        const held = await n.router.tenant(t);
        expect(held.silences.get(ids[t])).toBeDefined();
        expect(held.nflog.size).toBe(1);
        expect(held.store.size).toBe(1);
        expect(held.dispatching).toBe(n === members[0]);
      }
      // The member that left the set let the tenant go.
      for (const id of before.get(t)!) if (!members.some((n) => n.id === id)) expect(cluster.node(id).router.tenantIds()).not.toContain(t);
    }
    await cluster.advance(20_000);
    expect(cluster.sent).toHaveLength(TENANTS.length);

    cluster.sent.length = 0;
    for (const t of TENANTS) expect((await cluster.node('am-c').api.handle('alertmanager', t, alerts(cluster, 'Load', 'Muted'))).status).toBe(200);
    await cluster.advance(3_000);
    expect(cluster.sent.map((s) => `${s.tenant}:${s.alerts.join(',')}`).sort()).toEqual(TENANTS.map((t) => `${t}:Load=firing`).sort());
    for (const s of cluster.sent) expect(s.node).toBe(set(cluster, s.tenant, d)[0].id);
  });

  it('a new sender waits for the previous one, alive but not yet aware of the ring change, to stop before it dispatches', async () => {
    c = await startCluster(['am-a', 'am-b'], { heartbeatTimeoutMs: 60_000 });
    const cluster = c;
    for (const t of TENANTS) expect((await cluster.node('am-a').api.handle('alertmanager', t, alerts(cluster, 'Disk'))).status).toBe(200);
    await cluster.advance(2_000);
    expect(cluster.sent).toHaveLength(TENANTS.length);
    cluster.sent.length = 0;
    // The old members see the joining instance late (a lagging ring watch).
    for (const id of ['am-a', 'am-b']) cluster.node(id).freezeRing();
    const d = cluster.add('am-d');
    await d.start();
    const taken = TENANTS.filter((t) => d.placement.isSender(t));
    expect(taken.length).toBeGreaterThan(0);
    const oldSender = new Map(taken.map((t) => [t, set(cluster, t, cluster.node('am-a'))[0]]));
    // The rulers' resends, with a new alert, reach the new sender first.
    for (const t of taken) expect((await d.api.handle('alertmanager', t, alerts(cluster, 'Disk', 'Fresh'))).status).toBe(200);
    await cluster.advance(3_000, 500);
    for (const t of taken) {
      expect((await d.router.tenant(t)).dispatching).toBe(false);
      expect((await oldSender.get(t)!.router.tenant(t)).dispatching).toBe(true);
    }
    for (const id of ['am-a', 'am-b']) cluster.node(id).thawRing();
    await cluster.advance(3_000, 500);
    for (const t of taken) {
      expect((await d.router.tenant(t)).dispatching).toBe(true);
      expect((await oldSender.get(t)!.router.tenant(t)).dispatching).toBe(false);
    }
    await cluster.advance(20_000);
    // The new alert went out once (from whichever instance sent at the time), the old one not again.
    expect(cluster.sent.map((s) => `${s.tenant}:${s.alerts.join(',')}`).sort()).toEqual(taken.map((t) => `${t}:Fresh=firing`).sort());
  });

  it('a replica restarted with empty memory gets the whole state back from the other members and can take over without resending', async () => {
    c = await startCluster(['am-a', 'am-b', 'am-c'], { router: { fallbackConfig: routeConfig(), persistOnChange: false } });
    const cluster = c;
    const t = 'team-restart';
    const [sender, replica, restarted] = set(cluster, t, cluster.node('am-a'));
    expect((await sender.api.handle('alertmanager', t, alerts(cluster, 'Disk', 'Muted'))).status).toBe(200);
    expect((await sender.api.handle('alertmanager', t, silence(cluster, 'Muted'))).status).toBe(200);
    await cluster.advance(2_000);
    await restarted.crash();
    // Same ID and tokens, nothing in memory, nothing in the bucket (state is written every 15 minutes only).
    const again = cluster.add(restarted.id);
    await again.start();
    expect(again.router.tenantIds()).toEqual([]);
    // The next change reaches it as a push; starting the tenant there pulls the rest from the other members.
    expect((await replica.api.handle('alertmanager', t, alerts(cluster, 'Load'))).status).toBe(200);
    await cluster.advance(2_000);
    expect(cluster.sent.map((s) => s.alerts.join(','))).toEqual(['Disk=firing', 'Load=firing']);
    const held = await again.router.tenant(t);
    expect(held.store.size).toBe(3);
    expect(held.silences.list()).toHaveLength(1);
    expect(held.nflog.size).toBe(2);
    // Left alone, it sends what is new only.
    await sender.crash();
    await replica.crash();
    await cluster.advance(7_000);
    expect(held.dispatching).toBe(true);
    expect((await again.api.handle('alertmanager', t, alerts(cluster, 'Disk/i2', 'Muted/i2'))).status).toBe(200);
    await cluster.advance(30_000);
    expect(cluster.sent.map((s) => `${s.node}:${s.alerts.join(',')}`)).toEqual([`${sender.id}:Disk=firing`, `${sender.id}:Load=firing`, `${again.id}:Disk=firing,Disk=firing`]);
  });

  it('a lone instance with replication factor 3 is the sender of every tenant', async () => {
    c = await startCluster(['am-a']);
    for (const t of TENANTS) expect((await c.node('am-a').api.handle('alertmanager', t, alerts(c, 'Disk'))).status).toBe(200);
    await c.advance(2_000);
    expect(c.sent.map((s) => s.tenant).sort()).toEqual([...TENANTS].sort());
    expect(c.calls).toEqual([]);
  });
});

describe('replicated tenant state encoding', () => {
  it('round-trips a delta', () => {
    const delta = {
      alerts: [{ labels: { a: 'b' }, annotations: {}, startsAt: 1, endsAt: 2, generatorURL: '', updatedAt: 1, timeout: false }],
      silences: [{ id: 's', matchers: [{ name: 'a', value: 'b', isRegex: false, isEqual: true }], startsAt: 1, endsAt: 2, updatedAt: 1, createdBy: 'me', comment: '' }],
      nflog: [{ groupKey: 'g', receiver: { groupName: 'r', integration: 'webhook', idx: 0 }, timestamp: 1, firingAlerts: ['x'], resolvedAlerts: [], expiresAt: 9 }],
    };
    expect(decodeTenantState(encodeTenantState(delta))).toEqual({ ...delta, dispatching: false });
    expect(decodeTenantState(encodeTenantState({ ...delta, dispatching: true })).dispatching).toBe(true);
  });

  it.each([
    { name: 'not JSON', body: '{', message: 'replicated alert-router state is not JSON' },
    { name: 'another version', body: '{"version":2}', message: 'has version 2, not 1: the alert-routers of the ring run incompatible Panoptes versions' },
    { name: 'alerts not an array', body: '{"version":1,"alerts":{}}', message: 'alerts must be an array' },
    { name: 'an alert without labels', body: '{"version":1,"alerts":[{"annotations":{}}]}', message: 'an alert needs labels and annotations maps' },
    { name: 'a silence without id', body: '{"version":1,"silences":[{"matchers":[]}]}', message: 'a silence needs an id and matchers' },
    { name: 'a log entry without timestamp', body: '{"version":1,"nflog":[{"groupKey":"g","receiver":{}}]}', message: 'a notification log entry needs timestamp' },
  ])('refuses $name', ({ body, message }) => {
    expect(() => decodeTenantState(body)).toThrow(message);
  });
});

describe('AlertRouterTenant replication', () => {
  it('ends a flush only once the notification log entries it wrote reached the replicas', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const pushed: TenantStateDelta[] = [];
    const sent: string[] = [];
    const tenant = new AlertRouterTenant('t1', defaultTenantConfig(), { config: loadConfig(routeConfig()), templateFiles: {}, fallback: false }, {
      clock,
      metrics: new AlertRouterMetrics(new Registry()),
      logger: nopLogger,
      integrationFactory: (receiver) => eachIntegration(receiver, () => ({ notify: async (as) => void sent.push(...as.map((a) => a.labels.alertname)) })),
      replicate: async (delta) => {
        pushed.push(delta);
        if (delta.nflog.length > 0) await gate;
      },
    });
    tenant.start();
    tenant.putAlerts([receiveAlert({ labels: { alertname: 'Disk' }, annotations: {}, generatorURL: '' }, clock.now(), 300_000)]);
    await settle();
    expect(pushed.map((d) => d.alerts.length)).toEqual([1]);
    await clock.advance(1_000);
    await settle();
    expect(sent).toEqual(['Disk']);
    expect(pushed.map((d) => d.nflog.length)).toEqual([0, 1]);
    // Stopping (a demotion) waits for the flush in progress, which waits for the push.
    let stopped = false;
    const stopping = tenant.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('merges pushed state without pushing it again, keeping the newer silence and log entry', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const pushed: TenantStateDelta[] = [];
    const tenant = new AlertRouterTenant('t1', defaultTenantConfig(), { config: loadConfig(routeConfig()), templateFiles: {}, fallback: false }, {
      clock,
      metrics: new AlertRouterMetrics(new Registry()),
      logger: nopLogger,
      replicate: async (delta) => void pushed.push(delta),
    });
    const silence = { id: 's1', matchers: [{ name: 'alertname', value: 'A', isRegex: false, isEqual: true }], startsAt: 1, endsAt: clock.now() + HOUR, updatedAt: 5, createdBy: 'me', comment: 'new' };
    const entry = { groupKey: 'g', receiver: { groupName: 'hook', integration: 'webhook', idx: 0 }, timestamp: 5, firingAlerts: ['x'], resolvedAlerts: [], expiresAt: clock.now() + HOUR };
    tenant.merge({ alerts: [receiveAlert({ labels: { alertname: 'A' }, annotations: {}, generatorURL: '' }, clock.now(), 300_000)], silences: [silence], nflog: [entry] });
    tenant.merge({ silences: [{ ...silence, updatedAt: 4, comment: 'old' }], nflog: [{ ...entry, timestamp: 4, firingAlerts: [] }] });
    await settle();
    expect(pushed).toEqual([]);
    expect(tenant.store.size).toBe(1);
    expect(tenant.silences.get('s1')?.comment).toBe('new');
    expect(tenant.nflog.query(entry.receiver, 'g')?.firingAlerts).toEqual(['x']);
    expect(tenant.fullState()).toMatchObject({ silences: [{ id: 's1' }], nflog: [{ groupKey: 'g' }] });
  });
});
