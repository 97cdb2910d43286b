import { seededRandom } from '@panoptes/common';
import { compressSnappy, encodeWriteRequestV1, LabelInput, SampleInput, TimeSeriesV1Input } from '@panoptes/proto';
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
  const labelsOf = ds.series.map((s) => s.names.map((name, j): LabelInput => ({ name, value: s.values[j] })));
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
