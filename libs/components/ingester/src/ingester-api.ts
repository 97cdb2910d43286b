import { Labels } from '@panoptes/block-formats';
import { Clock } from '@panoptes/common';
import {
  CHUNK_ENCODING_XOR,
  IngesterApi,
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
} from '@panoptes/ingester-client';
import { Ingester } from './ingester';

/** Samples/s of one tenant, smoothed (EWMA) over the calls that ask for it. */
class RateTracker {
  private lastTotal = 0;
  private lastAt = -1;
  rate = 0;

  update(total: number, now: number): number {
    if (this.lastAt < 0) {
      this.lastAt = now;
      this.lastTotal = total;
      return 0;
    }
    const dt = (now - this.lastAt) / 1000;
    if (dt >= 1) {
      const instant = (total - this.lastTotal) / dt;
      this.rate = this.rate === 0 ? instant : 0.8 * this.rate + 0.2 * instant;
      this.lastAt = now;
      this.lastTotal = total;
    }
    return this.rate;
  }
}

/**
 * The ingester's gRPC API (`@panoptes/ingester-client`) over its heads: pushes in classic mode,
 * and the reads the querier and ruler make. Reads see what was applied so far.
 */
export class IngesterGrpcApi implements IngesterApi {
  private readonly rates = new Map<string, RateTracker>();

  constructor(
    private readonly ingester: Ingester,
    private readonly clock: Clock,
  ) {}

  async push(tenant: string, body: Buffer): Promise<PushResult> {
    this.ingester.checkRunning();
    const result = await this.ingester.push(tenant, body);
    if (result.error) throw result.error;
    return { samplesAppended: result.appended, samplesRejected: result.rejected };
  }

  *querySeries(tenant: string, req: QueryRequest): Iterable<SeriesChunks> {
    this.ingester.checkRunning();
    for (const s of this.ingester.select(tenant, [...req.matchers], req.minT, req.maxT)) {
      yield {
        labels: s.labels,
        chunks: s.chunks.map((c) => ({ minT: c.minT, maxT: c.maxT, encoding: CHUNK_ENCODING_XOR, data: c.data })),
      };
    }
  }

  async labelNames(tenant: string, req: LabelNamesRequest): Promise<string[]> {
    this.ingester.checkRunning();
    return this.ingester.labelNames(tenant, [...req.matchers]);
  }

  async labelValues(tenant: string, req: LabelValuesRequest): Promise<string[]> {
    this.ingester.checkRunning();
    return this.ingester.labelValues(tenant, req.name, [...req.matchers]);
  }

  async series(tenant: string, req: SeriesRequest): Promise<Labels[]> {
    this.ingester.checkRunning();
    const seen = new Map<string, Labels>();
    for (const set of req.matcherSets) {
      for (const s of this.ingester.select(tenant, [...set], req.minT, req.maxT)) {
        const key = s.labels.map(([n, v]) => `${n}\u0000${v}`).join('\u0001');
        if (!seen.has(key)) seen.set(key, s.labels);
      }
    }
    return [...seen.values()];
  }

  async userStats(tenant: string): Promise<UserStats> {
    const db = this.ingester.tenant(tenant);
    if (db === undefined) return { numSeries: 0, ingestionRate: 0, apiIngestionRate: 0, ruleIngestionRate: 0 };
    let tracker = this.rates.get(tenant);
    if (tracker === undefined) this.rates.set(tenant, (tracker = new RateTracker()));
    const rate = tracker.update(db.appendedTotal, this.clock.now());
    return { numSeries: db.head.numSeries, ingestionRate: rate, apiIngestionRate: rate, ruleIngestionRate: 0 };
  }

  async metricsMetadata(tenant: string, req: MetricsMetadataRequest): Promise<MetricMetadata[]> {
    this.ingester.checkRunning();
    return this.ingester.tenant(tenant)?.metadata.list(req) ?? [];
  }

  async allUserStats(): Promise<TenantUserStats[]> {
    const out: TenantUserStats[] = [];
    for (const tenant of this.ingester.tenantIds()) out.push({ tenant, stats: await this.userStats(tenant) });
    return out;
  }
}
