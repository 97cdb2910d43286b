import { compareUtf8, formatFloatF } from '../any-value';
import {
  AGGREGATION_TEMPORALITY_CUMULATIVE,
  AGGREGATION_TEMPORALITY_DELTA,
  FLAG_NO_RECORDED_VALUE,
  OtlpAttribute,
  OtlpExemplar,
  OtlpExportMetricsRequest,
  OtlpHistogramDataPoint,
  OtlpMetric,
  OtlpNumberDataPoint,
  OtlpResourceMetrics,
  OtlpScopeMetrics,
  OtlpSummaryDataPoint,
  dataPointCount,
} from '../model';
import { LabelNamer } from '../naming/label-namer';
import { OtlpMetricKind, buildMetricName, buildUnitName } from '../naming/metric-namer';
import { NameTranslationError, strategyEscapes } from '../naming/strategy';
import { OtlpTranslationConfig } from './config';
import {
  LabelHash,
  SeriesSet,
  TranslatedExemplar,
  TranslatedLabels,
  TranslatedSeries,
  sortLabels,
  withLabels,
} from './series-set';

/** Prometheus's staleness marker, `0x7ff0000000000002`: written for `NoRecordedValue` points. */
export const STALE_NAN: number = (() => {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, 0x7ff00000);
  v.setUint32(4, 0x00000002);
  return v.getFloat64(0);
})();

const staleCheck = new DataView(new ArrayBuffer(8));
/** Whether `v` is exactly the staleness marker (not any other NaN). */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  staleCheck.setFloat64(0, v);
  return staleCheck.getUint32(0) === 0x7ff00000 && staleCheck.getUint32(4) === 0x00000002;
}

export type PrometheusMetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';

/** Metric metadata as Prometheus records it for an OTLP metric. */
export interface TranslatedMetadata {
  metricFamilyName: string;
  type: PrometheusMetricType;
  /** The OTLP description. */
  help: string;
  /** The unit in Prometheus words (`By/s` → `bytes_per_second`). */
  unit: string;
}

export interface OtlpTranslationResult {
  /** Every series, labels sorted, samples in time order. */
  series: TranslatedSeries[];
  /** One entry per metric family that produced samples (first description wins), plus `target_info`. */
  metadata: TranslatedMetadata[];
  /** Samples over all series. */
  samples: number;
  /** OTLP data points that produced samples. */
  acceptedDataPoints: number;
  /** OTLP data points dropped (OTLP partial success `rejected_data_points`). */
  rejectedDataPoints: number;
  /** Why data was dropped or skipped, at most `MAX_ERRORS` messages (see `errorCount`). */
  errors: string[];
  /** Number of problems, including those beyond the `errors` cap. */
  errorCount: number;
}

/** Messages kept in `errors`; the rest are only counted, so one bad request cannot flood memory. */
export const MAX_ERRORS = 20;

const TARGET_INFO = 'target_info';
const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';
const IDENTIFYING_ATTRIBUTES = [SERVICE_NAMESPACE, SERVICE_NAME, SERVICE_INSTANCE_ID];
const MAX_EXEMPLAR_RUNES = 128;
const LE_INF: [string, string] = ['le', '+Inf'];
const DEFAULT_LOOKBACK_MS = 5 * 60 * 1000;
/** At most this many `target_info` samples (plus the latest) per resource: 41 h at the default lookback. */
export const MAX_TARGET_INFO_STEPS = 1000;

/**
 * Translates a decoded OTLP metrics request into Prometheus series exactly as Prometheus 3's OTLP
 * receiver does (storage/remote/otlptranslator/prometheusremotewrite). `config` must be valid
 * (`validateOtlpTranslationConfig`). Never throws for bad data: what cannot be translated is
 * counted in `rejectedDataPoints` and described in `errors`, and everything else is kept.
 */
export function translateOtlpMetrics(
  request: OtlpExportMetricsRequest,
  config: OtlpTranslationConfig,
): OtlpTranslationResult {
  return new Translation(config).run(request);
}

