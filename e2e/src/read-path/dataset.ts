import { TimeSeriesV1Input, WriteRequestV1Input } from '@panoptes/proto';

/**
 * The deterministic data set both Prometheus and Panoptes receive: a few hundred series, one
 * sample every 15 s, shaped to exercise PromQL (counters with resets, gauges of every sign and
 * magnitude, classic histograms, gaps, a series that ends with and without a staleness marker,
 * NaN and ±Inf samples, label sets made for vector matching).
 *
 * Invariants
 * - The same seed and `firstT` give the same series, bit for bit (a seeded PRNG, no Math.random).
 * - Sample timestamps are `firstT + k·15 s` for the series' own k range, ascending; there is at
 *   most one sample per series and timestamp.
 * - Each histogram's `_bucket` series are cumulative (non-decreasing in `le`), its `+Inf` bucket
 *   equals `_count`, and all of them reset together.
 */

export const SAMPLE_INTERVAL_MS = 15_000;

/** One generated series; `staleAt` adds a staleness marker after the last sample. */
export interface GeneratedSeries {
  labels: Record<string, string>;
  /** Timestamps in ms, ascending. */
  ts: number[];
  vs: number[];
  /** Timestamp of a staleness marker (Prometheus's StaleNaN) written after the last sample. */
  staleAt?: number;
}

export interface DatasetOptions {
  seed: number;
  /** Timestamp of the first sample (ms). */
  firstT: number;
  /** Samples per series (a series with gaps, an end or a late start has fewer). */
  points: number;
}

export interface Dataset {
  series: GeneratedSeries[];
  firstT: number;
  lastT: number;
  /** Samples over all series, staleness markers not counted. */
  samples: number;
  staleMarkers: number;
}

/** mulberry32: a tiny seeded PRNG with uniform floats in [0, 1). */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

export const JOBS = ['api', 'db', 'cache'] as const;
export const PATHS = ['/', '/api/v1/users', '/login'] as const;
export const METHODS = ['GET', 'POST'] as const;
/** Upper bounds of the classic histogram, as Prometheus 2 client libraries write them. */
export const HISTOGRAM_LES = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'] as const;

/** job × instance × group: the label set shared by the per-instance gauges and counters. */
export function targets(): { job: string; instance: string; group: string }[] {
  const out: { job: string; instance: string; group: string }[] = [];
  JOBS.forEach((job, j) => {
    for (let i = 1; i <= 4; i++) out.push({ job, instance: `10.0.${j}.${i}:9100`, group: i === 4 ? 'canary' : 'production' });
  });
  return out;
}

