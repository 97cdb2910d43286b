import { ValidationError } from '@panoptes/common';
import * as proto from '@panoptes/proto';
import { DecodedWriteRequest, EXEMPLAR_FLAG_DROPPED } from '@panoptes/proto';

// Read once: in compiled CommonJS every use of another library's export is a getter call, and
// these are read per label of every series.
const { LABEL_REF_STRIDE, SERIES_FLAG_INVALID_UTF8, SERIES_FLAG_UNSORTED_LABELS } = proto;

/** The per-tenant limits series validation reads (from the tenant's limits, on every request). */
export interface SeriesValidationLimits {
  /** Most labels a series may have, `__name__` included (0 = no limit). */
  maxLabelNamesPerSeries: number;
  /** Longest label name, in UTF-8 bytes. */
  maxLabelNameLength: number;
  /** Longest label value, in UTF-8 bytes. */
  maxLabelValueLength: number;
  /** Samples this far (ms) ahead of the distributor's clock are refused. */
  creationGracePeriodMs: number;
  /** Samples this far (ms) behind the distributor's clock are refused; 0 disables the check. */
  pastGracePeriodMs: number;
  /** Longest an exemplar's labels may be, in Unicode code points over all names and values (OpenMetrics: 128). */
  maxExemplarLabelsLength: number;
}

/**
 * Reasons a series, sample or exemplar is refused at the distributor, in the order they are
 * checked. The strings are the `reason` label of `panoptes_distributor_discarded_samples_total`
 * and of the 400 error; they follow Mimir's names where Mimir has the same check.
 */
export const SeriesRejection = {
  ok: 0,
  duplicateLabelNames: 1,
  labelsNotSorted: 2,
  labelInvalid: 3,
  missingMetricName: 4,
  maxLabelNamesPerSeries: 5,
  labelNameTooLong: 6,
  labelValueTooLong: 7,
  nativeHistograms: 8,
  tooFarInFuture: 9,
  tooOld: 10,
} as const;
export type SeriesRejection = (typeof SeriesRejection)[keyof typeof SeriesRejection];

export const SERIES_REJECTION_REASONS: readonly string[] = [
  '',
  'duplicate_label_names',
  'labels_not_sorted',
  'label_invalid',
  'missing_metric_name',
  'max_label_names_per_series',
  'label_name_too_long',
  'label_value_too_long',
  'native_histograms_not_supported',
  'sample_too_far_in_future',
  'sample_too_old',
];

export const ExemplarRejection = {
  ok: 0,
  labelsInvalid: 1,
  labelsTooLong: 2,
  missingTimestamp: 3,
} as const;
export type ExemplarRejection = (typeof ExemplarRejection)[keyof typeof ExemplarRejection];

export const EXEMPLAR_REJECTION_REASONS: readonly string[] = ['', 'exemplar_labels_invalid', 'exemplar_labels_too_long', 'exemplar_missing_timestamp'];

const NAME_BYTES = Buffer.from('__name__', 'latin1');

/**
 * Series validation over the decoded columns: no strings are built unless a series is refused.
 * Empty label values are removed first (Prometheus treats `a=""` as no label `a`), and the series
 * rehashed, so `{a="", b="x"}` shards and stores like `{b="x"}`.
 */
export class SeriesValidator {
  /** Refusal of the last `validate` call's label check, for `describe`. */
  private detailEntry = -1;

