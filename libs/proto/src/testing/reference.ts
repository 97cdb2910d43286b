import { seededRandom } from '@panoptes/common';

/**
 * Test-only helpers: an independent protobuf implementation (protobufjs, loaded from this library's
 * .proto files) to cross-check the hand-written decoder and encoder, a seeded random request
 * generator, and normalisers that turn every representation into one comparable plain shape.
 * Never imported by production code (the build excludes `testing/`).
 */
import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { DecodedWriteRequest } from '../remote-write/decoded-write-request';
import {
  EncodedLabelsV1,
  ExemplarInput,
  HistogramInput,
  LabelInput,
  RawWriteRequestV2,
  SampleInput,
  StringInput,
  WriteRequestV1Input,
  WriteRequestV2Input,
} from '../remote-write/encoder';

const PROTO_DIR = join(__dirname, '..', '..', 'proto');

let v1Type: protobuf.Type | undefined;
let v2Type: protobuf.Type | undefined;

export function protobufjsV1(): protobuf.Type {
  v1Type ??= protobuf.loadSync(join(PROTO_DIR, 'prometheus', 'remote.proto')).lookupType('prometheus.WriteRequest');
  return v1Type;
}

export function protobufjsV2(): protobuf.Type {
  v2Type ??= protobuf.loadSync(join(PROTO_DIR, 'io', 'prometheus', 'write', 'v2', 'types.proto')).lookupType('io.prometheus.write.v2.Request');
  return v2Type;
}

// ---- the comparable shape ----------------------------------------------------------------------

export interface NormLabel {
  name: string;
  value: string;
}
export interface NormSample {
  value: number;
  timestamp: number;
}
export interface NormExemplar {
  labels: NormLabel[];
  value: number;
  timestamp: number;
}
export interface NormMetadata {
  type: number;
  metricFamilyName: string;
  help: string;
  unit: string;
}
export interface NormSeries {
  labels: NormLabel[];
  samples: NormSample[];
  exemplars: NormExemplar[];
  histograms: number;
  createdTimestamp: number;
}
export interface NormRequest {
  timeseries: NormSeries[];
  metadata: NormMetadata[];
}

const str = (s: StringInput | undefined): string => (s === undefined ? '' : typeof s === 'string' ? s : Buffer.from(s).toString('utf8'));
const labels = (ls: LabelInput[] | EncodedLabelsV1): NormLabel[] => {
  if (ls instanceof EncodedLabelsV1) throw new Error('the reference normaliser takes plain labels, not pre-encoded ones');
  return ls.map((l) => ({ name: str(l.name), value: str(l.value) }));
};
const samples = (ss: SampleInput[] | undefined): NormSample[] => (ss ?? []).map((s) => ({ value: s.value, timestamp: s.timestamp }));
const exemplars = (es: ExemplarInput[] | undefined): NormExemplar[] =>
  (es ?? []).map((e) => ({ labels: labels(e.labels), value: e.value, timestamp: e.timestamp }));

export function normaliseV1Input(req: WriteRequestV1Input): NormRequest {
  return {
    timeseries: req.timeseries.map((ts) => ({
      labels: labels(ts.labels),
      samples: samples(ts.samples),
      exemplars: exemplars(ts.exemplars),
      histograms: ts.histograms?.length ?? 0,
      createdTimestamp: 0,
    })),
    metadata: (req.metadata ?? []).map((m) => ({
      type: m.type,
      metricFamilyName: str(m.metricFamilyName),
      help: str(m.help),
      unit: str(m.unit),
    })),
  };
}

/** 2.0 metadata comes per series; the decoder records it (with the series' name) when non-empty. */
export function normaliseV2Input(req: WriteRequestV2Input): NormRequest {
  const metadata: NormMetadata[] = [];
  for (const ts of req.timeseries) {
    const m = ts.metadata;
    if (m && (m.type !== 0 || str(m.help) !== '' || str(m.unit) !== '')) {
      const name = ts.labels.find((l) => str(l.name) === '__name__');
      metadata.push({ type: m.type, metricFamilyName: name ? str(name.value) : '', help: str(m.help), unit: str(m.unit) });
    }
  }
  return {
    timeseries: req.timeseries.map((ts) => ({
      labels: labels(ts.labels),
      samples: samples(ts.samples),
      exemplars: exemplars(ts.exemplars),
      histograms: ts.histograms?.length ?? 0,
      createdTimestamp: ts.createdTimestamp ?? 0,
    })),
    metadata,
  };
}

