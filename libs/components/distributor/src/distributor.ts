import { Counter, Histogram, type Registry } from 'prom-client';
import { Clock, DeduplicatedError, ValidationError } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import {
  DecodedWriteRequest,
  RemoteWriteDecoder,
  RemoteWriteStats,
  RemoteWriteVersion,
  decompressRemoteWriteBody,
  encodeWriteRequestV1,
  negotiateRemoteWrite,
  tenantHashSeed,
} from '@panoptes/proto';
import {
  OtlpEncoding,
  OtlpTranslationConfig,
  decodeOtlpMetricsHttpBody,
  encodeExportMetricsResponse,
  partialSuccessOf,
  translateOtlpMetrics,
} from '@panoptes/otlp';
import { Service } from '@panoptes/services';
import { HaTracker } from './ha-tracker';
import { IngestionRateLimiter } from './rate-limiter';
import { SeriesSink } from './series-sink';
import {
  EXEMPLAR_REJECTION_REASONS,
  ExemplarRejection,
  SERIES_REJECTION_REASONS,
  SeriesRejection,
  SeriesValidationLimits,
  SeriesValidator,
} from './validation';

export interface DistributorConfig {
  /** Largest decompressed write request, in bytes (413 above it). */
  maxRecvMsgSizeBytes: number;
  /** How OTLP metrics become Prometheus series. */
  otlp: OtlpTranslationConfig;
  /** Refused series whose full error a request keeps for its 400 reply. */
  maxErrorsPerRequest: number;
}

/** What the distributor reads of a tenant's limits, on every request (runtime overrides apply at once). */
export interface DistributorLimits extends SeriesValidationLimits {
  /** Samples per second. */
  ingestionRate: number;
  /** Samples admitted at once. */
  ingestionBurstSize: number;
  /** Deduplicate HA Prometheus pairs for this tenant. */
  acceptHaSamples: boolean;
  /** HA clusters tracked per tenant; 0 = no limit. */
  haMaxClusters: number;
}

/** The outcome of an accepted write (2xx, or 400 when some series were refused and the rest written). */
export interface PushResult {
  /** What was written: the `X-Prometheus-Remote-Write-*-Written` headers. */
  written: RemoteWriteStats;
  /** Set when anything was refused: the 400 the client gets (the rest was written). */
  error?: ValidationError;
}

/** The OTLP reply: the response body in the request's encoding, and the status. */
export interface OtlpPushResult {
  status: number;
  contentType: string;
  body: Uint8Array;
}

const ERRORS_IN_MESSAGE = 3;
const DECODERS_KEPT = 4;

/**
 * The distributor: the write path's front door. For every request it decodes (zero-copy), checks
 * the HA replica, validates each series against the tenant's limits, applies the tenant's
 * ingestion rate, and hands the valid series to its `SeriesSink` (the ingest log, or ingesters
 * over gRPC), answering only once the sink has made them durable.
 *
 * Partial acceptance as in Mimir: valid series of a request are written even when others are
 * refused; the client then gets a 400 naming the first few refusals (Prometheus never retries a
 * 400, so nothing is written twice). A 429 (rate limit) or 5xx (sink unavailable) writes nothing
 * of the request, so the client's retry is safe.
 */
export class Distributor extends Service {
  private readonly decoders: RemoteWriteDecoder[] = [];
  private readonly validator = new SeriesValidator();
  private readonly rateLimiter: IngestionRateLimiter;
  private accepted = new Uint32Array(1024);
  private readonly discarded: Counter<'tenant' | 'reason'>;
  private readonly discardedExemplars: Counter<'tenant' | 'reason'>;
  private readonly received: Counter<'tenant'>;
  private readonly receivedExemplars: Counter<'tenant'>;
  private readonly requests: Counter<'tenant' | 'protocol'>;
  private readonly dedupedSamples: Counter<'tenant'>;
  private readonly pushDuration: Histogram<'protocol'>;

