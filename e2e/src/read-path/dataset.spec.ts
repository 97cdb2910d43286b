import { encodeWriteRequestV1 } from '@panoptes/proto';
import { HISTOGRAM_LES, Prng, SAMPLE_INTERVAL_MS, generateDataset, staleNaN, writeRequests } from './dataset';

const FIRST_T = 1_700_000_005_000;
const options = { seed: 7, firstT: FIRST_T, points: 480 };
const dataset = generateDataset(options);
const key = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).sort());

describe('generateDataset', () => {
  it('is deterministic for a seed and differs for another seed', () => {
    expect(generateDataset(options)).toEqual(dataset);
    expect(generateDataset({ ...options, seed: 8 }).series[0].vs).not.toEqual(dataset.series[0].vs);
  });

  it('holds a few hundred series with distinct label sets', () => {
    expect(dataset.series.length).toBeGreaterThanOrEqual(250);
    expect(new Set(dataset.series.map((s) => key(s.labels))).size).toBe(dataset.series.length);
  });

  it('puts every sample on the 15 s grid from firstT, ascending, inside the span', () => {
    const lastT = FIRST_T + (options.points - 1) * SAMPLE_INTERVAL_MS;
    const bad: string[] = [];
    for (const s of dataset.series) {
      s.ts.forEach((t, i) => {
        if ((t - FIRST_T) % SAMPLE_INTERVAL_MS !== 0 || t < FIRST_T || t > lastT || (i > 0 && t <= s.ts[i - 1])) bad.push(`${key(s.labels)} t=${t}`);
      });
      if (s.staleAt !== undefined && s.staleAt <= s.ts[s.ts.length - 1]) bad.push(`${key(s.labels)} stale marker at ${s.staleAt}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(dataset.lastT).toBeLessThanOrEqual(lastT);
  });

  it('counts samples and staleness markers', () => {
    expect(dataset.samples).toBe(dataset.series.reduce((n, s) => n + s.ts.length, 0));
    expect(dataset.staleMarkers).toBe(1);
  });

  it('writes classic histograms whose buckets are cumulative and whose +Inf bucket is the count', () => {
    const byTarget = new Map<string, Map<string, number[]>>();
    for (const s of dataset.series) {
      if (!s.labels.__name__.startsWith('http_request_duration_seconds_')) continue;
      const { __name__: name, le, ...target } = s.labels;
      const parts = byTarget.get(key(target)) ?? new Map<string, number[]>();
      parts.set(name.endsWith('_bucket') ? le : name, s.vs);
      byTarget.set(key(target), parts);
    }
    expect(byTarget.size).toBe(12);
    for (const parts of byTarget.values()) {
      for (let b = 1; b < HISTOGRAM_LES.length; b++) {
        const lower = parts.get(HISTOGRAM_LES[b - 1])!;
        expect(parts.get(HISTOGRAM_LES[b])!.filter((v, k) => v < lower[k])).toEqual([]);
      }
      expect(parts.get('+Inf')).toEqual(parts.get('http_request_duration_seconds_count'));
    }
  });

  it.each([
    ['a counter that resets', 'http_requests_total', (vs: number[]) => vs.some((v, i) => i > 0 && v < vs[i - 1])],
    ['a negative gauge', 'temperature_celsius', (vs: number[]) => vs.some((v) => v < 0)],
    ['a zero gauge', 'queue_depth', (vs: number[]) => vs.some((v) => v === 0)],
    ['a NaN sample', 'weird_values', (vs: number[]) => vs.some((v) => Number.isNaN(v))],
    ['an infinite sample', 'weird_values', (vs: number[]) => vs.some((v) => v === Infinity)],
  ])('has %s', (_name, metric, holds) => {
    expect(dataset.series.filter((s) => s.labels.__name__ === metric).some((s) => holds(s.vs))).toBe(true);
  });

  it('has series with holes longer than the 5 m lookback', () => {
    const holes = dataset.series.filter((s) => s.ts.some((t, i) => i > 0 && t - s.ts[i - 1] > 5 * 60_000));
    expect(holes.map((s) => s.labels.instance).sort()).toEqual(['edge-1', 'edge-3']);
  });
});

describe('writeRequests', () => {
  const sliceMs = 10 * 60_000;
  const requests = writeRequests(dataset, sliceMs);

  it('writes every sample once, each request within one time slice, each series in time order', () => {
    const seen = new Map<string, number[]>();
    for (const req of requests) {
      const ts = req.timeseries.flatMap((s) => (s.samples ?? []).map((x) => x.timestamp));
      expect(Math.max(...ts) - Math.min(...ts)).toBeLessThan(sliceMs);
      for (const s of req.timeseries) {
        const k = JSON.stringify(s.labels);
        seen.set(k, [...(seen.get(k) ?? []), ...(s.samples ?? []).map((x) => x.timestamp)]);
      }
    }
    expect(seen.size).toBe(dataset.series.length);
    let total = 0;
    let unordered = 0;
    for (const ts of seen.values()) {
      unordered += ts.filter((t, i) => i > 0 && t <= ts[i - 1]).length;
      total += ts.length;
    }
    expect(unordered).toBe(0);
    expect(total).toBe(dataset.samples + dataset.staleMarkers);
  });

  it('encodes the staleness marker as Prometheus StaleNaN (0x7ff0000000000002)', () => {
    const stale = requests.flatMap((r) => r.timeseries).find((s) => s.samples?.some((x) => Number.isNaN(x.value) && x.timestamp === dataset.series.find((d) => d.staleAt)!.staleAt));
    expect(stale).toBeDefined();
    const bytes = Buffer.from(encodeWriteRequestV1({ timeseries: [{ labels: stale!.labels, samples: stale!.samples!.slice(-1) }] }));
    expect(bytes.includes(Buffer.from('020000000000f07f', 'hex'))).toBe(true);
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, staleNaN());
    expect([view.getUint32(0), view.getUint32(4)]).toEqual([0x7ff00000, 2]);
  });
});

describe('Prng', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(xs.filter((x) => !(x >= 0 && x < 1))).toEqual([]);
  });
});
