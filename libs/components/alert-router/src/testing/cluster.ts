import { FakeClock } from '@panoptes/common';
import { type CasFn, type KvStore, MemoryKv, defaultKvCasConfig } from '@panoptes/kv';
import { nopLogger } from '@panoptes/log';
import { Lifecycler, type Operation, RandomTokenGenerator, Ring, type RingSnapshot, defaultLifecyclerConfig, defaultRingConfig, seededRandom } from '@panoptes/ring';
import { Registry } from 'prom-client';
import { AlertRouter, type AlertRouterConfig, defaultAlertRouterConfig } from '../alert-router';
import type { AmApiRequest, AmApiResponse } from '../api/http';
import { AlertRouterHttpApi, FORWARDED_BY_HEADER } from '../api/router-http';
import { eachIntegration, type IntegrationFactory } from '../notify/integrations';
import { ALERT_ROUTER_STATE_PATH, AlertRouterPeers } from '../replication/peers';
import { AlertRouterPlacement, AlertRouterSharding } from '../sharding';
import { type AlertRouterStateStore, InMemoryAlertRouterStateStore, type StateKind, type TenantConfigRecord } from '../state-store';

/**
 * Test-only: alert-routers sharing an in-memory ring KV, a state store (the bucket) and a
 * FakeClock; HTTP between them is a direct call into the peer's AlertRouterHttpApi. A node can
 * crash: it stops answering and calling, its heartbeats and state writes fail, and its
 * dispatchers stop, so nothing it did after its last successful write or push survives.
 */

/** One notification an integration of any node sent. */
export interface ClusterSend {
  node: string;
  tenant: string;
  receiver: string;
  groupKey: string;
  /** `alertname=status` of each alert, in order. */
  alerts: string[];
}

export interface ClusterOptions {
  replicationFactor: number;
  /** The integrations of every node; default: record into `sent`. */
  integrationFactory?: (node: string) => IntegrationFactory;
  router?: Partial<AlertRouterConfig>;
  checkPeriodMs?: number;
  heartbeatPeriodMs?: number;
  heartbeatTimeoutMs?: number;
}

export interface ClusterNode {
  id: string;
  router: AlertRouter;
  placement: AlertRouterPlacement;
  sharding: AlertRouterSharding;
  api: AlertRouterHttpApi;
  crashed: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  crash(): Promise<void>;
  /** Keeps this node's view of the ring as it is now (a KV watch that lags), until `thawRing`. */
  freezeRing(): void;
  thawRing(): void;
}