  /** Checks series `s`; returns its refusal, or `ok`. */
  validate(req: DecodedWriteRequest, s: number, limits: SeriesValidationLimits, nowMs: number): SeriesRejection {
    this.detailEntry = -1;
    this.dropEmptyValues(req, s);
    const flags = req.seriesFlags[s];
    if ((flags & SERIES_FLAG_UNSORTED_LABELS) !== 0) {
      return this.hasDuplicateName(req, s) ? SeriesRejection.duplicateLabelNames : SeriesRejection.labelsNotSorted;
    }
    if ((flags & SERIES_FLAG_INVALID_UTF8) !== 0) return SeriesRejection.labelInvalid;
    const refs = req.labelRefs;
    const from = req.seriesLabelStart[s];
    const to = req.seriesLabelEnd[s];
    if (req.findLabel(s, NAME_BYTES) < 0) return SeriesRejection.missingMetricName;
    if (limits.maxLabelNamesPerSeries > 0 && to - from > limits.maxLabelNamesPerSeries) return SeriesRejection.maxLabelNamesPerSeries;
    for (let e = from; e < to; e++) {
      const r = e * LABEL_REF_STRIDE;
      if (refs[r + 1] === 0) {
        this.detailEntry = e;
        return SeriesRejection.labelInvalid;
      }
      if (refs[r + 1] > limits.maxLabelNameLength) {
        this.detailEntry = e;
        return SeriesRejection.labelNameTooLong;
      }
      if (refs[r + 3] > limits.maxLabelValueLength) {
        this.detailEntry = e;
        return SeriesRejection.labelValueTooLong;
      }
    }
    if (req.seriesHistogramCount[s] > 0) return SeriesRejection.nativeHistograms;
    const newest = nowMs + limits.creationGracePeriodMs;
    const oldest = limits.pastGracePeriodMs > 0 ? nowMs - limits.pastGracePeriodMs : -Infinity;
    const ts = req.timestamps;
    for (let i = req.seriesSampleStart[s], end = req.seriesSampleStart[s + 1]; i < end; i++) {
      const t = ts[i];
      if (t > newest) {
        this.detailEntry = i;
        return SeriesRejection.tooFarInFuture;
      }
      if (t < oldest) {
        this.detailEntry = i;
        return SeriesRejection.tooOld;
      }
    }
    return SeriesRejection.ok;
  }

  /** The error for a refused series (cold path: builds strings). Call right after `validate`. */
  describe(req: DecodedWriteRequest, s: number, why: SeriesRejection, limits: SeriesValidationLimits, tenant: string): ValidationError {
    const series = req.seriesString(s);
    const e = this.detailEntry;
    let message: string;
    switch (why) {
      case SeriesRejection.duplicateLabelNames:
        message = `duplicate label names in series ${series}`;
        break;
      case SeriesRejection.labelsNotSorted:
        message = `label names are not sorted in series ${series}; the sender must sort labels by name`;
        break;
      case SeriesRejection.labelInvalid:
        message =
          e >= 0
            ? `empty label name in series ${series}`
            : `label name or value is not valid UTF-8 in series ${series.replace(/\uFFFD/g, '\\uFFFD')}`;
        break;
      case SeriesRejection.missingMetricName:
        message = `series ${series} has no metric name (__name__ label)`;
        break;
      case SeriesRejection.maxLabelNamesPerSeries:
        message = `series ${truncate(series)} has ${req.labelCountOf(s)} labels, over the limit of ${limits.maxLabelNamesPerSeries} for tenant "${tenant}"; drop labels or raise -validation.max-label-names-per-series`;
        break;
      case SeriesRejection.labelNameTooLong:
        message = `label name of ${req.labelRefs[e * LABEL_REF_STRIDE + 1]} bytes is longer than the limit of ${limits.maxLabelNameLength} for tenant "${tenant}" in series ${truncate(series)}; raise -validation.max-length-label-name`;
        break;
      case SeriesRejection.labelValueTooLong:
        message = `value of label "${req.labelName(e)}" is ${req.labelRefs[e * LABEL_REF_STRIDE + 3]} bytes, longer than the limit of ${limits.maxLabelValueLength} for tenant "${tenant}" in series ${truncate(series)}; raise -validation.max-length-label-value`;
        break;
      case SeriesRejection.nativeHistograms:
        message = `series ${series} carries native histograms, which are not supported yet; send classic histograms (disable native histograms in the sender)`;
        break;
      case SeriesRejection.tooFarInFuture:
        message = `sample timestamp ${iso(req.timestamps[e])} of series ${series} is too far in the future (more than ${limits.creationGracePeriodMs}ms ahead of this server's clock); check the sender's clock or raise -validation.create-grace-period`;
        break;
      case SeriesRejection.tooOld:
        message = `sample timestamp ${iso(req.timestamps[e])} of series ${series} is too old (more than ${limits.pastGracePeriodMs}ms behind this server's clock); raise -validation.past-grace-period`;
        break;
      default:
        message = `series ${series} is invalid`;
    }
    return new ValidationError(SERIES_REJECTION_REASONS[why], message, { tenant });
  }

