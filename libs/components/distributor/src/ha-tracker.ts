import { Counter, Gauge, type Registry } from 'prom-client';
import { Clock, DeduplicatedError, ValidationError, errorMessage } from '@panoptes/common';
import type { KvStore } from '@panoptes/kv';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';

export interface HaTrackerConfig {
  /** Label naming the HA cluster (the pair of Prometheus servers scraping the same targets). */
  clusterLabel: string;
  /** Label naming the replica within the cluster; dropped from accepted series. */
  replicaLabel: string;
  /** How long the elected replica's "last seen" may go without a KV write, in milliseconds. */
  updateTimeoutMs: number;
  /** Random extra added to updateTimeoutMs per check, so distributors do not write in lockstep, in milliseconds. */
  updateTimeoutJitterMaxMs: number;
  /** Without samples from the elected replica for this long, another replica is elected, in milliseconds. */
  failoverTimeoutMs: number;
  /** KV key prefix of the election records. */
  kvPrefix: string;
}

export function defaultHaTrackerConfig(): HaTrackerConfig {
  return {
    clusterLabel: 'cluster',
    replicaLabel: '__replica__',
    updateTimeoutMs: 15_000,
    updateTimeoutJitterMaxMs: 5_000,
    failoverTimeoutMs: 30_000,
    kvPrefix: 'ha-tracker/',
  };
}

/** Problems with a config, for the config loader to report with all others. */
export function validateHaTrackerConfig(c: HaTrackerConfig): string[] {
  const problems: string[] = [];
  if (c.failoverTimeoutMs <= c.updateTimeoutMs + c.updateTimeoutJitterMaxMs) {
    problems.push(
      `HA tracker failover timeout (${c.failoverTimeoutMs} ms) must be longer than the update timeout plus its jitter (${c.updateTimeoutMs + c.updateTimeoutJitterMaxMs} ms), or replicas would flap`,
    );
  }
  if (c.clusterLabel === c.replicaLabel) problems.push('HA tracker cluster and replica labels must differ');
  return problems;
}

/** The election record of one (tenant, cluster), as stored in the KV (JSON). */
export interface ReplicaDesc {
  replica: string;
  /** Last time a sample from the elected replica was recorded in the KV, ms since the epoch. */
  receivedAtMs: number;
  electedAtMs: number;
  electedChanges: number;
}

export interface HaTrackerRow extends ReplicaDesc {
  tenant: string;
  cluster: string;
  /** When another replica may take over if the elected one stays silent. */
  failoverAtMs: number;
}

function decode(value: Buffer | undefined): ReplicaDesc | undefined {
  if (!value) return undefined;
  const d = JSON.parse(value.toString('utf8')) as ReplicaDesc;
  return typeof d.replica === 'string' && typeof d.receivedAtMs === 'number' ? d : undefined;
}

function encode(d: ReplicaDesc): Buffer {
  return Buffer.from(JSON.stringify(d));
}

/**
 * Deduplicates HA pairs of Prometheus servers (Cortex/Mimir's HA tracker). For each tenant and
 * cluster one replica is elected, the first one seen; samples from any other replica are dropped
 * with a 202 (so Prometheus does not retry them) until the elected replica has been silent for the
 * failover timeout, when the next replica that writes takes over.
 *
 * The elections live in the KV, shared by every distributor (Redis in microservices mode); each
 * distributor keeps a cache fed by a KV watch and writes only to refresh its elected replica's
 * "last seen" every update timeout (plus jitter) or to change the election.
 */
export class HaTracker extends Service {
  private readonly cache = new Map<string, ReplicaDesc>();
  private readonly electedChanges: Counter<'tenant'>;
  private readonly electedReplicas: Gauge;

  constructor(
    private readonly config: HaTrackerConfig,
    private readonly kv: KvStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
    private readonly random: () => number = Math.random,
  ) {
    super('ha-tracker');
    this.electedChanges = new Counter({
      name: 'panoptes_distributor_ha_tracker_elected_replica_changes_total',
      help: 'Times the elected replica of an HA cluster changed.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.electedReplicas = new Gauge({
      name: 'panoptes_distributor_ha_tracker_elected_replicas',
      help: 'HA clusters with an elected replica, over all tenants.',
      registers: [registry],
      collect: () => this.electedReplicas.set(this.cache.size),
    });
  }

