import {
  SERIES_FLAG_INVALID_UTF8,
  SERIES_FLAG_UNSORTED_LABELS,
  SeriesKeyHasher,
  compareBytes,
  firstInvalidUtf8Entry,
} from '../hash/series-hash';

/** Remote write protocol version: 1 = `prometheus.WriteRequest`, 2 = `io.prometheus.write.v2.Request`. */
export type RemoteWriteVersion = 1 | 2;

/** Metric type numbers; identical in remote write 1.0 (`MetricMetadata.MetricType`) and 2.0 (`Metadata.MetricType`). */
export enum MetricType {
  Unknown = 0,
  Counter = 1,
  Gauge = 2,
  Histogram = 3,
  GaugeHistogram = 4,
  Summary = 5,
  Info = 6,
  StateSet = 7,
}

export interface Label {
  name: string;
  value: string;
}

export interface MaterialisedMetadata {
  type: MetricType;
  metricFamilyName: string;
  help: string;
  unit: string;
}

export interface MaterialisedExemplar {
  series: number;
  labels: Label[];
  value: number;
  timestamp: number;
}

/** Counts for the `X-Prometheus-Remote-Write-*-Written` response headers. */
export interface RemoteWriteStats {
  samples: number;
  histograms: number;
  exemplars: number;
}

/** Entries per label reference in `labelRefs` / `exemplarLabelRefs`. */
export const LABEL_REF_STRIDE = 4;
/** Entries per metadata record in `metadataRefs`. */
export const METADATA_REF_STRIDE = 6;

function growU32(a: Uint32Array, min: number): Uint32Array {
  const b = new Uint32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}
function growI32(a: Int32Array, min: number): Int32Array {
  const b = new Int32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}
function growF64(a: Float64Array, min: number): Float64Array {
  const b = new Float64Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}
