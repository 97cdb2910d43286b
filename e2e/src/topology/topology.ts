import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { uniqueName } from '@panoptes/testing';
import { PanoptesServer } from '../harness';
import { TopologyResources, type TopologyServices } from './resources';
import { type IngestMode, topologyConfig } from './topology-config';

export type { IngestMode } from './topology-config';

/** The processes of the topology, by name. Ingesters are `ingester-zone-<a|b|c>`. */
export const TOPOLOGY_NODES = [
  'distributor',
  'ingester-zone-a',
  'ingester-zone-b',
  'ingester-zone-c',
  'query-frontend',
  'querier-1',
  'querier-2',
  'compactor',
  'ruler',
  'alert-router',
] as const;
export type TopologyNode = (typeof TOPOLOGY_NODES)[number];
export const INGESTERS = ['ingester-zone-a', 'ingester-zone-b', 'ingester-zone-c'] as const satisfies readonly TopologyNode[];
export const QUERIERS = ['querier-1', 'querier-2'] as const satisfies readonly TopologyNode[];
export type IngesterNode = (typeof INGESTERS)[number];
/** An ingester added after the start (`addIngester`): `ingester-zone-<z>-<n>`, n ≥ 1 (Kafka mode: it owns partition n). */
export type ExtraIngesterNode = `ingester-zone-${'a' | 'b' | 'c'}-${number}`;

export interface TopologyOptions {
  ingestMode: IngestMode;
  services: TopologyServices;
  /** Milliseconds to wait for each process's `/ready`, and then for the cluster to take writes and queries. */
  readyTimeoutMs?: number;
  /** More flags for some processes, after the topology's own. */
  flags?: Partial<Record<TopologyNode, string[]>>;
}

/** How long the start took, in milliseconds from the first spawn. */
export interface StartupTimes {
  /** Until every process answered `/ready` 200. */
  allReadyMs: number;
  /** Until the distributor took a write path (ACTIVE partition / three ACTIVE ingesters) and the frontend answered a query. */
  usableMs: number;
  /** Spawn to `/ready` of each process. */
  readyMs: Record<TopologyNode, number>;
}

/**
 * The microservices topology as separate OS processes on 127.0.0.1 (issue 7): one distributor,
 * three ingesters in zones a/b/c, one query-frontend with two queriers pulling from it, one
 * compactor, one ruler writing through the distributor and alerting to the alert-router. Every
 * process is `bin/panoptes -target=<component>` reading one config file (the Helm chart's
 * microservices config, see topology-config.ts) plus its identity as flags, like the chart's pods.
 * Rings live in the real Redis, blocks in the real MinIO, the ingest log in the real Kafka (Kafka
 * mode) — each under names unique to the run, removed by `dispose()`.
 *
 *   start() ──▶ running ──kill(name)/restart(name)…──▶ running ──dispose()──▶ gone
 *
 * Each ingester is named `<runId>-ingester-zone-<z>-0`: the trailing 0 is its partition in Kafka
 * mode (deploy/README.md "Scale ingesters"), the run ID keeps its consumer group apart from other
 * runs on the same Kafka.
 */
export class Topology {
  readonly ingestMode: IngestMode;
  readonly startup: StartupTimes;
  /** Ingesters added by `addIngester`, running or stopped; disposed with the rest. */
  private readonly extraIngesters = new Map<ExtraIngesterNode, PanoptesServer>();

  private constructor(
    readonly runId: string,
    readonly dir: string,
    readonly resources: TopologyResources,
    private readonly servers: Map<TopologyNode, PanoptesServer>,
    private readonly options: TopologyOptions,
    startup: StartupTimes,
  ) {
    this.ingestMode = options.ingestMode;
    this.startup = startup;
  }

