import { Registry } from 'prom-client';
import { ValidationError } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import * as proto from '@panoptes/proto';
import type { DecodedWriteRequest } from '@panoptes/proto';
import { AppendSummary, Head, HeadAppender, HeadConfig } from '@panoptes/tsdb';
import { LabelStringCache } from './label-string-cache';
import { MetricMetadataStore } from './metric-metadata';

// Read once: in compiled CommonJS every use of another library's export is a getter call, and
// these are read per series of every request.
const { LABEL_REF_STRIDE, seriesHash53 } = proto;

/** Series limits of one tenant on this ingester (already divided among ingesters/partitions). */
export interface LocalSeriesLimits {
  /** In-memory series this tenant may have on this ingester; 0 = no limit. */
  maxSeries: number;
  /** In-memory series per metric name on this ingester; 0 = no limit. */
  maxSeriesPerMetric: number;
}

/** What an append of a decoded request did, including refusals by the series limits. */
export interface TenantAppendResult extends AppendSummary {
  /** Samples refused because their series could not be created (limits), by reason. */
  seriesLimitRejected: number;
}

const METRIC_NAME = '__name__';
const MAX_LIMIT_ERRORS = 3;

/**
 * One tenant's data on an ingester: its TSDB head, its metric metadata and the bookkeeping of its
 * series limits. Appends go straight from a decoded request's columns into the head: known series
 * are found from the label bytes (no strings), new ones are created from strings once.
 */
export class TenantDb {
  /** Metric metadata from remote write (1.0 request metadata, 2.0 per-series metadata, OTLP). */
  readonly metadata = new MetricMetadataStore();
  /** Samples appended since this process started (for ingestion rates). */
  appendedTotal = 0;
  /** Series per metric name, for the per-metric limit (rebuilt after truncation). */
  private perMetric = new Map<string, number>();

  constructor(
    readonly tenant: string,
    readonly head: Head,
    /** Strings of new series' labels (may be shared by every tenant of an ingester). */
    private readonly strings = new LabelStringCache(),
  ) {}

  static create(tenant: string, config: HeadConfig, logger: Logger, strings?: LabelStringCache): TenantDb {
    // Each head gets its own registry: the ingester publishes per-tenant figures itself.
    return new TenantDb(tenant, new Head(config, tenant, logger, new Registry()), strings);
  }

  /** Appends every series and sample of `req` (decoded with this tenant's hash seed). */
  append(req: DecodedWriteRequest, limits: LocalSeriesLimits): TenantAppendResult {
    const head = this.head;
    const app = head.appender();
    const refs = req.labelRefs;
    const buf = req.buf;
    const ts = req.timestamps;
    const bits = new Uint32Array(req.values.buffer, req.values.byteOffset, req.sampleCount * 2);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let limitRejected = 0;
    const limitErrors: ValidationError[] = [];
    for (let s = 0; s < req.seriesCount; s++) {
      const from = req.seriesLabelStart[s];
      const to = req.seriesLabelEnd[s];
      const hash = seriesHash53(req.seriesHashHi[s], req.seriesHashLo[s]);
      const keyStart = req.seriesKeyStart[s];
      let ref = keyStart >= 0 ? head.lookupSeriesKey(hash, buf, keyStart, req.seriesKeyEnd[s], view) : head.lookupSeriesBytes(hash, buf, refs, from, to);
      if (ref === 0) {
        const refused = this.checkNewSeries(req, s, limits);
        if (refused !== undefined) {
          limitRejected += req.sampleCountOf(s);
          if (limitErrors.length < MAX_LIMIT_ERRORS) limitErrors.push(refused);
          continue;
        }
        ref = this.createSeries(req, s, hash, view);
      }
      app.appendRun(ref, ts, bits, req.seriesSampleStart[s], req.seriesSampleStart[s + 1]);
    }
    for (let m = 0; m < req.metadataCount; m++) {
      const md = req.metadata(m);
      this.metadata.add(md.metricFamilyName, md.type, md.help, md.unit);
    }
    return withLimitRejections(app, limitRejected, limitErrors, this.tenant);
  }

