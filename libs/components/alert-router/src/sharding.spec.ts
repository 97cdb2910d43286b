import { FakeClock } from '@panoptes/common';
import { MemoryKv, defaultKvCasConfig } from '@panoptes/kv';
import { nopLogger } from '@panoptes/log';
import { Lifecycler, RandomTokenGenerator, Ring, defaultLifecyclerConfig, defaultRingConfig, seededRandom } from '@panoptes/ring';
import { Registry } from 'prom-client';
import { AlertRouter, defaultAlertRouterConfig } from './alert-router';
import type { AmApiRequest } from './api/http';
import { AlertRouterHttpApi, FORWARDED_BY_HEADER } from './api/router-http';
import { AlertRouterSharding, tenantToken } from './sharding';
import { InMemoryAlertRouterStateStore } from './state-store';

const TENANTS = Array.from({ length: 12 }, (_, i) => `tenant-${i}`);
const get = (path: string): AmApiRequest => ({ method: 'GET', path, query: new URLSearchParams() });

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Alert-routers sharing an in-memory ring and state store; HTTP between them is a direct call. */
async function cluster(ids: string[]) {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const kv = new MemoryKv(defaultKvCasConfig(), nopLogger, new Registry());
  const stateStore = new InMemoryAlertRouterStateStore();
  const forwarded: { from: string; to: string; url: string }[] = [];
  const apis = new Map<string, AlertRouterHttpApi>();
  const nodes = ids.map((id) => {
    const registry = new Registry();
    const ring = new Ring({ ...defaultRingConfig(), key: 'ring/alert-router', name: 'alert-router', replicationFactor: 1 }, kv, clock, nopLogger, registry);
    const lifecycler = new Lifecycler({ ...defaultLifecyclerConfig(), ringKey: 'ring/alert-router', ringName: 'alert-router', id, addr: `${id}:8080`, numTokens: 32 }, kv, clock, nopLogger, registry, new RandomTokenGenerator(seededRandom(ids.indexOf(id) + 1)));
    const router = new AlertRouter(nopLogger, registry, defaultAlertRouterConfig(), { clock, stateStore });
    const sharding = new AlertRouterSharding({ instanceId: id, checkPeriodMs: 1_000 }, ring, router, clock, nopLogger);
    // The peer's HTTP server, played by its AlertRouterHttpApi.
    const fetchFn = (async (input: string | URL, init?: RequestInit) => {
      const url = new URL(String(input));
      const to = url.host.replace(/:8080$/, '');
      const h = init?.headers as Record<string, string>;
      forwarded.push({ from: id, to, url: `${url.pathname}${url.search}` });
      const isConfig = url.pathname === '/api/v1/alerts';
      const out = await apis.get(to)!.handle(
        isConfig ? 'config' : 'alertmanager',
        h['X-Scope-OrgID'],
        { method: init?.method ?? 'GET', path: isConfig ? url.pathname : url.pathname.slice('/alertmanager'.length), query: url.searchParams, body: init?.body as string | undefined },
        h[FORWARDED_BY_HEADER] !== undefined,
      );
      return new Response(out.body, { status: out.status, headers: out.headers });
    }) as typeof fetch;
    const api = new AlertRouterHttpApi({ instanceId: id, forwardTimeoutMs: 5_000 }, router, sharding, nopLogger, fetchFn);
    apis.set(id, api);
    return {
      id,
      router,
      sharding,
      api,
      start: async () => {
        await ring.start();
        await router.start();
        await lifecycler.start();
        await sharding.start();
        await settle();
      },
      stop: async () => {
        await sharding.stop();
        await lifecycler.stop();
        await router.stop();
        await ring.stop();
      },
    };
  });
  return { clock, nodes, forwarded };
}