/** Builds the data set; see the file comment for what it holds. */
export function generateDataset(options: DatasetOptions): Dataset {
  const rng = new Prng(options.seed);
  const n = options.points;
  const t = (k: number): number => options.firstT + k * SAMPLE_INTERVAL_MS;
  const series: GeneratedSeries[] = [];
  const full = (labels: Record<string, string>, value: (k: number) => number): GeneratedSeries => {
    const s: GeneratedSeries = { labels, ts: [], vs: [] };
    for (let k = 0; k < n; k++) {
      s.ts.push(t(k));
      s.vs.push(value(k));
    }
    return s;
  };

  for (const target of targets()) {
    // Request counters with resets to 0 (a restart) and to a small value (a restart that already
    // counted). They advance by fractions: with whole increments two series often have equal rates,
    // and topk/bottomk pick among ties by storage order, which no two implementations share.
    for (const path of PATHS) {
      for (const method of METHODS) {
        const perStep = rng.range(1, 50);
        let v = rng.chance(0.3) ? 0 : Math.floor(rng.range(0, 5000));
        series.push(
          full({ __name__: 'http_requests_total', ...target, path, method }, () => {
            if (rng.chance(1 / 300)) v = rng.chance(0.5) ? 0 : rng.int(1, 20);
            else v += rng.range(0, 2 * perStep);
            return v;
          }),
        );
      }
    }
    // A float counter.
    let cpu = rng.range(0, 1e4);
    series.push(full({ __name__: 'process_cpu_seconds_total', ...target }, () => (cpu += rng.range(0, 7.5))));
    // Temperatures: a sine plus noise, negative for some sensors.
    for (const sensor of ['cpu', 'ambient']) {
      const offset = rng.range(-15, 35);
      const amplitude = rng.range(2, 20);
      const period = rng.range(20, 90) * 60_000;
      const phase = rng.range(0, 2 * Math.PI);
      series.push(
        full({ __name__: 'temperature_celsius', ...target, sensor }, (k) => offset + amplitude * Math.sin((2 * Math.PI * t(k)) / period + phase) + rng.range(-0.5, 0.5)),
      );
    }
    // Small integers, often 0.
    series.push(full({ __name__: 'queue_depth', ...target }, () => (rng.chance(0.4) ? 0 : rng.int(1, 5))));
    // Mostly 1, sometimes 0 for a few minutes.
    let down = 0;
    series.push(
      full({ __name__: 'up', ...target }, () => {
        if (down > 0) down--;
        else if (rng.chance(0.01)) down = rng.int(2, 20);
        return down > 0 ? 0 : 1;
      }),
    );
    // Large magnitudes.
    const total = Math.round(rng.range(1e12, 4e12));
    let used = rng.range(0.2, 0.8);
    series.push(full({ __name__: 'disk_bytes_total', ...target }, () => total));
    series.push(
      full({ __name__: 'disk_bytes_free', ...target }, () => {
        used = Math.min(0.99, Math.max(0.01, used + rng.range(-0.002, 0.0025)));
        return Math.round(total * (1 - used));
      }),
    );
    // Small magnitudes.
    const base = rng.range(1e-7, 1e-5);
    series.push(full({ __name__: 'error_ratio', ...target }, () => base * rng.range(0.5, 1.5)));
    // Build info for group_left / group_right.
    series.push(full({ __name__: 'build_info', ...target, version: `1.${rng.int(0, 3)}.${rng.int(0, 9)}`, revision: rng.int(0x100000, 0xffffff).toString(16) }, () => 1));
  }

  // Classic histograms, one per target; the canary instances reset once.
  for (const target of targets()) {
    const bounds = HISTOGRAM_LES.map((le) => (le === '+Inf' ? Infinity : Number(le)));
    const buckets = bounds.map(() => 0);
    const scale = rng.range(0.05, 0.8);
    const resetAt = target.group === 'canary' ? rng.int(n / 4, (3 * n) / 4) : -1;
    const cum: number[][] = bounds.map(() => []);
    const sums: number[] = [];
    const counts: number[] = [];
    let sum = 0;
    let count = 0;
    for (let k = 0; k < n; k++) {
      if (k === resetAt) {
        buckets.fill(0);
        sum = 0;
        count = 0;
      }
      const observations = rng.int(0, 40);
      for (let o = 0; o < observations; o++) {
        // Log-normal-ish latencies around `scale` seconds.
        const x = scale * Math.exp(rng.range(-2, 2) * rng.range(0, 1.2));
        sum += x;
        count++;
        for (let b = 0; b < bounds.length; b++) if (x <= bounds[b]) buckets[b]++;
      }
      bounds.forEach((_, b) => cum[b].push(buckets[b]));
      sums.push(sum);
      counts.push(count);
    }
    HISTOGRAM_LES.forEach((le, b) => series.push(full({ __name__: 'http_request_duration_seconds_bucket', ...target, le }, (k) => cum[b][k])));
    series.push(full({ __name__: 'http_request_duration_seconds_sum', ...target }, (k) => sums[k]));
    series.push(full({ __name__: 'http_request_duration_seconds_count', ...target }, (k) => counts[k]));
  }

  // Gaps: longer than the 5 m lookback, shorter than it, a sparse series.
  const gapped = (instance: string, keep: (k: number) => boolean): void => {
    const s: GeneratedSeries = { labels: { __name__: 'flaky_gauge', job: 'edge', instance }, ts: [], vs: [] };
    let v = rng.range(-100, 100);
    for (let k = 0; k < n; k++) {
      v += rng.range(-3, 3);
      if (keep(k)) {
        s.ts.push(t(k));
        s.vs.push(v);
      }
    }
    series.push(s);
  };
  gapped('edge-1', (k) => k < n / 2 - 20 || k >= n / 2 + 20); // a 10 min hole in the middle
  gapped('edge-2', (k) => k % 16 >= 8); // 2 min holes every 4 min
  gapped('edge-3', (k) => k < n / 6 || k > n / 3); // a 20 min hole early on
  gapped('edge-4', () => rng.chance(0.35)); // irregular, sparse

  // Series that end (with and without a staleness marker) and one that starts late; their values
  // are Unix times, for the date functions.
  const batch = (instance: string, from: number, to: number, stale: boolean): void => {
    const s: GeneratedSeries = { labels: { __name__: 'batch_last_success_timestamp_seconds', job: 'batch', instance }, ts: [], vs: [] };
    let last = t(from) / 1000 - 3600;
    for (let k = from; k < to; k++) {
      if (rng.chance(0.1)) last = t(k) / 1000 - rng.int(0, 30);
      s.ts.push(t(k));
      s.vs.push(last);
    }
    if (stale) s.staleAt = t(to);
    series.push(s);
  };
  batch('b1', 0, Math.floor((2 * n) / 3), true);
  batch('b2', 0, Math.floor((3 * n) / 4), false);
  batch('b3', Math.floor(n / 2), n, false);

  // Calendar edge cases for the date functions (values are Unix seconds), drifting by a second a step.
  const dates: [string, number][] = [
    ['leap-day', Date.UTC(2020, 1, 29, 12, 34, 56) / 1000],
    ['new-year-eve', Date.UTC(1999, 11, 31, 23, 30, 0) / 1000],
    ['epoch', 0],
    ['before-epoch', Date.UTC(1969, 6, 20, 20, 17, 40) / 1000],
    ['leap-year-end', Date.UTC(2024, 11, 31, 23, 0, 0) / 1000],
    ['far-future', Date.UTC(2100, 1, 28, 23, 0, 0) / 1000],
  ];
  for (const [name, base] of dates) series.push(full({ __name__: 'event_time_seconds', job: 'calendar', case: name }, (k) => base + k * 15));

  // Node memory, for ratios with one-to-one matching.
  for (let i = 1; i <= 4; i++) {
    const total = 2 ** rng.int(32, 36);
    series.push(full({ __name__: 'node_memory_MemTotal_bytes', job: 'node', instance: `node-${i}` }, () => total));
    series.push(full({ __name__: 'node_memory_MemAvailable_bytes', job: 'node', instance: `node-${i}` }, () => Math.round(total * rng.range(0.1, 0.9))));
  }

  // Special float values among ordinary ones.
  const special: [string, number][] = [
    ['nan', NaN],
    ['inf', Infinity],
    ['neg-inf', -Infinity],
  ];
  for (const [kind, value] of special) series.push(full({ __name__: 'weird_values', job: 'weird', kind }, () => (rng.chance(0.05) ? value : rng.range(-10, 10))));
  series.push(full({ __name__: 'weird_values', job: 'weird', kind: 'zeros' }, () => (rng.chance(0.5) ? 0 : -0)));
  // A label value with a newline, for regex matching (`.` matches it in Prometheus 3 only).
  series.push(full({ __name__: 'annotation_info', job: 'weird', note: 'line one\nline two' }, () => 1));

  let samples = 0;
  let staleMarkers = 0;
  let lastT = -Infinity;
  for (const s of series) {
    samples += s.ts.length;
    if (s.staleAt !== undefined) staleMarkers++;
    lastT = Math.max(lastT, s.ts[s.ts.length - 1], s.staleAt ?? -Infinity);
  }
  return { series, firstT: options.firstT, lastT, samples, staleMarkers };
}

