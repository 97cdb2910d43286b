// Test-only: an in-memory IngesterApi and a GrpcServer serving it on 127.0.0.1. Not exported.
import type { Label, Labels } from '@panoptes/block-formats';
import { nopLogger } from '@panoptes/log';
import { RemoteWriteDecoder } from '@panoptes/proto';
import { GrpcServer } from '@panoptes/server';
import type { Matcher } from '@panoptes/tsdb';
import { IngesterApi, IngesterServiceConfig, registerIngesterService } from '../server';
import type {
  LabelNamesRequest,
  LabelValuesRequest,
  MetricMetadata,
  MetricsMetadataRequest,
  PushResult,
  QueryRequest,
  SeriesChunks,
  SeriesRequest,
  TenantUserStats,
  UserStats,
} from '../types';

const valueOf = (labels: Labels, name: string): string => labels.find(([n]) => n === name)?.[1] ?? '';
const matchesAll = (labels: Labels, matchers: readonly Matcher[]): boolean => matchers.every((m) => m.matches(valueOf(labels, m.name)));

/** Series per tenant in memory; pushes decoded with the real remote-write decoder and recorded. */
export class FakeIngesterApi implements IngesterApi {
  readonly pushes: { tenant: string; body: Buffer }[] = [];
  readonly seriesByTenant = new Map<string, SeriesChunks[]>();
  readonly statsByTenant = new Map<string, UserStats>();
  /** Metadata entries per tenant, answered as they are (families in the order given). */
  readonly metadataByTenant = new Map<string, MetricMetadata[]>();
  /** Thrown by every method when set. */
  failure: unknown;
  /** Thrown by querySeries after it yielded this many series. */
  failAfterSeries: number | undefined;
  /** Push waits this long before answering. */
  pushDelayMs = 0;
  /** QueryStream iterations that ended (finished, failed or left early by a cancelled call). */
  queryIterationsClosed = 0;
  /** The last compiled request a method received. */
  lastRequest: unknown;
  private readonly decoder = new RemoteWriteDecoder();

  async push(tenant: string, body: Buffer): Promise<PushResult> {
    this.check();
    this.pushes.push({ tenant, body: Buffer.from(body) });
    if (this.pushDelayMs > 0) await new Promise((r) => setTimeout(r, this.pushDelayMs));
    const samples = this.decoder.decode(body, 1).stats().samples;
    return { samplesAppended: samples, samplesRejected: 0 };
  }

  async *querySeries(tenant: string, req: QueryRequest): AsyncGenerator<SeriesChunks> {
    this.check();
    this.lastRequest = req;
    let yielded = 0;
    try {
      for (const s of this.seriesByTenant.get(tenant) ?? []) {
        if (!matchesAll(s.labels, req.matchers)) continue;
        const chunks = s.chunks.filter((c) => c.maxT >= req.minT && c.minT <= req.maxT);
        if (chunks.length === 0) continue;
        if (this.failAfterSeries !== undefined && yielded === this.failAfterSeries) throw this.failure;
        yielded++;
        yield { labels: s.labels, chunks };
      }
    } finally {
      this.queryIterationsClosed++;
    }
  }

  async labelNames(tenant: string, req: LabelNamesRequest): Promise<string[]> {
    this.check();
    this.lastRequest = req;
    const names = new Set<string>();
    for (const s of this.matching(tenant, req.matchers)) for (const [n] of s.labels) names.add(n);
    return [...names].sort();
  }

  async labelValues(tenant: string, req: LabelValuesRequest): Promise<string[]> {
    this.check();
    this.lastRequest = req;
    const values = new Set<string>();
    for (const s of this.matching(tenant, req.matchers)) {
      const v = valueOf(s.labels, req.name);
      if (v !== '') values.add(v);
    }
    return [...values].sort();
  }

  async series(tenant: string, req: SeriesRequest): Promise<Labels[]> {
    this.check();
    this.lastRequest = req;
    return (this.seriesByTenant.get(tenant) ?? []).filter((s) => req.matcherSets.some((set) => matchesAll(s.labels, set))).map((s) => s.labels);
  }

  async userStats(tenant: string): Promise<UserStats> {
    this.check();
    return this.statsByTenant.get(tenant) ?? { numSeries: 0, ingestionRate: 0, apiIngestionRate: 0, ruleIngestionRate: 0 };
  }

  async allUserStats(): Promise<TenantUserStats[]> {
    this.check();
    return [...this.statsByTenant].map(([tenant, stats]) => ({ tenant, stats }));
  }

  async metricsMetadata(tenant: string, req: MetricsMetadataRequest): Promise<MetricMetadata[]> {
    this.check();
    this.lastRequest = req;
    return (this.metadataByTenant.get(tenant) ?? []).filter((m) => req.metric === '' || m.metricFamilyName === req.metric);
  }

  private *matching(tenant: string, matchers: readonly Matcher[]): Generator<SeriesChunks> {
    for (const s of this.seriesByTenant.get(tenant) ?? []) if (matchesAll(s.labels, matchers)) yield s;
  }

  private check(): void {
    if (this.failure !== undefined && this.failAfterSeries === undefined) throw this.failure;
  }
}

/** A started GrpcServer on 127.0.0.1 (ephemeral port) serving `api`; stop it with `server.stop()`. */
export async function startIngesterServer(
  api: IngesterApi,
  config?: IngesterServiceConfig,
): Promise<{ server: GrpcServer; address: string }> {
  const server = new GrpcServer(
    {
      listenAddress: '127.0.0.1',
      listenPort: 0,
      maxRecvMessageBytes: 16 * 1024 * 1024,
      maxSendMessageBytes: 16 * 1024 * 1024,
      gracefulShutdownTimeoutMs: 200,
    },
    nopLogger,
  );
  registerIngesterService(server, api, nopLogger, config);
  server.setReadiness(() => true);
  await server.start();
  return { server, address: `127.0.0.1:${server.port}` };
}

/** `n` series `{__name__="m", i="<k>"}` (k zero-padded, so sorted), each with `chunksPer` chunks of `chunkBytes` distinct bytes. */
export function makeSeries(n: number, chunksPer = 2, chunkBytes = 40): SeriesChunks[] {
  const out: SeriesChunks[] = [];
  for (let k = 0; k < n; k++) {
    const labels: Label[] = [
      ['__name__', 'm'],
      ['i', String(k).padStart(6, '0')],
      ['parity', k % 2 === 0 ? 'even' : 'odd'],
    ];
    const chunks = [];
    for (let c = 0; c < chunksPer; c++) {
      const data = new Uint8Array(chunkBytes);
      for (let b = 0; b < chunkBytes; b++) data[b] = (k * 31 + c * 7 + b) & 0xff;
      chunks.push({ minT: c * 1000, maxT: c * 1000 + 999, encoding: 1, data });
    }
    out.push({ labels, chunks });
  }
  return out;
}