/** The OTLP partial success for a translation result, or undefined when nothing went wrong. */
export function partialSuccessOf(
  result: Pick<OtlpTranslationResult, 'rejectedDataPoints' | 'errors' | 'errorCount'>,
): { rejectedDataPoints: number; errorMessage: string } | undefined {
  if (result.rejectedDataPoints === 0 && result.errorCount === 0) return undefined;
  let message = result.errors.join('; ');
  const more = result.errorCount - result.errors.length;
  if (more > 0) message += `; and ${more} more`;
  return { rejectedDataPoints: result.rejectedDataPoints, errorMessage: message };
}

/** Labels derived from a resource, shared by all its data points. */
interface ResourceContext {
  job: string;
  instance: string;
  /** Promoted resource attributes, already label names, in set order (empty values delete). */
  promoted: [string, string][];
}

/** A label map with Prometheus `labels.Builder` semantics: setting an empty value deletes. */
type LabelMap = Map<string, string>;

function setLabel(m: LabelMap, name: string, value: string): void {
  if (value === '') m.delete(name);
  else m.set(name, value);
}

/** Plain UTF-16 order: the same as UTF-8 byte order for the ASCII names of escaped strategies. */
function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKey(a: OtlpAttribute, b: OtlpAttribute): number {
  return a.key === b.key ? 0 : compareUtf8(a.key, b.key);
}

/** A data point's labels before `__name__`, with their hash. */
interface BaseLabels {
  labels: TranslatedLabels;
  hash: LabelHash;
}

/** The `__name__` pairs of one metric family, built once per metric. */
interface FamilyNames {
  family: [string, string];
  sum: [string, string];
  count: [string, string];
  bucket: [string, string];
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // a low surrogate completes a pair counted already
  }
  return n;
}

class Translation {
  private readonly escape: boolean;
  private readonly namer: LabelNamer;
  private readonly promoteSet: Set<string>;
  private readonly ignoreSet: Set<string>;
  private readonly set = new SeriesSet();
  private readonly metadata = new Map<string, TranslatedMetadata>();
  private readonly errors: string[] = [];
  private errorCount = 0;
  private rejected = 0;
  private accepted = 0;
  private pointOrdinal = 0;
  /** Label name order: UTF-8 byte order (plain comparison when every name is ASCII). */
  private readonly compare: (a: string, b: string) => number;
  private readonly comparePairs: (a: [string, string], b: [string, string]) => number;
  /** `le` / `quantile` pairs by value: bounds repeat on every point of a histogram. */
  private readonly lePairs = new Map<number, [string, string]>();
  private readonly quantilePairs = new Map<number, [string, string]>();
  /** Reused for the hash of each derived series (only its key is kept). */
  private readonly scratch = new LabelHash();

  constructor(private readonly config: OtlpTranslationConfig) {
    this.escape = strategyEscapes(config.translationStrategy);
    this.compare = this.escape ? compareAscii : compareUtf8;
    const compare = this.compare;
    this.comparePairs = (a, b) => compare(a[0], b[0]);
    this.namer = new LabelNamer({
      utf8Allowed: !this.escape,
      underscoreLabelSanitization: config.labelNameUnderscoreSanitization,
      preserveMultipleUnderscores: config.labelNamePreserveMultipleUnderscores,
    });
    this.promoteSet = new Set(config.promoteResourceAttributes.map((a) => a.trim()));
    this.ignoreSet = new Set(config.ignoreResourceAttributes.map((a) => a.trim()));
  }

  run(request: OtlpExportMetricsRequest): OtlpTranslationResult {
    for (const rm of request.resourceMetrics) this.resourceMetrics(rm);
    const finished = this.set.finish();
    if (finished.conflictingPoints.size > 0) {
      this.rejected += finished.conflictingPoints.size;
      this.accepted -= finished.conflictingPoints.size;
      for (const c of finished.conflicts) {
        this.error(`duplicate sample for timestamp with a different value: ${c}; send one value per series and timestamp`);
      }
    }
    return {
      series: finished.series,
      metadata: [...this.metadata.values()],
      samples: finished.samples,
      acceptedDataPoints: this.accepted,
      rejectedDataPoints: this.rejected,
      errors: this.errors,
      errorCount: this.errorCount,
    };
  }

  private error(message: string): void {
    this.errorCount++;
    if (this.errors.length < MAX_ERRORS) this.errors.push(message);
  }