  /** Starts every process at once and waits until the cluster takes writes and answers queries. */
  static async start(options: TopologyOptions): Promise<Topology> {
    const runId = uniqueName(`e2e-${options.ingestMode}`);
    const dir = mkdtempSync(join(tmpdir(), `panoptes-topology-${runId}-`));
    const resources = await TopologyResources.create(runId, options.services);
    const servers = new Map<TopologyNode, PanoptesServer>();
    const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
    const ids = instanceIds(runId);
    const configFile = join(dir, 'panoptes.yaml');
    let topology: Topology | undefined;
    try {
      for (const name of TOPOLOGY_NODES) {
        servers.set(
          name,
          await PanoptesServer.create({
            name: `panoptes-topology-${name}`,
            label: name,
            readyTimeoutMs,
            flags: (self) => [...nodeFlags(name, self, ids, configFile, self.dir), ...(options.flags?.[name] ?? [])],
          }),
        );
      }
      const at = (n: TopologyNode) => servers.get(n)!;
      writeFileSync(
        configFile,
        stringify(
          topologyConfig({
            ingestMode: options.ingestMode,
            services: options.services,
            keyPrefix: resources.keyPrefix,
            bucket: resources.bucket,
            topic: resources.topic,
            frontendGrpcAddress: at('query-frontend').grpcAddress,
            distributorUrl: at('distributor').url,
            alertRouterUrl: `${at('alert-router').url}/alertmanager`,
          }),
          // Plain mappings, as Helm's toYaml writes them (no anchors for the shared Redis settings).
          { aliasDuplicateObjects: false },
        ),
      );

      const t0 = Date.now();
      const readyMs = {} as Record<TopologyNode, number>;
      const starts = TOPOLOGY_NODES.map(async (name) => {
        readyMs[name] = await at(name).start();
      });
      const results = await Promise.allSettled(starts);
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${TOPOLOGY_NODES[i]}: ${String(r.reason)}`] : []));
      if (failed.length > 0) throw new Error(`the topology did not start:\n${failed.join('\n')}`);
      const allReadyMs = Date.now() - t0;
      topology = new Topology(runId, dir, resources, servers, options, { allReadyMs, usableMs: 0, readyMs });
      await topology.waitUsable(t0 + readyTimeoutMs);
      topology.startup.usableMs = Date.now() - t0;
      return topology;
    } catch (err) {
      const t = topology ?? new Topology(runId, dir, resources, servers, options, { allReadyMs: 0, usableMs: 0, readyMs: {} as Record<TopologyNode, number> });
      const logs = t.dumpLogs();
      await t.dispose();
      throw new Error(`${String(err)}\nprocess logs: ${logs}\n${t.outputTails(15)}`);
    }
  }

  server(name: TopologyNode): PanoptesServer {
    return this.servers.get(name)!;
  }

  get distributorUrl(): string {
    return this.server('distributor').url;
  }

  /** Base URL of the query-frontend; the Prometheus API is under `/prometheus`. */
  get frontendUrl(): string {
    return this.server('query-frontend').url;
  }

  get rulerUrl(): string {
    return this.server('ruler').url;
  }

  get alertRouterUrl(): string {
    return this.server('alert-router').url;
  }

  /** The ring instance ID of an ingester (also its Kafka consumer group). */
  ingesterId(name: IngesterNode): string {
    return instanceIds(this.runId)[name];
  }

  /**
   * Scale up (deploy/README.md "Scale ingesters"): starts one more ingester, `ingester-zone-<z>-<n>`
   * in zone z (Kafka mode: owning partition n), with the flags of `ingester-zone-<z>` from the
   * options; resolves with its server once `/ready` answers.
   */
  async addIngester(name: ExtraIngesterNode): Promise<PanoptesServer> {
    if (this.extraIngesters.has(name)) throw new Error(`${name} was already added`);
    const zone = name.slice('ingester-'.length, 'ingester-zone-x'.length);
    const id = `${this.runId}-${name}`;
    const base = `ingester-zone-${name.charAt('ingester-zone-'.length)}` as IngesterNode;
    const configFile = join(this.dir, 'panoptes.yaml');
    const server = await PanoptesServer.create({
      name: `panoptes-topology-${name}`,
      label: name,
      readyTimeoutMs: this.options.readyTimeoutMs ?? 90_000,
      flags: (self) => [
        '-target=ingester',
        `-config.file=${configFile}`,
        `-ingester.ring.instance-id=${id}`,
        `-ingester.ring.instance-zone=${zone}`,
        `-ingester.ring.instance-addr=${self.grpcAddress}`,
        ...(this.options.flags?.[base] ?? []),
      ],
    });
    this.extraIngesters.set(name, server);
    await server.start();
    return server;
  }

  /** An ingester added by `addIngester`. */
  extraIngester(name: ExtraIngesterNode): PanoptesServer {
    const server = this.extraIngesters.get(name);
    if (!server) throw new Error(`${name} was never added`);
    return server;
  }

  /** `kill -9` of one process; resolves once it is gone. */
  async kill(name: TopologyNode): Promise<void> {
    await this.server(name).kill();
  }

  /** Starts a killed or stopped process again on its ports and data dir; resolves with the ms to `/ready`. */
  async restart(name: TopologyNode): Promise<number> {
    return this.server(name).start();
  }

  /** The last `lines` lines of every process, under a header per process. */
  outputTails(lines = 20): string {
    return [...TOPOLOGY_NODES.filter((n) => this.servers.has(n)).map((n) => [n, this.server(n)] as const), ...this.extraIngesters]
      .map(([n, server]) => `--- ${n} (last ${lines} lines) ---\n${server.output().trimEnd().split('\n').slice(-lines).join('\n')}`)
      .join('\n');
  }

  /** Writes every process's whole output (all its spawns) to `<tmpdir>/panoptes-topology-<runId>-logs/`; returns that dir. */
  dumpLogs(): string {
    const logs = join(tmpdir(), `panoptes-topology-${this.runId}-logs`);
    mkdirSync(logs, { recursive: true });
    for (const [name, server] of [...this.servers, ...this.extraIngesters]) writeFileSync(join(logs, `${name}.log`), server.output());
    return logs;
  }

  /**
   * Stops every process (SIGTERM, in parallel), removes their data dirs and the run's Redis keys,
   * bucket, topic and consumer groups. Returns the processes that did not exit 0 and what could
   * not be cleaned up; never throws.
   */
  async dispose(): Promise<string[]> {
    const problems: string[] = [];
    await Promise.all(
      [...this.servers, ...this.extraIngesters].map(async ([name, server]) => {
        if (!server.running) return server.dispose();
        const code = await server.stop().catch(() => -1);
        if (code !== 0) problems.push(`${name} exited with ${code} on SIGTERM`);
        await server.dispose();
      }),
    );
    const groups = this.ingestMode === 'kafka' ? [...INGESTERS.map((n) => this.ingesterId(n)), ...[...this.extraIngesters.keys()].map((n) => `${this.runId}-${n}`)] : [];
    problems.push(...(await this.resources.cleanup(groups)));
    rmSync(this.dir, { recursive: true, force: true });
    return problems;
  }

  /** Waits until the distributor's rings allow writes and a query through the frontend answers. */
  private async waitUsable(deadline: number): Promise<void> {
    let last = 'not checked yet';
    for (;;) {
      try {
        last = await this.usableProblem();
        if (last === '') return;
      } catch (err) {
        last = String(err);
      }
      if (Date.now() > deadline) throw new Error(`the topology was ready but not usable in time: ${last}`);
      await sleep(250);
    }
  }

  /** '' when usable, else what is missing. */
  private async usableProblem(): Promise<string> {
    const distributor = this.distributorUrl;
    if (this.ingestMode === 'kafka') {
      const ring = (await getJson(`${distributor}/ingester/partition-ring?format=json`)) as { partitions: { id: number; state: string; owners: unknown[] }[] };
      const active = ring.partitions.filter((p) => p.state === 'ACTIVE');
      if (active.length === 0) return `no ACTIVE partition yet: ${JSON.stringify(ring.partitions.map((p) => [p.id, p.state, p.owners.length]))}`;
    } else {
      const ring = (await getJson(`${distributor}/ingester/ring?format=json`)) as { shards: { id: string; state: string; healthy: boolean }[] };
      const active = ring.shards.filter((s) => s.state === 'ACTIVE' && s.healthy);
      if (active.length < INGESTERS.length) return `${active.length} of ${INGESTERS.length} ingesters ACTIVE in the distributor's ring`;
    }
    const res = await fetch(`${this.frontendUrl}/prometheus/api/v1/query?query=vector(1)`, { headers: { 'X-Scope-OrgID': 'e2e-probe' }, signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return `a query through the frontend answered ${res.status}: ${await res.text()}`;
    return '';
  }
}

/** Ring instance IDs of the run: unique per run (rings and consumer groups are shared services). */
function instanceIds(runId: string): Record<IngesterNode | 'querier-1' | 'querier-2' | 'compactor' | 'ruler' | 'alert-router', string> {
  return {
    'ingester-zone-a': `${runId}-ingester-zone-a-0`,
    'ingester-zone-b': `${runId}-ingester-zone-b-0`,
    'ingester-zone-c': `${runId}-ingester-zone-c-0`,
    'querier-1': `${runId}-querier-1`,
    'querier-2': `${runId}-querier-2`,
    compactor: `${runId}-compactor-0`,
    ruler: `${runId}-ruler-0`,
    'alert-router': `${runId}-alert-router-0`,
  };
}

/** The chart's pod args for one process (target and identity), with loopback addresses and local dirs. */
function nodeFlags(name: TopologyNode, self: PanoptesServer, ids: ReturnType<typeof instanceIds>, configFile: string, dir: string): string[] {
  const common = [`-config.file=${configFile}`, `-querier.sync-dir=${join(dir, 'tsdb-sync')}`, `-compactor.data-dir=${join(dir, 'compactor')}`];
  switch (name) {
    case 'distributor':
    case 'query-frontend':
      return [`-target=${name}`, ...common];
    case 'ingester-zone-a':
    case 'ingester-zone-b':
    case 'ingester-zone-c':
      return [
        '-target=ingester',
        ...common,
        `-ingester.ring.instance-id=${ids[name]}`,
        `-ingester.ring.instance-zone=${name.slice('ingester-'.length)}`,
        `-ingester.ring.instance-addr=${self.grpcAddress}`,
      ];
    case 'querier-1':
    case 'querier-2':
      return ['-target=querier', ...common, `-querier.id=${ids[name]}`];
    case 'compactor':
      return ['-target=compactor', ...common, `-compactor.ring.instance-id=${ids[name]}`, `-compactor.ring.instance-addr=${self.grpcAddress}`];
    case 'ruler':
      return ['-target=ruler', ...common, `-ruler.ring.instance-id=${ids[name]}`, `-ruler.ring.instance-addr=127.0.0.1:${self.httpPort}`];
    case 'alert-router':
      return ['-target=alert-router', ...common, `-alert-router.ring.instance-id=${ids[name]}`, `-alert-router.ring.instance-addr=127.0.0.1:${self.httpPort}`];
  }
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