  /** Checks exemplar `x`; a refused one is flagged EXEMPLAR_FLAG_DROPPED so encoders skip it. */
  validateExemplar(req: DecodedWriteRequest, x: number, limits: SeriesValidationLimits): ExemplarRejection {
    let why: ExemplarRejection = ExemplarRejection.ok;
    if ((req.exemplarFlags[x] & SERIES_FLAG_INVALID_UTF8) !== 0) why = ExemplarRejection.labelsInvalid;
    else if (req.exemplarTimestamps[x] === 0) why = ExemplarRejection.missingTimestamp;
    else if (this.exemplarLabelRunes(req, x) > limits.maxExemplarLabelsLength) why = ExemplarRejection.labelsTooLong;
    if (why !== ExemplarRejection.ok) req.exemplarFlags[x] |= EXEMPLAR_FLAG_DROPPED;
    return why;
  }

  describeExemplar(req: DecodedWriteRequest, x: number, why: ExemplarRejection, limits: SeriesValidationLimits, tenant: string): ValidationError {
    const ex = req.exemplar(x);
    const labels = '{' + ex.labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ') + '}';
    const series = req.seriesString(ex.series);
    const message =
      why === ExemplarRejection.missingTimestamp
        ? `exemplar ${labels} of series ${series} has no timestamp`
        : why === ExemplarRejection.labelsTooLong
          ? `exemplar labels ${truncate(labels)} of series ${series} are longer than ${limits.maxExemplarLabelsLength} characters in total`
          : `exemplar labels of series ${series} are not valid UTF-8`;
    return new ValidationError(EXEMPLAR_REJECTION_REASONS[why], message, { tenant });
  }

  private exemplarLabelRunes(req: DecodedWriteRequest, x: number): number {
    const refs = req.exemplarLabelRefs;
    const buf = req.buf;
    let n = 0;
    for (let e = req.exemplarLabelStart[x], end = req.exemplarLabelStart[x + 1]; e < end; e++) {
      const r = e * LABEL_REF_STRIDE;
      // Count code points: every byte that is not a UTF-8 continuation byte starts one.
      for (const [off, len] of [
        [refs[r], refs[r + 1]],
        [refs[r + 2], refs[r + 3]],
      ]) {
        for (let i = off; i < off + len; i++) if ((buf[i] & 0xc0) !== 0x80) n++;
      }
    }
    return n;
  }

  private dropEmptyValues(req: DecodedWriteRequest, s: number): void {
    const refs = req.labelRefs;
    for (let e = req.seriesLabelEnd[s] - 1; e >= req.seriesLabelStart[s]; e--) {
      if (refs[e * LABEL_REF_STRIDE + 3] === 0) req.dropLabel(s, e);
    }
  }

  private hasDuplicateName(req: DecodedWriteRequest, s: number): boolean {
    const seen = new Set<string>();
    for (let e = req.seriesLabelStart[s]; e < req.seriesLabelEnd[s]; e++) {
      const name = req.labelName(e);
      if (seen.has(name)) return true;
      seen.add(name);
    }
    return false;
  }
}

function truncate(s: string, max = 200): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

function iso(t: number): string {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t);
}