  private reject(points: number, message: string): void {
    this.rejected += points;
    this.error(message);
  }

  private resourceMetrics(rm: OtlpResourceMetrics): void {
    let ctx: ResourceContext;
    try {
      ctx = this.resourceContext(rm.resource);
    } catch (err) {
      if (!(err instanceof NameTranslationError)) throw err;
      let points = 0;
      for (const sm of rm.scopeMetrics) for (const m of sm.metrics) points += dataPointCount(m.data);
      this.reject(points, `resource dropped: promoted resource attribute: ${err.message}`);
      return;
    }
    // The resource's time range, for target_info. Like Prometheus, it covers every data point of
    // every metric, including the ones rejected below.
    let earliest = Infinity;
    let latest = -Infinity;
    for (const sm of rm.scopeMetrics) {
      let scopeOps: [string, string][];
      try {
        scopeOps = this.scopeLabels(sm);
      } catch (err) {
        if (!(err instanceof NameTranslationError)) throw err;
        let points = 0;
        for (const m of sm.metrics) points += dataPointCount(m.data);
        this.reject(points, `scope ${JSON.stringify(sm.scope.name)} dropped: ${err.message}`);
        continue;
      }
      for (const metric of sm.metrics) {
        const data = metric.data;
        if (data.type !== 'none') {
          for (const p of data.dataPoints) {
            if (p.timeMs < earliest) earliest = p.timeMs;
            if (p.timeMs > latest) latest = p.timeMs;
          }
        }
        this.metric(metric, ctx, scopeOps);
      }
    }
    if (earliest !== Infinity) this.targetInfo(rm.resource, ctx, earliest, latest);
  }

  private resourceContext(resource: OtlpAttribute[]): ResourceContext {
    let serviceName: string | undefined;
    let serviceNamespace: string | undefined;
    let instance: string | undefined;
    for (const a of resource) {
      // pcommon.Map.Get returns the first attribute with the key.
      if (a.key === SERVICE_NAME) serviceName ??= a.value;
      else if (a.key === SERVICE_NAMESPACE) serviceNamespace ??= a.value;
      else if (a.key === SERVICE_INSTANCE_ID) instance ??= a.value;
    }
    let job = '';
    if (serviceName !== undefined) {
      job = serviceNamespace !== undefined ? `${serviceNamespace}/${serviceName}` : serviceName;
    }
    const promoted: [string, string][] = [];
    const all = this.config.promoteAllResourceAttributes;
    if (all || this.promoteSet.size > 0) {
      for (const a of resource) {
        const promote = all ? !this.ignoreSet.has(a.key) : this.promoteSet.has(a.key);
        if (promote) promoted.push([this.namer.build(a.key), a.value]);
      }
    }
    return { job, instance: instance ?? '', promoted };
  }

  /** otel_scope_* labels as set operations in Prometheus's order, or [] when not promoted. */
  private scopeLabels(sm: OtlpScopeMetrics): [string, string][] {
    const scope = sm.scope;
    if (!this.config.promoteScopeMetadata || scope.name === '') return [];
    const ops: [string, string][] = [];
    for (const a of scope.attributes) ops.push([this.namer.build(`otel_scope_${a.key}`), a.value]);
    // Name, version and schema URL go last so scope attributes cannot overwrite them.
    ops.push(
      ['otel_scope_name', scope.name],
      ['otel_scope_version', scope.version],
      ['otel_scope_schema_url', sm.schemaUrl],
    );
    return ops;
  }