  protected override async starting(signal: AbortSignal): Promise<void> {
    await this.kv.watchPrefix(this.config.kvPrefix, signal, (key, value) => {
      const id = key.slice(this.config.kvPrefix.length);
      try {
        const d = decode(value);
        if (d) this.cache.set(id, d);
        else this.cache.delete(id);
      } catch (err) {
        this.logger.warn('ignoring undecodable HA tracker record', { key, err: errorMessage(err) });
      }
    });
  }

  /**
   * Accepts the replica (resolves) or rejects it: `DeduplicatedError` (202) when another replica is
   * elected, `ValidationError` (400) when the tenant already has `maxClusters` clusters.
   */
  async checkReplica(tenant: string, cluster: string, replica: string, maxClusters: number): Promise<void> {
    const id = `${tenant}/${cluster}`;
    const now = this.clock.now();
    const cached = this.cache.get(id);
    if (cached && cached.replica === replica) {
      const refreshAfter = this.config.updateTimeoutMs + this.random() * this.config.updateTimeoutJitterMaxMs;
      if (now - cached.receivedAtMs < refreshAfter) return;
    } else if (cached && now - cached.receivedAtMs < this.config.failoverTimeoutMs) {
      throw this.notElected(tenant, cluster, replica, cached.replica);
    } else if (!cached && maxClusters > 0 && this.clustersOf(tenant) >= maxClusters) {
      throw new ValidationError(
        'too_many_ha_clusters',
        `too many HA clusters for tenant "${tenant}": the limit of ${maxClusters} is reached; raise -distributor.ha-tracker.max-clusters or drop the "${this.config.clusterLabel}" label`,
        { tenant },
      );
    }

    let result: ReplicaDesc | undefined;
    await this.kv.cas(this.config.kvPrefix + id, (current) => {
      const d = decode(current);
      if (d && d.replica === replica) {
        result = { ...d, receivedAtMs: now };
      } else if (d && now - d.receivedAtMs < this.config.failoverTimeoutMs) {
        result = d; // another distributor elected someone else meanwhile
        return null;
      } else {
        result = { replica, receivedAtMs: now, electedAtMs: now, electedChanges: (d?.electedChanges ?? 0) + (d ? 1 : 0) };
      }
      return { value: encode(result) };
    });
    const final = result!;
    const previous = this.cache.get(id);
    this.cache.set(id, final);
    if (final.replica !== replica) throw this.notElected(tenant, cluster, replica, final.replica);
    if (previous && previous.replica !== final.replica) {
      this.electedChanges.inc({ tenant });
      this.logger.info('HA replica failover', { tenant, cluster, from: previous.replica, to: final.replica });
    }
  }

  /** Every election this distributor knows, for the /distributor/ha_tracker page. */
  rows(): HaTrackerRow[] {
    return [...this.cache]
      .map(([id, d]) => {
        const slash = id.indexOf('/');
        return { tenant: id.slice(0, slash), cluster: id.slice(slash + 1), ...d, failoverAtMs: d.receivedAtMs + this.config.failoverTimeoutMs };
      })
      .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.cluster.localeCompare(b.cluster));
  }

  private clustersOf(tenant: string): number {
    let n = 0;
    for (const id of this.cache.keys()) if (id.startsWith(`${tenant}/`)) n++;
    return n;
  }

  private notElected(tenant: string, cluster: string, replica: string, elected: string): DeduplicatedError {
    return new DeduplicatedError(
      'replicas_did_not_match',
      `replicas did not match, rejecting sample: replica="${replica}", elected="${elected}" (tenant "${tenant}", cluster "${cluster}")`,
      { tenant },
    );
  }
}

/** The /distributor/ha_tracker page. */
export function renderHaTrackerHtml(rows: HaTrackerRow[], nowMs: number): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const age = (ms: number) => `${Math.round((nowMs - ms) / 1000)}s ago`;
  const body = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.tenant)}</td><td>${esc(r.cluster)}</td><td>${esc(r.replica)}</td><td>${age(r.electedAtMs)}</td><td>${age(r.receivedAtMs)}</td><td>${Math.max(0, Math.round((r.failoverAtMs - nowMs) / 1000))}s</td><td>${r.electedChanges}</td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>HA tracker</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
</head><body><h1>HA tracker</h1><p>${rows.length} elected replicas</p>
<table><thead><tr><th>Tenant</th><th>Cluster</th><th>Elected replica</th><th>Elected</th><th>Last sample recorded</th><th>Failover possible in</th><th>Election changes</th></tr></thead>
<tbody>
${body}
</tbody></table></body></html>
`;
}
