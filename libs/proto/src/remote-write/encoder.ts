/**
 * Remote write 1.0 and 2.0 encoders from plain objects, for tests, benchmarks and clients (the
 * ruler's remote write, load generators). Not on the ingestion hot path: clarity over speed, but
 * no per-field allocation either (one growable output buffer). Output is canonical protobuf:
 * fields in number order, minimal varints, proto3 defaults (0, "", empty) omitted, packed repeated
 * scalars.
 */

/** A string field's content: text (encoded as UTF-8) or raw bytes (to build invalid UTF-8 in tests). */
export type StringInput = string | Uint8Array;

export interface LabelInput {
  name: StringInput;
  value: StringInput;
}

export interface SampleInput {
  value: number;
  /** Milliseconds since the epoch (an integer, |t| < 2^53). */
  timestamp: number;
}

/** A native histogram; only the fields Panoptes' tests need (integer counts, positive buckets). */
export interface HistogramInput {
  countInt?: number;
  sum?: number;
  schema?: number;
  zeroThreshold?: number;
  zeroCountInt?: number;
  positiveSpans?: Array<{ offset: number; length: number }>;
  positiveDeltas?: number[];
  timestamp: number;
}

export interface ExemplarInput {
  labels: LabelInput[];
  value: number;
  timestamp: number;
}

/**
 * One series' labels encoded once, as the label fields of its `TimeSeries`: a sender that sends
 * the same series every interval (a load generator) then copies bytes instead of re-encoding.
 */
export class EncodedLabelsV1 {
  constructor(readonly bytes: Buffer) {}
}

export function encodeLabelsV1(labels: readonly LabelInput[]): EncodedLabelsV1 {
  const w = new ProtoWriter();
  for (const l of labels) writeLabel(w, 1, l);
  return new EncodedLabelsV1(Buffer.from(w.finish()));
}

export interface TimeSeriesV1Input {
  labels: LabelInput[] | EncodedLabelsV1;
  samples?: SampleInput[];
  exemplars?: ExemplarInput[];
  histograms?: HistogramInput[];
}

export interface MetricMetadataV1Input {
  type: number;
  metricFamilyName: StringInput;
  help?: StringInput;
  unit?: StringInput;
}

export interface WriteRequestV1Input {
  timeseries: TimeSeriesV1Input[];
  metadata?: MetricMetadataV1Input[];
}

export interface MetadataV2Input {
  type: number;
  help?: StringInput;
  unit?: StringInput;
}

export interface TimeSeriesV2Input {
  labels: LabelInput[];
  samples?: SampleInput[];
  exemplars?: ExemplarInput[];
  histograms?: HistogramInput[];
  metadata?: MetadataV2Input;
  createdTimestamp?: number;
}

export interface WriteRequestV2Input {
  timeseries: TimeSeriesV2Input[];
}

/** A 2.0 request with explicit symbol references (to build unusual or invalid requests in tests). */
export interface RawWriteRequestV2 {
  symbols: StringInput[];
  timeseries: Array<{
    labelsRefs: number[];
    samples?: SampleInput[];
    exemplars?: Array<{ labelsRefs: number[]; value: number; timestamp: number }>;
    histograms?: HistogramInput[];
    metadata?: { type: number; helpRef: number; unitRef: number };
    createdTimestamp?: number;
  }>;
}

const TWO_POW_32 = 4294967296;

/** A minimal protobuf writer with canonical length prefixes. */
export class ProtoWriter {
  buf = Buffer.allocUnsafe(1024);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  tag(field: number, wireType: number): void {
    this.uvarint(field * 8 + wireType);
  }

  /** A non-negative integer below 2^53. */
  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** An int64 (two's complement: negative numbers take 10 bytes). */
  int64(v: number): void {
    if (v >= 0) {
      this.uvarint(v);
      return;
    }
    const hi = Math.floor(v / TWO_POW_32);
    let lo = v - hi * TWO_POW_32;
    let h = hi >>> 0;
    this.ensure(10);
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = (lo >>> 7) | ((h & 0x7f) << 25);
      h >>>= 7;
    }
    this.buf[this.pos++] = lo & 1;
  }

  /** A zigzag-encoded sint32/sint64 (|v| < 2^52). */
  sint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  bytes(v: StringInput): void {
    if (typeof v === 'string') {
      const n = Buffer.byteLength(v, 'utf8');
      this.uvarint(n);
      this.ensure(n);
      this.buf.write(v, this.pos, n, 'utf8');
      this.pos += n;
    } else {
      this.uvarint(v.length);
      this.ensure(v.length);
      this.buf.set(v, this.pos);
      this.pos += v.length;
    }
  }