/** Prometheus's staleness marker (`value.StaleNaN`, 0x7ff0000000000002); made per use so no array canonicalises its payload. */
export function staleNaN(): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, 0x7ff00000);
  view.setUint32(4, 0x00000002);
  return view.getFloat64(0);
}

/**
 * The data set as remote-write 1.0 requests in time order: each request holds every series'
 * samples of one `sliceMs` window, so both TSDB heads only ever see samples newer than their
 * newest minus half a block range (they refuse older ones as out of bounds).
 */
export function writeRequests(dataset: Dataset, sliceMs: number): WriteRequestV1Input[] {
  const out: WriteRequestV1Input[] = [];
  for (let from = dataset.firstT; from <= dataset.lastT; from += sliceMs) {
    const to = from + sliceMs;
    const timeseries: TimeSeriesV1Input[] = [];
    for (const s of dataset.series) {
      const samples: { value: number; timestamp: number }[] = [];
      s.ts.forEach((ts, i) => {
        if (ts >= from && ts < to) samples.push({ value: s.vs[i], timestamp: ts });
      });
      if (s.staleAt !== undefined && s.staleAt >= from && s.staleAt < to) samples.push({ value: staleNaN(), timestamp: s.staleAt });
      if (samples.length === 0) continue;
      const names = Object.keys(s.labels).sort();
      timeseries.push({ labels: names.map((name) => ({ name, value: s.labels[name] })), samples });
    }
    if (timeseries.length > 0) out.push({ timeseries });
  }
  return out;
}