  /** Series per metric name, recounted from the head (after truncation collected series). */
  recountPerMetric(): void {
    const counts = new Map<string, number>();
    for (const name of this.head.labelValues(METRIC_NAME)) {
      counts.set(name, this.head.seriesCountWith(METRIC_NAME, name));
    }
    this.perMetric = counts;
  }

  private checkNewSeries(req: DecodedWriteRequest, s: number, limits: LocalSeriesLimits): ValidationError | undefined {
    if (limits.maxSeries > 0 && this.head.numSeries >= limits.maxSeries) {
      return new ValidationError(
        'per_user_series_limit',
        `per-tenant series limit of ${limits.maxSeries} on this ingester exceeded for tenant "${this.tenant}" (series ${req.seriesString(s)} refused); reduce cardinality or raise -ingester.max-global-series-per-user`,
        { tenant: this.tenant },
      );
    }
    if (limits.maxSeriesPerMetric > 0) {
      const name = req.metricName(s) ?? '';
      if ((this.perMetric.get(name) ?? 0) >= limits.maxSeriesPerMetric) {
        return new ValidationError(
          'per_metric_series_limit',
          `per-metric series limit of ${limits.maxSeriesPerMetric} on this ingester exceeded for metric "${name}" of tenant "${this.tenant}"; reduce the metric's cardinality or raise -ingester.max-global-series-per-metric`,
          { tenant: this.tenant },
        );
      }
    }
    return undefined;
  }

  private createSeries(req: DecodedWriteRequest, s: number, hash: number, view: DataView): number {
    const from = req.seriesLabelStart[s];
    const to = req.seriesLabelEnd[s];
    const keyStart = req.seriesKeyStart[s];
    const buf = req.buf;
    const refs = req.labelRefs;
    const strings = this.strings;
    let ref: number;
    let metric = '';
    if (keyStart >= 0) {
      // The usual case (remote write 1.0: the key lies in the body): interned from the bytes.
      ref = this.head.getOrCreateSeriesFromBytes(hash, buf, refs, from, to, keyStart, req.seriesKeyEnd[s], view);
      // The head has just interned the name: its string, with no decoding.
      metric = this.head.labelValue(ref, METRIC_NAME) ?? '';
    } else {
      const names = new Array<string>(to - from);
      const values = new Array<string>(to - from);
      for (let e = from; e < to; e++) {
        const r = e * LABEL_REF_STRIDE;
        names[e - from] = strings.get(buf, refs[r], refs[r + 1]);
        values[e - from] = strings.get(buf, refs[r + 2], refs[r + 3]);
        if (names[e - from] === METRIC_NAME) metric = values[e - from];
      }
      ref = this.head.getOrCreateSeries(hash, names, values);
    }
    this.perMetric.set(metric, (this.perMetric.get(metric) ?? 0) + 1);
    return ref;
  }
}

function withLimitRejections(app: HeadAppender, limitRejected: number, limitErrors: ValidationError[], tenant: string): TenantAppendResult {
  const summary = app.commit();
  if (limitRejected === 0) return { ...summary, seriesLimitRejected: 0 };
  const reason = limitErrors[0].reason;
  const errors = [...limitErrors, ...summary.errors];
  const rejectedByReason = { ...summary.rejectedByReason } as Record<string, number>;
  for (const e of limitErrors) rejectedByReason[e.reason] = rejectedByReason[e.reason] ?? 0;
  rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + limitRejected;
  const message =
    `${limitRejected} samples of new series were refused by the series limits (${summary.appended} samples were stored): ` +
    limitErrors.map((e) => e.message).join('; ') +
    (summary.error ? `; ${summary.error.message}` : '');
  return {
    ...summary,
    rejected: summary.rejected + limitRejected,
    rejectedByReason: rejectedByReason as AppendSummary['rejectedByReason'],
    errors,
    error: new ValidationError(reason, message, { tenant }),
    seriesLimitRejected: limitRejected,
  };
}
