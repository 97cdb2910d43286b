// Test-only: an in-memory IngesterApi served by a real GrpcServer on 127.0.0.1. Not exported.
import type { Labels } from '@panoptes/block-formats';
import {
  type IngesterApi,
  type LabelNamesRequest,
  type LabelValuesRequest,
  type MetricMetadata,
  type MetricsMetadataRequest,
  type PushResult,
  type QueryRequest,
  registerIngesterService,
  type SeriesChunks,
  type SeriesRequest,
  type TenantUserStats,
  type UserStats,
} from '@panoptes/ingester-client';
import { nopLogger } from '@panoptes/log';
import { GrpcServer } from '@panoptes/server';
import type { Matcher } from '@panoptes/tsdb';

const valueOf = (labels: Labels, name: string): string => labels.find(([n]) => n === name)?.[1] ?? '';
const matchesAll = (labels: Labels, matchers: readonly Matcher[]): boolean => matchers.every((m) => m.matches(valueOf(labels, m.name)));

/** One ingester's series per tenant; records the requests it gets; fails every call while `failure` is set. */
export class FakeIngester implements IngesterApi {
  readonly seriesByTenant = new Map<string, SeriesChunks[]>();
  /** Metadata entries per tenant, grouped by family in name order (as an ingester holds them). */
  readonly metadataByTenant = new Map<string, MetricMetadata[]>();
  readonly requests: { method: string; tenant: string; req: unknown }[] = [];
  failure: unknown;
  private server: GrpcServer | undefined;
  address = '';

  /** Sets the tenant's series (kept in the order given). */
  holds(tenant: string, series: SeriesChunks[]): this {
    this.seriesByTenant.set(tenant, series);
    return this;
  }

  /** Sets the tenant's metadata entries: give them grouped by family, families in name order. */
  holdsMetadata(tenant: string, entries: MetricMetadata[]): this {
    this.metadataByTenant.set(tenant, entries);
    return this;
  }

  async start(): Promise<string> {
    this.server = new GrpcServer(
      { listenAddress: '127.0.0.1', listenPort: 0, maxRecvMessageBytes: 16 << 20, maxSendMessageBytes: 16 << 20, gracefulShutdownTimeoutMs: 100 },
      nopLogger,
    );
    registerIngesterService(this.server, this, nopLogger);
    this.server.setReadiness(() => true);
    await this.server.start();
    this.address = `127.0.0.1:${this.server.port}`;
    return this.address;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  async push(): Promise<PushResult> {
    return { samplesAppended: 0, samplesRejected: 0 };
  }

  async *querySeries(tenant: string, req: QueryRequest): AsyncGenerator<SeriesChunks> {
    this.record('query_stream', tenant, req);
    for (const s of this.seriesByTenant.get(tenant) ?? []) {
      if (!matchesAll(s.labels, req.matchers)) continue;
      const chunks = s.chunks.filter((c) => c.maxT >= req.minT && c.minT <= req.maxT);
      if (chunks.length > 0) yield { labels: s.labels, chunks };
    }
  }

  async labelNames(tenant: string, req: LabelNamesRequest): Promise<string[]> {
    this.record('label_names', tenant, req);
    const names = new Set<string>();
    for (const s of this.matching(tenant, req.matchers)) for (const [n] of s.labels) names.add(n);
    return [...names].sort();
  }

  async labelValues(tenant: string, req: LabelValuesRequest): Promise<string[]> {
    this.record('label_values', tenant, req);
    const values = new Set<string>();
    for (const s of this.matching(tenant, req.matchers)) if (valueOf(s.labels, req.name) !== '') values.add(valueOf(s.labels, req.name));
    return [...values].sort();
  }

  async series(tenant: string, req: SeriesRequest): Promise<Labels[]> {
    this.record('series', tenant, req);
    return (this.seriesByTenant.get(tenant) ?? []).filter((s) => req.matcherSets.some((set) => matchesAll(s.labels, set))).map((s) => s.labels);
  }

  /** As the ingester: `metric` alone when set, the first `limit` families, `limitPerMetric` entries each. */
  async metricsMetadata(tenant: string, req: MetricsMetadataRequest): Promise<MetricMetadata[]> {
    this.record('metrics_metadata', tenant, req);
    const out: MetricMetadata[] = [];
    const perFamily = new Map<string, number>();
    for (const m of this.metadataByTenant.get(tenant) ?? []) {
      if (req.metric !== '' && m.metricFamilyName !== req.metric) continue;
      const n = perFamily.get(m.metricFamilyName);
      if (n === undefined && req.limit >= 0 && perFamily.size >= req.limit) break;
      if (req.limitPerMetric > 0 && (n ?? 0) >= req.limitPerMetric) continue;
      perFamily.set(m.metricFamilyName, (n ?? 0) + 1);
      out.push(m);
    }
    return out;
  }

  async userStats(): Promise<UserStats> {
    return { numSeries: 0, ingestionRate: 0, apiIngestionRate: 0, ruleIngestionRate: 0 };
  }

  async allUserStats(): Promise<TenantUserStats[]> {
    return [];
  }

  private record(method: string, tenant: string, req: unknown): void {
    this.requests.push({ method, tenant, req });
    if (this.failure !== undefined) throw this.failure;
  }

  private *matching(tenant: string, matchers: readonly Matcher[]): Generator<SeriesChunks> {
    for (const s of this.seriesByTenant.get(tenant) ?? []) if (matchesAll(s.labels, matchers)) yield s;
  }
}
