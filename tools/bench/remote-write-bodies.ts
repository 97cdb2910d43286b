import { seededRandom } from '@panoptes/common';
import { compressSnappy, encodeLabelsV1, encodeWriteRequestV1, SampleInput, TimeSeriesV1Input } from '@panoptes/proto';
import { Dataset } from './series-model';

/**
 * Splits a data set into remote write 1.0 requests the way a Prometheus queue manager sends them:
 * series are spread over shards by hash (here: a seeded shuffle into fixed groups), and each
 * request carries one group's next few samples per series, at most `maxSamplesPerRequest` samples
 * in all (Prometheus's `max_samples_per_send`, 2000 by default). Bodies are snappy-compressed
 * `prometheus.WriteRequest`s, built before anything is timed.
 *
 * Order: window-major (all groups of window 0, then window 1…). Request (w, g) holds samples
 * [w·K, (w+1)·K) of group g's series, so a sender that starts (w, g) only after (w-1, g)
 * succeeded delivers every series in timestamp order, as in-order-only receivers require.
 */
export interface BodyPlanOptions {
  /** Samples per series per request (K): 1 in steady state, a few when a sender catches up. */
  samplesPerSeriesPerRequest: number;
  /** Upper bound on samples in one request. */
  maxSamplesPerRequest: number;
  /** Seed of the series-to-group shuffle. */
  seed: number;
}

export interface RemoteWriteBody {
  /** Snappy-compressed, protobuf-encoded prometheus.WriteRequest. */
  body: Buffer;
  samples: number;
  series: number;
  /** Index of the sample window (0 = the first K samples of every series). */
  window: number;
  /** Index of the series group. */
  group: number;
  /** Size of the protobuf before compression. */
  rawBytes: number;
}

export interface BodyPlan {
  /** Window-major: bodies[w * groups + g]. */
  bodies: RemoteWriteBody[];
  groups: number;
  windows: number;
  samples: number;
  rawBytes: number;
  compressedBytes: number;
}

export function defaultBodyPlanOptions(): BodyPlanOptions {
  return { samplesPerSeriesPerRequest: 4, maxSamplesPerRequest: 2000, seed: 1 };
}

export function buildRemoteWriteBodies(ds: Dataset, options: BodyPlanOptions): BodyPlan {
  const k = Math.min(options.samplesPerSeriesPerRequest, ds.samplesPerSeries);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`samplesPerSeriesPerRequest must be a positive integer, got ${options.samplesPerSeriesPerRequest}`);
  const seriesPerRequest = Math.floor(options.maxSamplesPerRequest / k);
  if (seriesPerRequest < 1) {
    throw new RangeError(`maxSamplesPerRequest (${options.maxSamplesPerRequest}) is below samplesPerSeriesPerRequest (${k}); raise it or send fewer samples per series`);
  }
  const groups = shuffledGroups(ds.series.length, seriesPerRequest, options.seed);
  const windows = Math.ceil(ds.samplesPerSeries / k);
  // Each series' labels are encoded once and copied into every request (a million series × 40 windows in about a minute).
  const labelsOf = ds.series.map((s) => encodeLabelsV1(s.names.map((name, j) => ({ name, value: s.values[j] }))));
  const plan: BodyPlan = { bodies: [], groups: groups.length, windows, samples: 0, rawBytes: 0, compressedBytes: 0 };
  for (let w = 0; w < windows; w++) {
    const from = w * k;
    const to = Math.min(ds.samplesPerSeries, from + k);
    for (let g = 0; g < groups.length; g++) {
      const timeseries: TimeSeriesV1Input[] = [];
      for (const i of groups[g]) {
        const samples: SampleInput[] = [];
        const base = i * ds.samplesPerSeries;
        for (let s = from; s < to; s++) samples.push({ timestamp: ds.timestamps[base + s], value: ds.values[base + s] });
        timeseries.push({ labels: labelsOf[i], samples });
      }
      const raw = encodeWriteRequestV1({ timeseries });
      const body = compressSnappy(raw);
      const samples = (to - from) * groups[g].length;
      plan.bodies.push({ body, samples, series: groups[g].length, window: w, group: g, rawBytes: raw.length });
      plan.samples += samples;
      plan.rawBytes += raw.length;
      plan.compressedBytes += body.length;
    }
  }
  return plan;
}