function growU8(a: Uint8Array, min: number): Uint8Array {
  const b = new Uint8Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

const EMPTY = Buffer.alloc(0);

/**
 * One decoded remote write request (1.0 or 2.0) in columnar form. Strings are never copied: every
 * label name/value, help text and unit is an (offset, length) pair of bytes inside `buf`, the
 * decompressed body (for 2.0, the bytes of the referenced symbol table entry).
 *
 * Ownership: a `RemoteWriteDecoder` owns one instance and refills it on every `decode`; its arrays
 * are reused (grown, never shrunk below their initial size unless over the retain limit), so the
 * contents are valid only until the next `decode` on the same decoder. Copy what must outlive it.
 * Arrays may be longer than the counts: read only the first `…Count` entries.
 *
 * Layout (s = series index, e = label entry index, x = exemplar index, m = metadata index):
 * - series s owns label entries `[seriesLabelStart[s], seriesLabelEnd[s])` and samples
 *   `[seriesSampleStart[s], seriesSampleStart[s+1])` (CSR: seriesSampleStart has seriesCount+1
 *   entries). Label ranges have their own end so `dropLabel` can shrink one series in place.
 * - `labelRefs[4e..4e+3]` = name offset, name length, value offset, value length.
 * - `timestamps[i]` (ms since the epoch, exact within ±2^53) and `values[i]`.
 * - `seriesHashHi[s]`/`seriesHashLo[s]`: the series hash (see hash/series-hash.ts), seeded with the
 *   seed given to `decode`; `seriesFlags[s]`: SERIES_FLAG_* bits.
 * - `seriesKeyStart[s]`/`seriesKeyEnd[s]`: where the series' canonical key (the bytes its hash is
 *   computed over, see hash/series-hash.ts) lies contiguously in `buf`, or -1 when it does not
 *   (2.0, unusual 1.0 encodings, labels changed after decoding). Lets a consumer compare a whole
 *   label set with one byte comparison.
 * - `seriesHistogramCount[s]`: native histograms in the series (not decoded: they are rejected).
 * - `seriesCreatedTimestamp[s]`: 2.0 `created_timestamp` (0 = unset, always 0 for 1.0).
 * - exemplar x belongs to series `exemplarSeries[x]`, labels `[exemplarLabelStart[x], exemplarLabelStart[x+1])`
 *   of `exemplarLabelRefs` (same stride as labelRefs), and has `exemplarValues[x]`, `exemplarTimestamps[x]`,
 *   `exemplarFlags[x]` (SERIES_FLAG_INVALID_UTF8 only).
 * - metadata m: `metadataType[m]` (a MetricType; other numbers are kept as sent), `metadataRefs[6m..6m+5]` = family name off/len, help off/len,
 *   unit off/len; `metadataSeries[m]` = the series it came with (2.0) or -1 (1.0, request level).
 *   A 2.0 series' metadata is recorded only when it says something (a type, help or unit), with the
 *   series' `__name__` as family name.
 */
export class DecodedWriteRequest {
  version: RemoteWriteVersion = 1;
  buf: Buffer = EMPTY;
  /** Seed the series hashes were computed with. */
  hashSeed = 0;
  /**
   * Bumped by every refill (`reset`): a holder of this object that noted the generation knows it
   * still describes the same body when the generation has not moved (see `DecodedAttachment`).
   */
  generation = 0;

  seriesCount = 0;
  labelCount = 0;
  sampleCount = 0;
  histogramCount = 0;
  exemplarCount = 0;
  exemplarLabelCount = 0;
  metadataCount = 0;
  /** Entries in the 2.0 symbol table (0 for 1.0). */
  symbolCount = 0;
  /** Series with SERIES_FLAG_UNSORTED_LABELS set; 0 means no series needs sorting. */
  unsortedSeriesCount = 0;
  /** Series and exemplars with SERIES_FLAG_INVALID_UTF8 set; 0 means every label is valid UTF-8. */
  invalidUtf8Count = 0;

  seriesLabelStart: Uint32Array;
  seriesLabelEnd: Uint32Array;
  seriesSampleStart: Uint32Array;
  seriesHashHi: Uint32Array;
  seriesHashLo: Uint32Array;
  seriesFlags: Uint8Array;
  seriesKeyStart: Int32Array;
  seriesKeyEnd: Uint32Array;
  seriesHistogramCount: Uint32Array;
  seriesCreatedTimestamp: Float64Array;
  labelRefs: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;

  exemplarSeries: Uint32Array;
  exemplarLabelStart: Uint32Array;
  exemplarLabelRefs: Uint32Array;
  exemplarValues: Float64Array;
  exemplarTimestamps: Float64Array;
  exemplarFlags: Uint8Array;

  metadataType: Uint32Array;
  metadataRefs: Uint32Array;
  metadataSeries: Int32Array;

  private readonly hasher = new SeriesKeyHasher();

  constructor(
    private readonly initialSeries = 256,
    private readonly initialSamples = 4096,
  ) {
    this.seriesLabelStart = new Uint32Array(initialSeries);
    this.seriesLabelEnd = new Uint32Array(initialSeries);
    this.seriesSampleStart = new Uint32Array(initialSeries + 1);
    this.seriesHashHi = new Uint32Array(initialSeries);
    this.seriesHashLo = new Uint32Array(initialSeries);
    this.seriesFlags = new Uint8Array(initialSeries);
    this.seriesKeyStart = new Int32Array(initialSeries);
    this.seriesKeyEnd = new Uint32Array(initialSeries);
    this.seriesHistogramCount = new Uint32Array(initialSeries);
    this.seriesCreatedTimestamp = new Float64Array(initialSeries);
    this.labelRefs = new Uint32Array(initialSeries * 8 * LABEL_REF_STRIDE);
    this.timestamps = new Float64Array(initialSamples);
    this.values = new Float64Array(initialSamples);
    this.exemplarSeries = new Uint32Array(16);
    this.exemplarLabelStart = new Uint32Array(17);
    this.exemplarLabelRefs = new Uint32Array(64);
    this.exemplarValues = new Float64Array(16);
    this.exemplarTimestamps = new Float64Array(16);
    this.exemplarFlags = new Uint8Array(16);
    this.metadataType = new Uint32Array(16);
    this.metadataRefs = new Uint32Array(16 * METADATA_REF_STRIDE);
    this.metadataSeries = new Int32Array(16);
  }

  // ---- reading ----------------------------------------------------------------------------------

  labelCountOf(s: number): number {
    return this.seriesLabelEnd[s] - this.seriesLabelStart[s];
  }

  sampleCountOf(s: number): number {
    return this.seriesSampleStart[s + 1] - this.seriesSampleStart[s];
  }

  /** Counts for the response headers (what was decoded; the caller reports what it wrote). */
  stats(): RemoteWriteStats {
    return { samples: this.sampleCount, histograms: this.histogramCount, exemplars: this.exemplarCount };
  }

  /** The name of label entry `e` (an index into labelRefs, not into the series). */
  labelName(e: number): string {
    const r = e * LABEL_REF_STRIDE;
    return this.str(this.labelRefs[r], this.labelRefs[r + 1]);
  }

  labelValue(e: number): string {
    const r = e * LABEL_REF_STRIDE;
    return this.str(this.labelRefs[r + 2], this.labelRefs[r + 3]);
  }

  /** Materialises series `s`'s labels as strings (new series, errors; not per sample). */
  seriesLabels(s: number): Label[] {
    const out: Label[] = [];
    for (let e = this.seriesLabelStart[s], end = this.seriesLabelEnd[s]; e < end; e++) {
      out.push({ name: this.labelName(e), value: this.labelValue(e) });
    }
    return out;
  }

  /** `{__name__="up", job="x"}` for error messages and logs (values JSON-escaped). */
  seriesString(s: number): string {
    return '{' + this.seriesLabels(s).map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ') + '}';
  }

  /** The value of series `s`'s `__name__` label, or undefined. */
  metricName(s: number): string | undefined {
    const e = this.findLabel(s, METRIC_NAME);
    return e < 0 ? undefined : this.labelValue(e);
  }

  /** The label entry of series `s` whose name equals `name` (UTF-8 bytes), or -1. */
  findLabel(s: number, name: Uint8Array): number {
    const refs = this.labelRefs;
    const buf = this.buf;
    for (let e = this.seriesLabelStart[s], end = this.seriesLabelEnd[s]; e < end; e++) {
      const r = e * LABEL_REF_STRIDE;
      if (refs[r + 1] !== name.length) continue;
      const off = refs[r];
      let i = 0;
      while (i < name.length && buf[off + i] === name[i]) i++;
      if (i === name.length) return e;
    }
    return -1;
  }

  /** The first label entry of series `s` that is not valid UTF-8, or -1 (for the error message). */
  invalidUtf8Label(s: number): number {
    return firstInvalidUtf8Entry(this.buf, this.labelRefs, this.seriesLabelStart[s], this.seriesLabelEnd[s]);
  }

  exemplar(x: number): MaterialisedExemplar {
    const labels: Label[] = [];
    const refs = this.exemplarLabelRefs;
    for (let e = this.exemplarLabelStart[x], end = this.exemplarLabelStart[x + 1]; e < end; e++) {
      const r = e * LABEL_REF_STRIDE;
      labels.push({ name: this.str(refs[r], refs[r + 1]), value: this.str(refs[r + 2], refs[r + 3]) });
    }
    return {
      series: this.exemplarSeries[x],
      labels,
      value: this.exemplarValues[x],
      timestamp: this.exemplarTimestamps[x],
    };
  }

  metadata(m: number): MaterialisedMetadata {
    const r = m * METADATA_REF_STRIDE;
    const refs = this.metadataRefs;
    return {
      type: this.metadataType[m] as MetricType,
      metricFamilyName: this.str(refs[r], refs[r + 1]),
      help: this.str(refs[r + 2], refs[r + 3]),
      unit: this.str(refs[r + 4], refs[r + 5]),
    };
  }

  /**
   * Sorts series `s`'s label entries by name (byte order, stable) and recomputes its hash and flags,
   * so that a sender's unsorted labels shard like sorted ones. Duplicate names stay flagged
   * (SERIES_FLAG_UNSORTED_LABELS): the caller must reject those.
   */
  sortLabels(s: number): void {
    const from = this.seriesLabelStart[s];
    const to = this.seriesLabelEnd[s];
    const refs = this.labelRefs;
    const buf = this.buf;
    const entries: number[][] = [];
    for (let e = from; e < to; e++) {
      const r = e * LABEL_REF_STRIDE;
      entries.push([refs[r], refs[r + 1], refs[r + 2], refs[r + 3]]);
    }
    entries.sort((a, b) => compareBytes(buf, a[0], a[1], b[0], b[1]));
    for (let i = 0; i < entries.length; i++) refs.set(entries[i], (from + i) * LABEL_REF_STRIDE);
    this.rehash(s);
  }

  /**
   * Removes label entry `e` from series `s` (e.g. the HA replica label, or a label with an empty
   * value) and recomputes the series' hash and flags. Other series are not moved.
   */
  dropLabel(s: number, e: number): void {
    const end = this.seriesLabelEnd[s];
    if (e < this.seriesLabelStart[s] || e >= end) throw new RangeError(`label entry ${e} is not in series ${s}`);
    this.labelRefs.copyWithin(e * LABEL_REF_STRIDE, (e + 1) * LABEL_REF_STRIDE, end * LABEL_REF_STRIDE);
    this.seriesLabelEnd[s] = end - 1;
    this.rehash(s);
  }

  /** Recomputes series `s`'s hash and flags from its current label entries. */
  rehash(s: number): void {
    const old = this.seriesFlags[s];
    const flags = this.hasher.hashEntries(this.buf, this.labelRefs, this.seriesLabelStart[s], this.seriesLabelEnd[s], this.hashSeed);
    this.setHash(s, flags);
    // The labels no longer match the bytes in the body.
    this.seriesKeyStart[s] = -1;
    this.seriesKeyEnd[s] = 0;
    this.unsortedSeriesCount += (flags & SERIES_FLAG_UNSORTED_LABELS) - (old & SERIES_FLAG_UNSORTED_LABELS);
    this.invalidUtf8Count += ((flags & SERIES_FLAG_INVALID_UTF8) - (old & SERIES_FLAG_INVALID_UTF8)) / SERIES_FLAG_INVALID_UTF8;
  }

  private setHash(s: number, flags: number): void {
    this.seriesHashHi[s] = this.hasher.out[0];
    this.seriesHashLo[s] = this.hasher.out[1];
    this.seriesFlags[s] = flags;
  }

  private str(off: number, len: number): string {
    return len === 0 ? '' : this.buf.toString('utf8', off, off + len);
  }

  // ---- writing (the decoder's side) -------------------------------------------------------------

  /** Starts a new fill: forgets the previous request's contents (keeps, or trims, the arrays). */
  reset(buf: Buffer, version: RemoteWriteVersion, seed: number, retainSeries: number, retainSamples: number): void {
    this.generation++;
    this.buf = buf;
    this.version = version;
    this.hashSeed = seed >>> 0;
    this.seriesCount = 0;
    this.labelCount = 0;
    this.sampleCount = 0;
    this.histogramCount = 0;
    this.exemplarCount = 0;
    this.exemplarLabelCount = 0;
    this.metadataCount = 0;
    this.symbolCount = 0;
    this.unsortedSeriesCount = 0;
    this.invalidUtf8Count = 0;
    this.seriesSampleStart[0] = 0;
    this.exemplarLabelStart[0] = 0;
    if (this.seriesHashHi.length > retainSeries) this.resizeSeries(this.initialSeries);
    if (this.labelRefs.length > retainSeries * 16 * LABEL_REF_STRIDE) {
      this.labelRefs = new Uint32Array(this.initialSeries * 8 * LABEL_REF_STRIDE);
    }
    if (this.timestamps.length > retainSamples) {
      this.timestamps = new Float64Array(this.initialSamples);
      this.values = new Float64Array(this.initialSamples);
    }
  }

  /** Drops the reference to the body so it can be garbage collected (arrays are kept). */
  release(): void {
    this.buf = EMPTY;
  }

  private resizeSeries(n: number): void {
    this.seriesLabelStart = new Uint32Array(n);
    this.seriesLabelEnd = new Uint32Array(n);
    this.seriesSampleStart = new Uint32Array(n + 1);
    this.seriesHashHi = new Uint32Array(n);
    this.seriesHashLo = new Uint32Array(n);
    this.seriesFlags = new Uint8Array(n);
    this.seriesKeyStart = new Int32Array(n);
    this.seriesKeyEnd = new Uint32Array(n);
    this.seriesHistogramCount = new Uint32Array(n);
    this.seriesCreatedTimestamp = new Float64Array(n);
  }

  /** Opens series number `seriesCount` (labels and samples start at the current counts). */
  beginSeries(): number {
    const s = this.seriesCount;
    if (s === this.seriesLabelStart.length) {
      const n = Math.max(16, s * 2);
      this.seriesLabelStart = growU32(this.seriesLabelStart, n);
      this.seriesLabelEnd = growU32(this.seriesLabelEnd, n);
      this.seriesSampleStart = growU32(this.seriesSampleStart, n + 1);
      this.seriesHashHi = growU32(this.seriesHashHi, n);
      this.seriesHashLo = growU32(this.seriesHashLo, n);
      this.seriesFlags = growU8(this.seriesFlags, n);
      this.seriesKeyStart = growI32(this.seriesKeyStart, n);
      this.seriesKeyEnd = growU32(this.seriesKeyEnd, n);
      this.seriesHistogramCount = growU32(this.seriesHistogramCount, n);
      this.seriesCreatedTimestamp = growF64(this.seriesCreatedTimestamp, n);
    }
    this.seriesLabelStart[s] = this.labelCount;
    this.seriesSampleStart[s] = this.sampleCount;
    this.seriesHistogramCount[s] = 0;
    this.seriesCreatedTimestamp[s] = 0;
    return s;
  }

  /**
   * Closes series `s`: records where its labels and samples end, hashes its labels and sets its
   * flags. `keyStart`/`keyEnd`: where the labels' canonical encoding lies contiguously in `buf`
   * (checked by the 1.0 decoder), or -1 when it must be built.
   */
  endSeries(s: number, keyStart: number, keyEnd: number): void {
    const from = this.seriesLabelStart[s];
    const to = this.labelCount;
    this.seriesLabelEnd[s] = to;
    this.seriesSampleStart[s + 1] = this.sampleCount;
    const flags =
      keyStart >= 0
        ? this.hasher.hashInPlace(this.buf, keyStart, keyEnd, this.labelRefs, from, to, this.hashSeed)
        : this.hasher.hashEntries(this.buf, this.labelRefs, from, to, this.hashSeed);
    this.setHash(s, flags);
    this.seriesKeyStart[s] = keyStart >= 0 ? keyStart : -1;
    this.seriesKeyEnd[s] = keyStart >= 0 ? keyEnd : 0;
    if (flags !== 0) {
      if (flags & SERIES_FLAG_UNSORTED_LABELS) this.unsortedSeriesCount++;
      if (flags & SERIES_FLAG_INVALID_UTF8) this.invalidUtf8Count++;
    }
    this.seriesCount = s + 1;
  }

  pushLabel(nameOff: number, nameLen: number, valueOff: number, valueLen: number): void {
    const e = this.labelCount;
    let refs = this.labelRefs;
    const r = e * LABEL_REF_STRIDE;
    if (r + LABEL_REF_STRIDE > refs.length) refs = this.labelRefs = growU32(refs, r + LABEL_REF_STRIDE);
    refs[r] = nameOff;
    refs[r + 1] = nameLen;
    refs[r + 2] = valueOff;
    refs[r + 3] = valueLen;
    this.labelCount = e + 1;
  }

  pushSample(timestamp: number, value: number): void {
    const i = this.sampleCount;
    if (i === this.timestamps.length) {
      this.timestamps = growF64(this.timestamps, i + 1);
      this.values = growF64(this.values, i + 1);
    }
    this.timestamps[i] = timestamp;
    this.values[i] = value;
    this.sampleCount = i + 1;
  }

  beginExemplar(series: number): number {
    const x = this.exemplarCount;
    if (x + 1 >= this.exemplarLabelStart.length) {
      const n = this.exemplarSeries.length * 2;
      this.exemplarSeries = growU32(this.exemplarSeries, n);
      this.exemplarLabelStart = growU32(this.exemplarLabelStart, n + 1);
      this.exemplarValues = growF64(this.exemplarValues, n);
      this.exemplarTimestamps = growF64(this.exemplarTimestamps, n);
      this.exemplarFlags = growU8(this.exemplarFlags, n);
    }
    this.exemplarSeries[x] = series;
    this.exemplarLabelStart[x] = this.exemplarLabelCount;
    this.exemplarValues[x] = 0;
    this.exemplarTimestamps[x] = 0;
    return x;
  }

  pushExemplarLabel(nameOff: number, nameLen: number, valueOff: number, valueLen: number): void {
    const e = this.exemplarLabelCount;
    let refs = this.exemplarLabelRefs;
    const r = e * LABEL_REF_STRIDE;
    if (r + LABEL_REF_STRIDE > refs.length) refs = this.exemplarLabelRefs = growU32(refs, r + LABEL_REF_STRIDE);
    refs[r] = nameOff;
    refs[r + 1] = nameLen;
    refs[r + 2] = valueOff;
    refs[r + 3] = valueLen;
    this.exemplarLabelCount = e + 1;
  }

  endExemplar(x: number, value: number, timestamp: number): void {
    const from = this.exemplarLabelStart[x];
    const to = this.exemplarLabelCount;
    this.exemplarLabelStart[x + 1] = to;
    this.exemplarValues[x] = value;
    this.exemplarTimestamps[x] = timestamp;
    const bad = firstInvalidUtf8Entry(this.buf, this.exemplarLabelRefs, from, to) >= 0;
    this.exemplarFlags[x] = bad ? SERIES_FLAG_INVALID_UTF8 : 0;
    if (bad) this.invalidUtf8Count++;
    this.exemplarCount = x + 1;
  }

  pushMetadata(series: number, type: number, refs6: Uint32Array): void {
    const m = this.metadataCount;
    if (m === this.metadataType.length) {
      this.metadataType = growU32(this.metadataType, m + 1);
      this.metadataRefs = growU32(this.metadataRefs, (m + 1) * METADATA_REF_STRIDE);
      this.metadataSeries = growI32(this.metadataSeries, m + 1);
    }
    this.metadataType[m] = type;
    this.metadataRefs.set(refs6, m * METADATA_REF_STRIDE);
    this.metadataSeries[m] = series;
    this.metadataCount = m + 1;
  }
}

/** `__name__` as UTF-8 bytes, for `findLabel`. */
export const METRIC_NAME = Buffer.from('__name__', 'latin1');