  constructor(
    private readonly config: DistributorConfig,
    private readonly limits: (tenant: string) => DistributorLimits,
    private readonly sink: SeriesSink,
    private readonly haTracker: HaTracker | undefined,
    private readonly haLabels: { cluster: string; replica: string },
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super('distributor');
    this.rateLimiter = new IngestionRateLimiter(
      (tenant) => {
        const l = this.limits(tenant);
        return { rate: l.ingestionRate, burst: l.ingestionBurstSize };
      },
      clock,
      registry,
    );
    this.discarded = new Counter({
      name: 'panoptes_distributor_discarded_samples_total',
      help: 'Samples refused by the distributor, by reason.',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
    this.discardedExemplars = new Counter({
      name: 'panoptes_distributor_discarded_exemplars_total',
      help: 'Exemplars refused by the distributor, by reason.',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
    this.received = new Counter({
      name: 'panoptes_distributor_received_samples_total',
      help: 'Samples accepted and written by the distributor.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.receivedExemplars = new Counter({
      name: 'panoptes_distributor_received_exemplars_total',
      help: 'Exemplars accepted and written by the distributor.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.requests = new Counter({
      name: 'panoptes_distributor_requests_total',
      help: 'Write requests received, by protocol (remote write 1.0/2.0, OTLP).',
      labelNames: ['tenant', 'protocol'],
      registers: [registry],
    });
    this.dedupedSamples = new Counter({
      name: 'panoptes_distributor_deduped_samples_total',
      help: 'Samples dropped because they came from an HA replica that is not elected.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.pushDuration = new Histogram({
      name: 'panoptes_distributor_push_duration_seconds',
      help: 'Time from a decoded write request to its durable acknowledgement.',
      labelNames: ['protocol'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  protected override async starting(): Promise<void> {
    this.logger.info('distributor starting', { component: 'distributor' });
  }

  /**
   * A remote write request as received over HTTP: negotiates the protocol from the headers (415),
   * decompresses within the size limit (413), decodes (400) and pushes.
   */
  async pushRemoteWrite(
    tenant: string,
    headers: { contentType?: string; contentEncoding?: string },
    compressed: Buffer,
  ): Promise<PushResult> {
    const { version } = negotiateRemoteWrite(headers.contentType, headers.contentEncoding);
    if (compressed.length === 0) {
      throw new ValidationError('malformed_request', 'empty request body; a remote write request is a snappy-compressed protobuf message', { tenant });
    }
    const protocol = version === 2 ? 'prometheus-rw2' : 'prometheus-rw1';
    if (!this.sink.releasesBody) {
      // The sink may keep the body: memory of its own, with a spare byte in front so that the
      // ingest record of an unchanged request is made without a copy.
      const body = decompressRemoteWriteBody(compressed, this.config.maxRecvMsgSizeBytes);
      return this.pushBody(tenant, version, body, protocol, compressed);
    }
    return this.withDecoder((decoder) => this.decodeAndPush(decoder, tenant, version, decoder.decompress(compressed, this.config.maxRecvMsgSizeBytes), protocol, compressed));
  }

  /**
   * An uncompressed remote write body of the given version (also what the ruler writes through);
   * `snappy`: the same body snappy-compressed, as the client sent it, when it came so.
   */
  async pushBody(tenant: string, version: RemoteWriteVersion, body: Buffer, protocol = 'prometheus-rw1', snappy?: Buffer): Promise<PushResult> {
    return this.withDecoder((decoder) => this.decodeAndPush(decoder, tenant, version, body, protocol, snappy));
  }

  /** Runs `fn` with a decoder of the pool (a new one when all are in use), returned to it after. */
  private async withDecoder<T>(fn: (decoder: RemoteWriteDecoder) => Promise<T>): Promise<T> {
    const decoder = this.decoders.pop() ?? new RemoteWriteDecoder();
    try {
      return await fn(decoder);
    } finally {
      if (this.decoders.length < DECODERS_KEPT) this.decoders.push(decoder);
    }
  }

  private async decodeAndPush(decoder: RemoteWriteDecoder, tenant: string, version: RemoteWriteVersion, body: Buffer, protocol: string, snappy?: Buffer): Promise<PushResult> {
    try {
      const req = decoder.decode(body, version, tenantHashSeed(tenant));
      this.requests.inc({ tenant, protocol });
      const end = this.pushDuration.startTimer({ protocol });
      try {
        return await this.pushDecoded(tenant, req, body, snappy);
      } finally {
        end();
      }
    } catch (err) {
      if (err instanceof ValidationError && err.tenant === undefined) {
        throw new ValidationError(err.reason, err.message, { tenant, cause: err });
      }
      throw err;
    }
  }

  /**
   * An OTLP/HTTP metrics request: decoded (protobuf or JSON, gzip), translated the Prometheus 3
   * way, and written like a remote write 1.0 request. Data points the translation drops and series
   * the validation refuses are reported in the OTLP partial success of a 200 reply, as the OTLP
   * specification asks; a request that cannot be decoded at all is a 400.
   */
  async pushOtlpHttp(
    tenant: string,
    headers: { contentType: string | undefined; contentEncoding: string | undefined },
    raw: Buffer,
  ): Promise<OtlpPushResult> {
    const { encoding, request } = await decodeOtlpMetricsHttpBody(raw, headers, this.config.maxRecvMsgSizeBytes);
    const partial = await this.pushOtlp(tenant, request);
    return {
      status: 200,
      contentType: encoding === 'json' ? 'application/json' : 'application/x-protobuf',
      body: encodeExportMetricsResponse(encoding as OtlpEncoding, partial),
    };
  }

  /** A decoded OTLP request (HTTP or gRPC): returns the partial success, undefined when all was written. */
  async pushOtlp(
    tenant: string,
    request: Parameters<typeof translateOtlpMetrics>[0],
  ): Promise<{ rejectedDataPoints: number; errorMessage: string } | undefined> {
    const result = translateOtlpMetrics(request, this.config.otlp);
    const errors = [...result.errors];
    let errorCount = result.errorCount;
    let rejected = result.rejectedDataPoints;
    if (result.series.length > 0 || result.metadata.length > 0) {
      const body = encodeWriteRequestV1({
        timeseries: result.series.map((s) => ({
          labels: s.labels.map(([name, value]) => ({ name, value })),
          samples: s.samples.map((x) => ({ timestamp: x.timestampMs, value: x.value })),
          exemplars: s.exemplars?.map((e) => ({
            labels: e.labels.map(([name, value]) => ({ name, value })),
            value: e.value,
            timestamp: e.timestampMs ?? 0,
          })),
        })),
        metadata: result.metadata.map((m) => ({
          type: OTLP_METRIC_TYPE[m.type],
          metricFamilyName: m.metricFamilyName,
          help: m.help,
          unit: m.unit,
        })),
      });
      const pushed = await this.pushBody(tenant, 1, body, 'otlp');
      if (pushed.error) {
        rejected += result.samples - pushed.written.samples;
        errors.push(pushed.error.message);
        errorCount++;
      }
    }
    return partialSuccessOf({ rejectedDataPoints: rejected, errors, errorCount });
  }

  private async pushDecoded(tenant: string, req: DecodedWriteRequest, body: Buffer, snappy: Buffer | undefined): Promise<PushResult> {
    const limits = this.limits(tenant);
    let changed = false;
    if (limits.acceptHaSamples && this.haTracker !== undefined && req.seriesCount > 0) {
      changed = await this.checkHaReplica(tenant, req, limits);
    }

    // Validate every series; keep the indices of the valid ones.
    const n = req.seriesCount;
    if (this.accepted.length < n) this.accepted = new Uint32Array(Math.max(n, this.accepted.length * 2));
    const accepted = this.accepted;
    let acceptedCount = 0;
    let acceptedSamples = 0;
    let refusedSamples = 0;
    const errors: ValidationError[] = [];
    const refusedByReason = new Map<string, number>();
    const now = this.clock.now();
    for (let s = 0; s < n; s++) {
      const labelsBefore = req.labelCountOf(s);
      const why = this.validator.validate(req, s, limits, now);
      if (req.labelCountOf(s) !== labelsBefore) changed = true;
      if (why === SeriesRejection.ok) {
        accepted[acceptedCount++] = s;
        acceptedSamples += req.sampleCountOf(s);
        continue;
      }
      changed = true;
      const samples = req.sampleCountOf(s) + req.seriesHistogramCount[s];
      refusedSamples += samples;
      const reason = SERIES_REJECTION_REASONS[why];
      refusedByReason.set(reason, (refusedByReason.get(reason) ?? 0) + samples);
      if (errors.length < this.config.maxErrorsPerRequest) errors.push(this.validator.describe(req, s, why, limits, tenant));
    }

    // Exemplars of refused series go with them (not written, not counted as refused twice).
    let acceptedExemplars = 0;
    let refusedExemplars = 0;
    for (let x = 0; x < req.exemplarCount; x++) {
      if (!this.isAccepted(req.exemplarSeries[x], accepted, acceptedCount)) continue;
      const why = this.validator.validateExemplar(req, x, limits);
      if (why === ExemplarRejection.ok) {
        acceptedExemplars++;
        continue;
      }
      changed = true;
      refusedExemplars++;
      this.discardedExemplars.inc({ tenant, reason: EXEMPLAR_REJECTION_REASONS[why] });
      if (errors.length < this.config.maxErrorsPerRequest) errors.push(this.validator.describeExemplar(req, x, why, limits, tenant));
    }

    for (const [reason, count] of refusedByReason) this.discarded.inc({ tenant, reason }, count);

    if (acceptedCount > 0 || req.metadataCount > 0) {
      try {
        this.rateLimiter.take(tenant, acceptedSamples + acceptedExemplars);
      } catch (err) {
        this.discarded.inc({ tenant, reason: 'rate_limited' }, acceptedSamples);
        throw err;
      }
      const refusedDownstream = await this.sink.write(tenant, req, accepted, acceptedCount, changed ? undefined : body, changed ? undefined : snappy);
      if (refusedDownstream) {
        // Refusals the ingesters reported (out-of-order, series limits…): the rest is stored.
        acceptedSamples -= Math.min(acceptedSamples, refusedDownstream.samples);
        refusedSamples += refusedDownstream.samples;
        if (errors.length < this.config.maxErrorsPerRequest) errors.push(refusedDownstream.error);
      }
      this.received.inc({ tenant }, acceptedSamples);
      if (acceptedExemplars > 0) this.receivedExemplars.inc({ tenant }, acceptedExemplars);
    }

    const written: RemoteWriteStats = { samples: acceptedSamples, histograms: 0, exemplars: acceptedExemplars };
    if (errors.length === 0) return { written };
    return { written, error: this.requestError(tenant, errors, refusedSamples, refusedExemplars, acceptedSamples) };
  }

  private isAccepted(s: number, accepted: Uint32Array, count: number): boolean {
    // accepted is ascending: binary search.
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (accepted[mid] < s) lo = mid + 1;
      else hi = mid;
    }
    return lo < count && accepted[lo] === s;
  }

  /**
   * Mimir's rule: the first series' cluster and replica labels speak for the whole request (a
   * Prometheus sends one replica's data per request). A replica that is not elected gets a 202
   * (`DeduplicatedError`) and nothing is written; the elected one has its replica label removed
   * from every series. Returns whether any series changed.
   */
  private async checkHaReplica(tenant: string, req: DecodedWriteRequest, limits: DistributorLimits): Promise<boolean> {
    const clusterName = Buffer.from(this.haLabels.cluster, 'utf8');
    const replicaName = Buffer.from(this.haLabels.replica, 'utf8');
    const c = req.findLabel(0, clusterName);
    const r = req.findLabel(0, replicaName);
    if (c < 0 || r < 0) return false;
    try {
      await this.haTracker!.checkReplica(tenant, req.labelValue(c), req.labelValue(r), limits.haMaxClusters);
    } catch (err) {
      if (err instanceof DeduplicatedError) this.dedupedSamples.inc({ tenant }, req.sampleCount);
      throw err;
    }
    let changed = false;
    for (let s = 0; s < req.seriesCount; s++) {
      const e = req.findLabel(s, replicaName);
      if (e >= 0) {
        req.dropLabel(s, e);
        changed = true;
      }
    }
    return changed;
  }

  private requestError(
    tenant: string,
    errors: ValidationError[],
    refusedSamples: number,
    refusedExemplars: number,
    acceptedSamples: number,
  ): ValidationError {
    const shown = errors.slice(0, ERRORS_IN_MESSAGE).map((e) => e.message);
    const more = errors.length > ERRORS_IN_MESSAGE ? `; and ${errors.length - ERRORS_IN_MESSAGE} more` : '';
    const parts = [`${refusedSamples} samples`];
    if (refusedExemplars > 0) parts.push(`${refusedExemplars} exemplars`);
    const message =
      `tenant "${tenant}": refused ${parts.join(' and ')} (${acceptedSamples} samples were written): ` + shown.join('; ') + more;
    return new ValidationError(errors[0].reason, message, { tenant });
  }
}

/** OTLP-derived Prometheus types as remote write 1.0 metadata type numbers. */
const OTLP_METRIC_TYPE = { unknown: 0, counter: 1, gauge: 2, histogram: 3, summary: 5 } as const;