/**
 * The steady state of a remote write sender (each interval, every series' newest sample), fast
 * enough for a million series: each group's request is laid out once (its series' labels encoded
 * once, each followed by a fixed-size sample field), and a window only writes its values and
 * timestamps into the layout and compresses it. Same groups as `buildRemoteWriteBodies` with
 * `samplesPerSeriesPerRequest: 1`. The sample field always carries its value, also a 0 (valid
 * protobuf; canonical encoders omit it), and a timestamp in [2^35, 2^42) ms (years 1971-2109),
 * a 6-byte varint.
 */
export class SteadyStateBodies {
  readonly groups: number;
  private readonly layouts: { series: Uint32Array; raw: Buffer; sampleAt: Uint32Array }[] = [];

  constructor(
    private readonly ds: Dataset,
    maxSamplesPerRequest: number,
    seed: number,
  ) {
    if (maxSamplesPerRequest < 1) throw new RangeError(`maxSamplesPerRequest must be at least 1, got ${maxSamplesPerRequest}`);
    for (const series of shuffledGroups(ds.series.length, maxSamplesPerRequest, seed)) {
      const labels = Array.from(series, (i) => encodeLabelsV1(ds.series[i].names.map((name, j) => ({ name, value: ds.series[i].values[j] }))).bytes);
      const seriesSize = (l: Buffer) => l.length + SAMPLE_FIELD_BYTES;
      const raw = Buffer.alloc(labels.reduce((n, l) => n + 1 + uvarintSize(seriesSize(l)) + seriesSize(l), 0));
      const sampleAt = new Uint32Array(series.length);
      let p = 0;
      labels.forEach((l, x) => {
        raw[p++] = 0x0a; // WriteRequest.timeseries = 1, length-delimited
        p = writeUvarint(raw, p, seriesSize(l));
        p += l.copy(raw, p);
        raw[p] = 0x12; // TimeSeries.samples = 2, length-delimited
        raw[p + 1] = SAMPLE_FIELD_BYTES - 2;
        raw[p + 2] = 0x09; // Sample.value = 1, fixed64
        raw[p + 11] = 0x10; // Sample.timestamp = 2, varint
        sampleAt[x] = p;
        p += SAMPLE_FIELD_BYTES;
      });
      this.layouts.push({ series, raw, sampleAt });
    }
    this.groups = this.layouts.length;
  }

  /** Window `w`'s bodies (sample `w` of every series), group by group. */
  window(w: number): RemoteWriteBody[] {
    const n = this.ds.samplesPerSeries;
    if (w < 0 || w >= n) throw new RangeError(`window ${w} is outside the data set's ${n} samples per series`);
    return this.layouts.map(({ series, raw, sampleAt }, group) => {
      for (let x = 0; x < series.length; x++) {
        const at = series[x] * n + w;
        raw.writeDoubleLE(this.ds.values[at], sampleAt[x] + 3);
        writeTimestamp6(raw, sampleAt[x] + 12, this.ds.timestamps[at]);
      }
      return { body: compressSnappy(raw), samples: series.length, series: series.length, window: w, group, rawBytes: raw.length };
    });
  }
}

/** Tag and length of the sample field, then value (tag + 8 bytes) and timestamp (tag + 6-byte varint). */
const SAMPLE_FIELD_BYTES = 2 + 9 + 7;
const TIMESTAMP_MIN = 2 ** 35;
const TIMESTAMP_END = 2 ** 42;

function uvarintSize(v: number): number {
  let n = 1;
  for (; v >= 0x80; v = Math.floor(v / 128)) n++;
  return n;
}

function writeUvarint(buf: Buffer, p: number, v: number): number {
  for (; v >= 0x80; v = Math.floor(v / 128)) buf[p++] = (v % 128) | 0x80;
  buf[p++] = v;
  return p;
}

function writeTimestamp6(buf: Buffer, p: number, t: number): void {
  if (!(t >= TIMESTAMP_MIN && t < TIMESTAMP_END) || !Number.isInteger(t)) throw new RangeError(`timestamp ${t} ms is outside the steady-state layout's [2^35, 2^42)`);
  for (let i = 0; i < 5; i++, t = Math.floor(t / 128)) buf[p + i] = (t % 128) | 0x80;
  buf[p + 5] = t;
}

/** Series indexes shuffled (Fisher-Yates, seeded) into groups of `size`, each sorted back into scrape order. */
function shuffledGroups(series: number, size: number, seed: number): Uint32Array[] {
  const order = new Uint32Array(series);
  for (let i = 0; i < series; i++) order[i] = i;
  const rnd = seededRandom(seed ^ 0x5eed);
  for (let i = series - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const groups: Uint32Array[] = [];
  for (let from = 0; from < series; from += size) groups.push(order.slice(from, Math.min(series, from + size)).sort());
  return groups;
}