/** Everything a decoded request holds, materialised (tests only: allocates freely). */
export function materialise(d: DecodedWriteRequest): NormRequest {
  const timeseries: NormSeries[] = [];
  for (let s = 0; s < d.seriesCount; s++) {
    const ss: NormSample[] = [];
    for (let i = d.seriesSampleStart[s]; i < d.seriesSampleStart[s + 1]; i++) ss.push({ value: d.values[i], timestamp: d.timestamps[i] });
    timeseries.push({ labels: d.seriesLabels(s), samples: ss, exemplars: [], histograms: d.seriesHistogramCount[s], createdTimestamp: d.seriesCreatedTimestamp[s] });
  }
  for (let x = 0; x < d.exemplarCount; x++) {
    const e = d.exemplar(x);
    timeseries[e.series].exemplars.push({ labels: e.labels, value: e.value, timestamp: e.timestamp });
  }
  const metadata: NormMetadata[] = [];
  for (let m = 0; m < d.metadataCount; m++) metadata.push({ ...d.metadata(m) });
  return { timeseries, metadata };
}

interface PbjsLabel {
  name: string;
  value: string;
}
interface PbjsSample {
  value: number;
  timestamp: string;
}
interface PbjsExemplar {
  labels?: PbjsLabel[];
  labelsRefs?: number[];
  value: number;
  timestamp: string;
}

const CONVERSION: protobuf.IConversionOptions = { longs: String, enums: Number, defaults: true, arrays: true };

/** protobufjs' decoding of a 1.0 body, normalised. */
export function protobufjsDecodeV1(body: Uint8Array): NormRequest {
  const type = protobufjsV1();
  const obj = type.toObject(type.decode(body), CONVERSION) as {
    timeseries: Array<{ labels: PbjsLabel[]; samples: PbjsSample[]; exemplars: PbjsExemplar[]; histograms: unknown[] }>;
    metadata: Array<{ type: number; metricFamilyName: string; help: string; unit: string }>;
  };
  return {
    timeseries: obj.timeseries.map((ts) => ({
      labels: ts.labels.map((l) => ({ name: l.name, value: l.value })),
      samples: ts.samples.map((s) => ({ value: s.value, timestamp: Number(s.timestamp) })),
      exemplars: ts.exemplars.map((e) => ({
        labels: (e.labels ?? []).map((l) => ({ name: l.name, value: l.value })),
        value: e.value,
        timestamp: Number(e.timestamp),
      })),
      histograms: ts.histograms.length,
      createdTimestamp: 0,
    })),
    metadata: obj.metadata.map((m) => ({ type: m.type, metricFamilyName: m.metricFamilyName, help: m.help, unit: m.unit })),
  };
}

/** protobufjs' decoding of a 2.0 body, resolved through its symbol table and normalised. */
export function protobufjsDecodeV2(body: Uint8Array): NormRequest {
  const type = protobufjsV2();
  const obj = type.toObject(type.decode(body), CONVERSION) as {
    symbols: string[];
    timeseries: Array<{
      labelsRefs: number[];
      samples: PbjsSample[];
      exemplars: PbjsExemplar[];
      histograms: unknown[];
      metadata: { type: number; helpRef: number; unitRef: number } | null;
      createdTimestamp: string;
    }>;
  };
  const sym = obj.symbols;
  const resolve = (refs: number[]): NormLabel[] => {
    const out: NormLabel[] = [];
    for (let i = 0; i + 1 < refs.length; i += 2) out.push({ name: sym[refs[i]], value: sym[refs[i + 1]] });
    return out;
  };
  const metadata: NormMetadata[] = [];
  const timeseries = obj.timeseries.map((ts) => {
    const ls = resolve(ts.labelsRefs);
    const m = ts.metadata;
    if (m && (m.type !== 0 || m.helpRef !== 0 || m.unitRef !== 0)) {
      metadata.push({ type: m.type, metricFamilyName: ls.find((l) => l.name === '__name__')?.value ?? '', help: sym[m.helpRef], unit: sym[m.unitRef] });
    }
    return {
      labels: ls,
      samples: ts.samples.map((s) => ({ value: s.value, timestamp: Number(s.timestamp) })),
      exemplars: ts.exemplars.map((e) => ({ labels: resolve(e.labelsRefs ?? []), value: e.value, timestamp: Number(e.timestamp) })),
      histograms: ts.histograms.length,
      createdTimestamp: Number(ts.createdTimestamp),
    };
  });
  return { timeseries, metadata };
}

/** protobufjs' encoding of a 1.0 request (independent of encodeWriteRequestV1). */
export function protobufjsEncodeV1(req: WriteRequestV1Input): Uint8Array {
  const type = protobufjsV1();
  const norm = normaliseV1Input(req);
  const obj = {
    timeseries: norm.timeseries.map((ts, i) => ({
      labels: ts.labels,
      samples: ts.samples,
      exemplars: ts.exemplars,
      histograms: (req.timeseries[i].histograms ?? []).map(pbjsHistogram),
    })),
    metadata: norm.metadata,
  };
  return type.encode(type.fromObject(obj)).finish();
}