  private metric(metric: OtlpMetric, ctx: ResourceContext, scopeOps: [string, string][]): void {
    const data = metric.data;
    const points = dataPointCount(data);
    if (data.type === 'none') {
      this.error(
        `metric ${JSON.stringify(metric.name)} dropped: unsupported metric type (no gauge, sum, histogram, exponential histogram or summary data)`,
      );
      return;
    }
    let kind: OtlpMetricKind;
    let type: PrometheusMetricType;
    let temporality: number | undefined;
    switch (data.type) {
      case 'gauge':
        kind = 'gauge';
        type = 'gauge';
        break;
      case 'sum':
        kind = data.isMonotonic ? 'monotonic_counter' : 'non_monotonic_counter';
        type = data.isMonotonic ? 'counter' : 'gauge';
        temporality = data.aggregationTemporality;
        break;
      case 'histogram':
        kind = 'histogram';
        type = 'histogram';
        temporality = data.aggregationTemporality;
        break;
      case 'exponentialHistogram':
        kind = 'exponential_histogram';
        type = 'histogram';
        temporality = data.aggregationTemporality;
        break;
      case 'summary':
        kind = 'summary';
        type = 'summary';
        break;
    }
    if (temporality !== undefined) {
      const delta = temporality === AGGREGATION_TEMPORALITY_DELTA;
      if (!(temporality === AGGREGATION_TEMPORALITY_CUMULATIVE || (delta && this.config.allowDeltaTemporality))) {
        const why = delta
          ? 'delta temporality is not supported; configure the sender for cumulative temporality (in OpenTelemetry SDKs, the exporter temporality preference)'
          : `aggregation temporality ${temporality} is not cumulative`;
        this.reject(points, `invalid temporality and type combination for metric ${JSON.stringify(metric.name)}: ${why}`);
        return;
      }
      if (delta) type = 'unknown'; // as Prometheus marks natively ingested deltas
    }
    let family: string;
    try {
      family = buildMetricName(metric.name, metric.unit, kind, this.config.translationStrategy);
    } catch (err) {
      if (!(err instanceof NameTranslationError)) throw err;
      this.reject(points, err.message);
      return;
    }
    if (points === 0) {
      this.error(`empty data points. ${metric.name} is dropped`);
      return;
    }
    if (data.type === 'exponentialHistogram') {
      this.reject(
        points,
        `metric ${JSON.stringify(metric.name)} dropped: exponential histograms (native histograms) are not supported yet; configure the sender to use explicit bucket histograms`,
      );
      return;
    }

    const names: FamilyNames = {
      family: ['__name__', family],
      sum: ['__name__', `${family}_sum`],
      count: ['__name__', `${family}_count`],
      bucket: ['__name__', `${family}_bucket`],
    };
    const before = this.accepted;
    let done = 0;
    try {
      switch (data.type) {
        case 'gauge':
          for (const p of data.dataPoints) {
            this.numberPoint(p, names, ctx, scopeOps, false);
            done++;
          }
          break;
        case 'sum':
          for (const p of data.dataPoints) {
            this.numberPoint(p, names, ctx, scopeOps, true);
            done++;
          }
          break;
        case 'histogram':
          for (const p of data.dataPoints) {
            this.histogramPoint(p, names, ctx, scopeOps);
            done++;
          }
          break;
        case 'summary':
          for (const p of data.dataPoints) {
            this.summaryPoint(p, names, ctx, scopeOps);
            done++;
          }
          break;
      }
    } catch (err) {
      if (!(err instanceof NameTranslationError)) throw err;
      // Prometheus stops at the first data point whose labels cannot be translated; the points
      // before it are kept.
      this.reject(points - done, `metric ${JSON.stringify(metric.name)}: ${err.message}`);
    }
    if (this.accepted > before && !this.metadata.has(family)) {
      const unit = buildUnitName(metric.unit);
      this.metadata.set(family, { metricFamilyName: family, type, help: metric.description, unit });
    }
  }

  /**
   * The labels of a data point before `__name__` (Prometheus `createAttributes`), sorted:
   * attributes (sorted by key, names translated, values of colliding names joined with `;`),
   * then promoted resource attributes where no attribute took the name, then `job` and
   * `instance`, then the scope labels.
   */
  private pointLabels(attributes: OtlpAttribute[], ctx: ResourceContext, scopeOps: [string, string][]): BaseLabels {
    const m: LabelMap = new Map();
    const attrs = attributes.length > 1 ? attributes.slice().sort(byKey) : attributes;
    for (const a of attrs) {
      if (a.key === '__name__') continue; // the metric name owns __name__ (Prometheus >= 3.10)
      const name = this.attributeLabelName(a.key);
      const existing = m.get(name);
      setLabel(m, name, existing === undefined ? a.value : `${existing};${a.value}`);
    }
    for (const [name, value] of ctx.promoted) if (!m.has(name)) setLabel(m, name, value);
    if (ctx.job !== '') m.set('job', ctx.job);
    if (ctx.instance !== '') m.set('instance', ctx.instance);
    for (const [name, value] of scopeOps) setLabel(m, name, value);
    const labels = [...m].sort(this.comparePairs);
    return { labels, hash: LabelHash.of(labels) };
  }