  /** `src` as it is (already encoded fields). */
  raw(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** `len` bytes of `src` from `off`, length-prefixed. */
  rawBytes(src: Uint8Array, off: number, len: number): void {
    this.uvarint(len);
    this.ensure(len);
    this.buf.set(src.subarray(off, off + len), this.pos);
    this.pos += len;
  }

  /** A double given as its 8 little-endian bytes at `src[off..off+8)` (NaN payloads kept). */
  rawDouble(src: Uint8Array, off: number): void {
    this.ensure(8);
    const b = this.buf;
    const p = this.pos;
    b[p] = src[off];
    b[p + 1] = src[off + 1];
    b[p + 2] = src[off + 2];
    b[p + 3] = src[off + 3];
    b[p + 4] = src[off + 4];
    b[p + 5] = src[off + 5];
    b[p + 6] = src[off + 6];
    b[p + 7] = src[off + 7];
    this.pos = p + 8;
  }

  /** Starts a length-delimited field; returns the mark to pass to `end`. */
  begin(field: number): number {
    this.tag(field, 2);
    this.ensure(1);
    return this.pos++; // one byte reserved for the length; `end` widens it when needed
  }

  end(mark: number): void {
    const len = this.pos - mark - 1;
    let n = 1;
    for (let v = len; v >= 0x80; v = Math.floor(v / 128)) n++;
    if (n > 1) {
      this.ensure(n - 1);
      this.buf.copyWithin(mark + n, mark + 1, this.pos);
      this.pos += n - 1;
    }
    let v = len;
    let p = mark;
    while (v >= 0x80) {
      this.buf[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[p] = v;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function isEmpty(s: StringInput | undefined): boolean {
  return s === undefined || s.length === 0;
}

function writeString(w: ProtoWriter, field: number, s: StringInput | undefined): void {
  if (isEmpty(s)) return;
  w.tag(field, 2);
  w.bytes(s!);
}

function writeLabel(w: ProtoWriter, field: number, l: LabelInput): void {
  const m = w.begin(field);
  writeString(w, 1, l.name);
  writeString(w, 2, l.value);
  w.end(m);
}

function writeSample(w: ProtoWriter, field: number, s: SampleInput): void {
  const m = w.begin(field);
  if (s.value !== 0 || Object.is(s.value, -0)) {
    w.tag(1, 1);
    w.double(s.value);
  }
  if (s.timestamp !== 0) {
    w.tag(2, 0);
    w.int64(s.timestamp);
  }
  w.end(m);
}

function writeHistogram(w: ProtoWriter, field: number, h: HistogramInput): void {
  const m = w.begin(field);
  if (h.countInt) {
    w.tag(1, 0);
    w.uvarint(h.countInt);
  }
  if (h.sum) {
    w.tag(3, 1);
    w.double(h.sum);
  }
  if (h.schema) {
    w.tag(4, 0);
    w.sint(h.schema);
  }
  if (h.zeroThreshold) {
    w.tag(5, 1);
    w.double(h.zeroThreshold);
  }
  if (h.zeroCountInt) {
    w.tag(6, 0);
    w.uvarint(h.zeroCountInt);
  }
  for (const span of h.positiveSpans ?? []) {
    const sm = w.begin(11);
    if (span.offset) {
      w.tag(1, 0);
      w.sint(span.offset);
    }
    if (span.length) {
      w.tag(2, 0);
      w.uvarint(span.length);
    }
    w.end(sm);
  }
  if (h.positiveDeltas && h.positiveDeltas.length > 0) {
    const pm = w.begin(12);
    for (const d of h.positiveDeltas) w.sint(d);
    w.end(pm);
  }
  if (h.timestamp) {
    w.tag(15, 0);
    w.int64(h.timestamp);
  }
  w.end(m);
}

function writePackedRefs(w: ProtoWriter, field: number, refs: number[]): void {
  if (refs.length === 0) return;
  const m = w.begin(field);
  for (const r of refs) w.uvarint(r);
  w.end(m);
}

/** Encodes a `prometheus.WriteRequest` (remote write 1.0), uncompressed. */
export function encodeWriteRequestV1(req: WriteRequestV1Input): Buffer {
  const w = new ProtoWriter();
  for (const ts of req.timeseries) {
    const m = w.begin(1);
    if (ts.labels instanceof EncodedLabelsV1) w.raw(ts.labels.bytes);
    else for (const l of ts.labels) writeLabel(w, 1, l);
    for (const s of ts.samples ?? []) writeSample(w, 2, s);
    for (const e of ts.exemplars ?? []) {
      const em = w.begin(3);
      for (const l of e.labels) writeLabel(w, 1, l);
      if (e.value !== 0) {
        w.tag(2, 1);
        w.double(e.value);
      }
      if (e.timestamp !== 0) {
        w.tag(3, 0);
        w.int64(e.timestamp);
      }
      w.end(em);
    }
    for (const h of ts.histograms ?? []) writeHistogram(w, 4, h);
    w.end(m);
  }
  for (const md of req.metadata ?? []) {
    const m = w.begin(3);
    if (md.type) {
      w.tag(1, 0);
      w.uvarint(md.type);
    }
    writeString(w, 2, md.metricFamilyName);
    writeString(w, 4, md.help);
    writeString(w, 5, md.unit);
    w.end(m);
  }
  return Buffer.from(w.finish());
}

/** Encodes an `io.prometheus.write.v2.Request` from explicit symbols and references, uncompressed. */
export function encodeRawWriteRequestV2(req: RawWriteRequestV2): Buffer {
  const w = new ProtoWriter();
  for (const s of req.symbols) {
    w.tag(4, 2);
    w.bytes(s);
  }
  for (const ts of req.timeseries) {
    const m = w.begin(5);
    writePackedRefs(w, 1, ts.labelsRefs);
    for (const s of ts.samples ?? []) writeSample(w, 2, s);
    for (const h of ts.histograms ?? []) writeHistogram(w, 3, h);
    for (const e of ts.exemplars ?? []) {
      const em = w.begin(4);
      writePackedRefs(w, 1, e.labelsRefs);
      if (e.value !== 0) {
        w.tag(2, 1);
        w.double(e.value);
      }
      if (e.timestamp !== 0) {
        w.tag(3, 0);
        w.int64(e.timestamp);
      }
      w.end(em);
    }
    if (ts.metadata) {
      // A present metadata message is always written (the 2.0 sender does), even when all-default.
      const mm = w.begin(5);
      if (ts.metadata.type) {
        w.tag(1, 0);
        w.uvarint(ts.metadata.type);
      }
      if (ts.metadata.helpRef) {
        w.tag(3, 0);
        w.uvarint(ts.metadata.helpRef);
      }
      if (ts.metadata.unitRef) {
        w.tag(4, 0);
        w.uvarint(ts.metadata.unitRef);
      }
      w.end(mm);
    }
    if (ts.createdTimestamp) {
      w.tag(6, 0);
      w.int64(ts.createdTimestamp);
    }
    w.end(m);
  }
  return Buffer.from(w.finish());
}

/** Builds the 2.0 symbol table (starting with "") and references for plain labels. */
export function symbolizeWriteRequestV2(req: WriteRequestV2Input): RawWriteRequestV2 {
  const symbols: StringInput[] = [''];
  const index = new Map<string, number>([['s', 0]]); // keys: 's' + text or 'b' + hex of bytes
  const ref = (s: StringInput | undefined): number => {
    if (s === undefined) return 0;
    const key = typeof s === 'string' ? 's' + s : 'b' + Buffer.from(s).toString('hex');
    let i = index.get(key);
    if (i === undefined) {
      i = symbols.length;
      symbols.push(s);
      index.set(key, i);
    }
    return i;
  };
  const refsOf = (labels: LabelInput[]): number[] => labels.flatMap((l) => [ref(l.name), ref(l.value)]);
  return {
    symbols,
    timeseries: req.timeseries.map((ts) => ({
      labelsRefs: refsOf(ts.labels),
      samples: ts.samples,
      histograms: ts.histograms,
      exemplars: ts.exemplars?.map((e) => ({ labelsRefs: refsOf(e.labels), value: e.value, timestamp: e.timestamp })),
      metadata: ts.metadata && { type: ts.metadata.type, helpRef: ref(ts.metadata.help), unitRef: ref(ts.metadata.unit) },
      createdTimestamp: ts.createdTimestamp,
    })),
  };
}

/** Encodes an `io.prometheus.write.v2.Request` (remote write 2.0) from plain labels, uncompressed. */
export function encodeWriteRequestV2(req: WriteRequestV2Input): Buffer {
  return encodeRawWriteRequestV2(symbolizeWriteRequestV2(req));
}