describe('alert-router tenant sharding over the ring', () => {
  it('gives every tenant exactly one owner and spreads similar tenant IDs over the instances', async () => {
    const { nodes } = await cluster(['am-a', 'am-b', 'am-c']);
    for (const n of nodes) await n.start();
    for (const t of TENANTS) {
      expect(nodes.filter((n) => n.sharding.isLocal(t)).map((n) => n.id)).toHaveLength(1);
      expect(new Set(nodes.map((n) => n.sharding.owner(t)?.id)).size).toBe(1);
    }
    // IDs that differ only at the end land on different instances (FNV-1a would bunch them).
    for (const n of nodes) expect(TENANTS.filter((t) => n.sharding.isLocal(t)).length).toBeGreaterThan(0);
    expect(tenantToken('tenant-1') >>> 28).not.toBe(tenantToken('tenant-2') >>> 28);
    for (const n of nodes) await n.stop();
  });

  it('serves a tenant on its owner only: other instances forward its API and config requests once', async () => {
    const { nodes, forwarded } = await cluster(['am-a', 'am-b']);
    for (const n of nodes) await n.start();
    for (const t of TENANTS) {
      const [owner, other] = nodes[0].sharding.isLocal(t) ? nodes : [nodes[1], nodes[0]];
      forwarded.length = 0;
      const res = await other.api.handle('alertmanager', t, { method: 'POST', path: '/api/v2/alerts', query: new URLSearchParams(), body: '[{"labels":{"alertname":"A"}}]' });
      expect(res.status).toBe(200);
      expect(forwarded).toEqual([{ from: other.id, to: owner.id, url: '/alertmanager/api/v2/alerts' }]);
      expect(owner.router.tenantIds()).toContain(t);
      expect(other.router.tenantIds()).not.toContain(t);
      const alerts = JSON.parse((await other.api.handle('alertmanager', t, get('/api/v2/alerts'))).body) as unknown[];
      expect(alerts).toHaveLength(1);
      const config = await other.api.handle('config', t, { method: 'POST', path: '/api/v1/alerts', query: new URLSearchParams(), body: 'alertmanager_config: |\n  route:\n    receiver: x\n  receivers:\n    - name: x\n' });
      expect(config.status).toBe(201);
      expect(forwarded.at(-1)).toEqual({ from: other.id, to: owner.id, url: '/api/v1/alerts' });
    }
    for (const n of nodes) await n.stop();
  });

  it('a forwarded request is served where it lands, never forwarded again', async () => {
    const { nodes, forwarded } = await cluster(['am-a', 'am-b']);
    for (const n of nodes) await n.start();
    const t = TENANTS.find((x) => !nodes[0].sharding.isLocal(x))!;
    const res = await nodes[0].api.handle('alertmanager', t, get('/api/v2/status'), true);
    expect(res.status).toBe(200);
    expect(forwarded).toEqual([]);
    expect(nodes[0].router.tenantIds()).toEqual([t]);
    for (const n of nodes) await n.stop();
  });

  it('releases the tenants a joining instance takes over, keeping their silences for the new owner', async () => {
    const { nodes, clock } = await cluster(['am-a', 'am-b']);
    const [a, b] = nodes;
    await a.start();
    const now = new Date(clock.now());
    for (const t of TENANTS) {
      const body = JSON.stringify({ matchers: [{ name: 'alertname', value: 'A', isRegex: false }], startsAt: now.toISOString(), endsAt: new Date(clock.now() + 3_600_000).toISOString(), createdBy: 'me', comment: t });
      expect((await a.api.handle('alertmanager', t, { method: 'POST', path: '/api/v2/silences', query: new URLSearchParams(), body })).status).toBe(200);
    }
    expect(a.router.tenantIds()).toHaveLength(TENANTS.length);
    await b.start();
    const moved = TENANTS.filter((t) => !a.sharding.isLocal(t));
    expect(moved.length).toBeGreaterThan(0);
    await clock.advance(1_000);
    await settle();
    expect(a.router.tenantIds()).toEqual(TENANTS.filter((t) => a.sharding.isLocal(t)).sort());
    for (const t of moved) {
      const silences = JSON.parse((await a.api.handle('alertmanager', t, get('/api/v2/silences'))).body) as { comment: string }[];
      expect(silences.map((s) => s.comment)).toEqual([t]);
      expect(b.router.tenantIds()).toContain(t);
    }
    for (const n of nodes) await n.stop();
  });

  it('answers 503 naming the owner when it cannot be reached', async () => {
    const { nodes } = await cluster(['am-a', 'am-b']);
    for (const n of nodes) await n.start();
    const t = TENANTS.find((x) => !nodes[0].sharding.isLocal(x))!;
    const lonely = new AlertRouterHttpApi({ instanceId: 'am-a', forwardTimeoutMs: 1_000 }, nodes[0].router, nodes[0].sharding, nopLogger, (async () => {
      throw new Error('connection refused');
    }) as typeof fetch);
    const res = await lonely.handle('alertmanager', t, get('/api/v2/alerts'));
    expect(res.status).toBe(503);
    expect(res.body).toContain(`the alert-router owning tenant ${t} at am-b:8080 cannot be reached`);
    for (const n of nodes) await n.stop();
  });
});