  /**
   * The label name of a data point or resource attribute. Under the UTF-8 strategies Prometheus
   * takes these keys as they are, without the namer's all-underscores check (it applies only to
   * promoted and scope attributes); an empty key is still no label name.
   */
  private attributeLabelName(key: string): string {
    if (this.escape) return this.namer.build(key);
    if (key === '') throw new NameTranslationError('label name is empty');
    return key;
  }

  /** Adds one sample to the series `base` + `extra` labels. */
  private sample(base: BaseLabels, extra: [string, string][], t: number, value: number, point: number) {
    const h = this.scratch;
    h.h1 = base.hash.h1;
    h.h2 = base.hash.h2;
    return this.set.add(withLabels(base.labels, extra, h, this.compare), h, t, value, point);
  }

  private lePair(bound: number): [string, string] {
    if (bound === 0) return ['le', formatFloatF(bound)]; // keep 0 and -0 apart
    let pair = this.lePairs.get(bound);
    if (pair === undefined) {
      pair = ['le', formatFloatF(bound)];
      this.lePairs.set(bound, pair);
    }
    return pair;
  }

  private quantilePair(q: number): [string, string] {
    if (q === 0) return ['quantile', formatFloatF(q)];
    let pair = this.quantilePairs.get(q);
    if (pair === undefined) {
      pair = ['quantile', formatFloatF(q)];
      this.quantilePairs.set(q, pair);
    }
    return pair;
  }

  private numberPoint(
    p: OtlpNumberDataPoint,
    names: FamilyNames,
    ctx: ResourceContext,
    scopeOps: [string, string][],
    withExemplars: boolean,
  ): void {
    const base = this.pointLabels(p.attributes, ctx, scopeOps);
    const value = p.flags & FLAG_NO_RECORDED_VALUE ? STALE_NAN : p.value;
    const s = this.sample(base, [names.family], p.timeMs, value, this.pointOrdinal++);
    // Prometheus attaches exemplars to sums only (not to gauges).
    if (withExemplars && p.exemplars.length > 0) this.set.addExemplars(s, p.exemplars.map(exemplarOf));
    this.accepted++;
  }