/** protobufjs' encoding of a 2.0 request with explicit symbols. */
export function protobufjsEncodeV2(raw: RawWriteRequestV2): Uint8Array {
  const type = protobufjsV2();
  const obj = {
    symbols: raw.symbols.map(str),
    timeseries: raw.timeseries.map((ts) => ({
      labelsRefs: ts.labelsRefs,
      samples: ts.samples ?? [],
      histograms: (ts.histograms ?? []).map(pbjsHistogram),
      exemplars: ts.exemplars ?? [],
      metadata: ts.metadata,
      createdTimestamp: ts.createdTimestamp ?? 0,
    })),
  };
  return type.encode(type.fromObject(obj)).finish();
}

function pbjsHistogram(h: HistogramInput): Record<string, unknown> {
  return {
    countInt: h.countInt ?? 0,
    sum: h.sum ?? 0,
    schema: h.schema ?? 0,
    zeroThreshold: h.zeroThreshold ?? 0,
    zeroCountInt: h.zeroCountInt ?? 0,
    positiveSpans: h.positiveSpans ?? [],
    positiveDeltas: h.positiveDeltas ?? [],
    timestamp: h.timestamp,
  };
}

// ---- seeded random requests --------------------------------------------------------------------

/** A deterministic PRNG, so property tests are reproducible from their seed. */
export const rng = seededRandom;


const ALPHABET = ['a', 'b', 'z', '_', '0', '9', ':', '-', ' ', '"', 'é', '日', '本', '🚀', '\n'];

export class RandomRequests {
  private readonly r: () => number;

  constructor(seed: number) {
    this.r = rng(seed);
  }

  int(max: number): number {
    return Math.floor(this.r() * max);
  }

  string(maxLen: number): string {
    let s = '';
    const n = this.r() < 0.1 ? 130 + this.int(200) : this.int(maxLen + 1); // sometimes ≥ 128 bytes
    for (let i = 0; i < n; i++) s += ALPHABET[this.int(ALPHABET.length)];
    return s;
  }

  timestamp(): number {
    const k = this.int(5);
    if (k === 0) return 0;
    if (k === 1) return -this.int(2 ** 40);
    if (k === 2) return this.int(2 ** 53 - 1);
    return 1_600_000_000_000 + this.int(2 ** 36);
  }

  value(): number {
    const k = this.int(8);
    if (k === 0) return 0;
    if (k === 1) return NaN;
    if (k === 2) return -Infinity;
    if (k === 3) return -0.5 * this.int(1000);
    return this.r() * 1e6;
  }

  labels(max: number): LabelInput[] {
    const n = this.int(max + 1);
    const byName = new Map<string, string>();
    if (this.r() < 0.8) byName.set('__name__', 'metric_' + this.int(20));
    for (let i = 0; i < n; i++) byName.set(this.string(12), this.string(20));
    return [...byName.entries()].sort(([a], [b]) => (Buffer.compare(Buffer.from(a), Buffer.from(b)))).map(([name, value]) => ({ name, value }));
  }

  samples(): SampleInput[] {
    return Array.from({ length: this.int(6) }, () => ({ value: this.value(), timestamp: this.timestamp() }));
  }

  exemplars(): ExemplarInput[] {
    return Array.from({ length: this.r() < 0.7 ? 0 : this.int(3) }, () => ({ labels: this.labels(2), value: this.value(), timestamp: this.timestamp() }));
  }

  histograms(): HistogramInput[] {
    return Array.from({ length: this.r() < 0.8 ? 0 : 1 + this.int(2) }, () => ({
      countInt: this.int(1000),
      sum: this.r() * 100,
      schema: this.int(8) - 4,
      positiveSpans: [{ offset: this.int(10) - 5, length: 2 }],
      positiveDeltas: [this.int(10), -this.int(10)],
      timestamp: this.timestamp(),
    }));
  }

  v1(): WriteRequestV1Input {
    return {
      timeseries: Array.from({ length: this.int(12) }, () => ({
        labels: this.labels(8),
        samples: this.samples(),
        exemplars: this.exemplars(),
        histograms: this.histograms(),
      })),
      metadata: Array.from({ length: this.int(4) }, () => ({
        type: this.int(8),
        metricFamilyName: this.string(10),
        help: this.string(30),
        unit: this.string(5),
      })),
    };
  }

  v2(): WriteRequestV2Input {
    return {
      timeseries: Array.from({ length: this.int(12) }, () => ({
        labels: this.labels(8),
        samples: this.samples(),
        exemplars: this.exemplars(),
        histograms: this.histograms(),
        metadata: this.r() < 0.5 ? undefined : { type: this.int(8), help: this.string(30), unit: this.string(5) },
        createdTimestamp: this.r() < 0.5 ? 0 : this.timestamp(),
      })),
    };
  }
}