function refused(addr: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ECONNREFUSED ${addr}`), { code: 'ECONNREFUSED' }) });
}

/** A KV that fails every write once its owner crashed (reads keep working: nobody reads through it then). */
class CrashableKv implements KvStore {
  constructor(
    private readonly inner: KvStore,
    private readonly dead: () => boolean,
  ) {}
  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(key);
  }
  async cas(key: string, fn: CasFn): Promise<void> {
    if (this.dead()) throw new Error('crashed');
    return this.inner.cas(key, fn);
  }
  async delete(key: string): Promise<void> {
    if (this.dead()) throw new Error('crashed');
    return this.inner.delete(key);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
  watchKey(key: string, signal: AbortSignal, onChange: (value: Buffer | undefined) => void): Promise<void> {
    return this.inner.watchKey(key, signal, onChange);
  }
  watchPrefix(prefix: string, signal: AbortSignal, onChange: (key: string, value: Buffer | undefined) => void): Promise<void> {
    return this.inner.watchPrefix(prefix, signal, onChange);
  }
  async close(): Promise<void> {
    // The shared store is closed by the cluster.
  }
}

/** The shared state store as one node sees it: writes fail once the node crashed. */
class CrashableStateStore implements AlertRouterStateStore {
  constructor(
    private readonly inner: AlertRouterStateStore,
    private readonly dead: () => boolean,
    private readonly onWrite: (tenant: string, kind: StateKind) => void,
  ) {}
  loadConfig(tenant: string): Promise<TenantConfigRecord | undefined> {
    return this.inner.loadConfig(tenant);
  }
  async saveConfig(tenant: string, record: TenantConfigRecord): Promise<void> {
    if (this.dead()) throw new Error('crashed');
    return this.inner.saveConfig(tenant, record);
  }
  async deleteConfig(tenant: string): Promise<void> {
    if (this.dead()) throw new Error('crashed');
    return this.inner.deleteConfig(tenant);
  }
  loadState(tenant: string, kind: StateKind): Promise<Buffer | undefined> {
    return this.inner.loadState(tenant, kind);
  }
  async saveState(tenant: string, kind: StateKind, bytes: Buffer): Promise<void> {
    if (this.dead()) throw new Error('crashed');
    this.onWrite(tenant, kind);
    return this.inner.saveState(tenant, kind, bytes);
  }
}

export class FakeAlertRouterCluster {
  readonly clock = new FakeClock(Date.UTC(2024, 0, 1, 12, 0, 0));
  readonly kv = new MemoryKv(defaultKvCasConfig(), nopLogger, new Registry());
  readonly stateStore = new InMemoryAlertRouterStateStore();
  readonly sent: ClusterSend[] = [];
  /** Every state write (silences, nflog) to the shared store, with the node that wrote it. */
  readonly writes: { node: string; tenant: string; kind: StateKind }[] = [];
  /** Every request one node sent another: forwarded API calls and state pushes/pulls. */
  readonly calls: { from: string; to: string; method: string; url: string }[] = [];
  readonly nodes = new Map<string, ClusterNode>();
  private readonly apis = new Map<string, AlertRouterHttpApi>();

  constructor(private readonly options: ClusterOptions) {}

  node(id: string): ClusterNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Builds a node (not started). */
  add(id: string): ClusterNode {
    const o = this.options;
    const registry = new Registry();
    const self = { crashed: false };
    const dead = (): boolean => self.crashed;
    const ring = new Ring(
      { ...defaultRingConfig(), key: 'ring/alert-router', name: 'alert-router', replicationFactor: o.replicationFactor, heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? 5_000 },
      this.kv,
      this.clock,
      nopLogger,
      registry,
    );
    const lifecycler = new Lifecycler(
      { ...defaultLifecyclerConfig(), ringKey: 'ring/alert-router', ringName: 'alert-router', id, addr: `${id}:8080`, numTokens: 32, heartbeatPeriodMs: o.heartbeatPeriodMs ?? 1_000 },
      new CrashableKv(this.kv, dead),
      this.clock,
      nopLogger,
      registry,
      new RandomTokenGenerator(seededRandom(this.nodes.size + 1)),
    );
    const fetchFn = this.network(id, dead);
    let frozen: RingSnapshot | undefined;
    const view = {
      get: (key: number, op: Operation, rf: number) => (frozen ? frozen.get(key, op, rf, this.clock.now()) : ring.get(key, op, rf)),
    };
    const placement = new AlertRouterPlacement({ instanceId: id, replicationFactor: o.replicationFactor }, view);
    const peers = new AlertRouterPeers({ instanceId: id, timeoutMs: 5_000 }, placement, nopLogger, registry, fetchFn);
    const router = new AlertRouter(
      nopLogger,
      registry,
      { ...defaultAlertRouterConfig(), ...o.router },
      {
        clock: this.clock,
        stateStore: new CrashableStateStore(this.stateStore, dead, (tenant, kind) => this.writes.push({ node: id, tenant, kind })),
        integrationFactory: (o.integrationFactory ?? ((node) => this.recordingFactory(node)))(id),
        replication: peers,
      },
    );
    const sharding = new AlertRouterSharding({ instanceId: id, checkPeriodMs: o.checkPeriodMs ?? 1_000 }, placement, router, this.clock, nopLogger);
    const api = new AlertRouterHttpApi({ instanceId: id, forwardTimeoutMs: 5_000 }, router, placement, nopLogger, fetchFn);
    this.apis.set(id, api);
    const stopQuietly = async (s: { stop(): Promise<void> }): Promise<void> => {
      await s.stop().catch(() => undefined);
    };
    const node: ClusterNode = {
      id,
      router,
      placement,
      sharding,
      api,
      get crashed() {
        return self.crashed;
      },
      start: async () => {
        await ring.start();
        await router.start();
        await lifecycler.start();
        await sharding.start();
        await settle();
      },
      stop: async () => {
        await stopQuietly(sharding);
        await stopQuietly(lifecycler);
        await stopQuietly(router);
        await stopQuietly(ring);
      },
      crash: async () => {
        self.crashed = true;
        await node.stop();
      },
      freezeRing: () => {
        frozen = ring.snapshot();
      },
      thawRing: () => {
        frozen = undefined;
      },
    };
    this.nodes.set(id, node);
    return node;
  }

  /** Integrations that record every notification with the node that sent it. */
  recordingFactory(node: string): IntegrationFactory {
    return (receiver) =>
      eachIntegration(receiver, () => ({
        notify: async (alerts, ctx) => {
          this.sent.push({ node, tenant: ctx.tenant, receiver: ctx.receiver, groupKey: ctx.groupKey, alerts: alerts.map((a) => `${a.labels.alertname}=${a.endsAt !== 0 && a.endsAt <= ctx.now ? 'resolved' : 'firing'}`) });
        },
      }));
  }

  /** HTTP between nodes: a call into the target's API; a crashed node neither answers nor calls. */
  private network(from: string, dead: () => boolean): typeof fetch {
    return (async (input: string | URL, init?: RequestInit) => {
      const url = new URL(String(input));
      const to = url.host.replace(/:8080$/, '');
      const target = this.nodes.get(to);
      if (dead() || !target || target.crashed || !this.apis.has(to)) throw refused(url.host);
      const h = init?.headers as Record<string, string>;
      const method = init?.method ?? 'GET';
      this.calls.push({ from, to, method, url: `${url.pathname}${url.search}` });
      const kind = url.pathname === ALERT_ROUTER_STATE_PATH ? 'internal' : url.pathname === '/api/v1/alerts' ? 'config' : 'alertmanager';
      const req: AmApiRequest = { method, path: kind === 'alertmanager' ? url.pathname.slice('/alertmanager'.length) : url.pathname, query: url.searchParams, body: init?.body as string | undefined };
      const out: AmApiResponse = await this.apis.get(to)!.handle(kind, h['X-Scope-OrgID'], req, h[FORWARDED_BY_HEADER] !== undefined);
      return new Response(out.status === 204 ? null : out.body, { status: out.status, headers: out.headers });
    }) as typeof fetch;
  }

  /** Moves the fake time in steps, letting timers, pushes and sends run between them. */
  async advance(ms: number, stepMs = 1_000): Promise<void> {
    for (let left = ms; left > 0; left -= stepMs) {
      await this.clock.advance(Math.min(stepMs, left));
      await settle();
    }
  }

  async stopAll(): Promise<void> {
    for (const n of this.nodes.values()) await n.stop();
    await this.kv.close();
  }
}

/** Lets pending promise chains and immediates run. */
export async function settle(turns = 100): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