  private histogramPoint(
    p: OtlpHistogramDataPoint,
    names: FamilyNames,
    ctx: ResourceContext,
    scopeOps: [string, string][],
  ): void {
    const base = this.pointLabels(p.attributes, ctx, scopeOps);
    const stale = (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
    const t = p.timeMs;
    const point = this.pointOrdinal++;
    if (p.sum !== undefined) this.sample(base, [names.sum], t, stale ? STALE_NAN : p.sum, point);
    this.sample(base, [names.count], t, stale ? STALE_NAN : p.count, point);

    // Walking exemplars and buckets together, an exemplar goes to the first bucket (from where the
    // previous one went) whose bound is >= its value. Prometheus assumes exemplars arrive in
    // ascending value order (SDKs send them so) and does not sort them; neither do we.
    const exemplars = p.exemplars.length === 0 ? [] : p.exemplars.map(exemplarOf);
    let next = 0;
    let cumulative = 0;
    const n = Math.min(p.explicitBounds.length, p.bucketCounts.length);
    for (let i = 0; i < n; i++) {
      const bound = p.explicitBounds[i];
      cumulative += p.bucketCounts[i];
      const from = next;
      while (next < exemplars.length && !(exemplars[next].value > bound)) next++;
      const s = this.sample(base, [names.bucket, this.lePair(bound)], t, stale ? STALE_NAN : cumulative, point);
      if (next > from) this.set.addExemplars(s, exemplars.slice(from, next));
    }
    const inf = this.sample(base, [names.bucket, LE_INF], t, stale ? STALE_NAN : p.count, point);
    if (next < exemplars.length) this.set.addExemplars(inf, exemplars.slice(next));
    this.accepted++;
  }

  private summaryPoint(
    p: OtlpSummaryDataPoint,
    names: FamilyNames,
    ctx: ResourceContext,
    scopeOps: [string, string][],
  ): void {
    const base = this.pointLabels(p.attributes, ctx, scopeOps);
    const stale = (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
    const t = p.timeMs;
    const point = this.pointOrdinal++;
    this.sample(base, [names.sum], t, stale ? STALE_NAN : p.sum, point);
    this.sample(base, [names.count], t, stale ? STALE_NAN : p.count, point);
    for (const q of p.quantileValues) {
      this.sample(base, [names.family, this.quantilePair(q.quantile)], t, stale ? STALE_NAN : q.value, point);
    }
    this.accepted++;
  }

  /**
   * `target_info{job, instance, <other resource attributes>} 1`, sampled from the resource's
   * earliest to its latest data point every half lookback delta, plus the latest (Prometheus
   * >= 3.6). Skipped when the resource has only identifying attributes, or neither job nor instance.
   */
  private targetInfo(resource: OtlpAttribute[], ctx: ResourceContext, earliest: number, latest: number): void {
    const present = new Set<string>();
    for (const a of resource) if (IDENTIFYING_ATTRIBUTES.includes(a.key)) present.add(a.key);
    if (resource.length - present.size === 0) return;
    if (ctx.job === '' && ctx.instance === '') return;
    const keep = this.config.keepIdentifyingResourceAttributes;
    const m: LabelMap = new Map();
    const attrs = resource.filter((a) => keep || !IDENTIFYING_ATTRIBUTES.includes(a.key)).sort(byKey);
    try {
      for (const a of attrs) {
        const name = this.attributeLabelName(a.key);
        const existing = m.get(name);
        setLabel(m, name, existing === undefined ? a.value : `${existing};${a.value}`);
      }
    } catch (err) {
      if (!(err instanceof NameTranslationError)) throw err;
      this.error(`target_info for job ${JSON.stringify(ctx.job)} instance ${JSON.stringify(ctx.instance)} dropped: ${err.message}`);
      return;
    }
    if (ctx.job !== '') m.set('job', ctx.job);
    if (ctx.instance !== '') m.set('instance', ctx.instance);
    m.set('__name__', TARGET_INFO);
    const labels = [...m].sort(this.comparePairs);
    const hash = LabelHash.of(labels);
    const interval = this.config.lookbackDeltaMs >= 2 ? this.config.lookbackDeltaMs / 2 : DEFAULT_LOOKBACK_MS / 2;
    const point = -1; // target_info samples are not OTLP data points
    // Prometheus steps from the earliest point; we skip steps older than MAX_TARGET_INFO_STEPS
    // before the latest, so one point sent at time 0 cannot make millions of samples.
    const skip = Math.max(0, Math.ceil((latest - earliest) / interval) - MAX_TARGET_INFO_STEPS);
    for (let t = earliest + skip * interval; t < latest; t += interval) this.set.add(labels, hash, Math.floor(t), 1, point);
    this.set.add(labels, hash, latest, 1, point);
    if (!this.metadata.has(TARGET_INFO)) {
      const meta: TranslatedMetadata = { metricFamilyName: TARGET_INFO, type: 'gauge', help: 'Target metadata', unit: '' };
      this.metadata.set(TARGET_INFO, meta);
    }
  }
}

function exemplarOf(e: OtlpExemplar): TranslatedExemplar {
  const labels: TranslatedLabels = [];
  let runes = 0;
  if (e.traceId !== '') {
    labels.push(['trace_id', e.traceId]);
    runes += 8 + e.traceId.length;
  }
  if (e.spanId !== '') {
    labels.push(['span_id', e.spanId]);
    runes += 7 + e.spanId.length;
  }
  for (const a of e.filteredAttributes) runes += runeCount(a.key) + runeCount(a.value);
  // Attributes are kept only if the exemplar's labels stay within OpenMetrics' 128 runes.
  if (runes <= MAX_EXEMPLAR_RUNES) for (const a of e.filteredAttributes) labels.push([a.key, a.value]);
  return { labels: sortLabels(labels), value: e.value, timestampMs: e.timeMs !== 0 ? e.timeMs : undefined };
}
