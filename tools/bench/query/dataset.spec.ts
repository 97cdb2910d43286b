import { BUCKETS, generateQueryDataset, SCRAPE_INTERVAL_MS, shapeFor } from './dataset';

const START = 1_700_000_000_000;

function labelsOf(ds: ReturnType<typeof generateQueryDataset>, i: number): Record<string, string> {
  const s = ds.series[i];
  return Object.fromEntries(s.names.map((n, j) => [n, s.values[j]]));
}

describe('generateQueryDataset', () => {
  const ds = generateQueryDataset({ series: 10_000, samplesPerSeries: 12, seed: 1, startMs: START });

  it.each([[10_000], [2000], [1200], [15_000]])('makes exactly %d series', (series) => {
    expect(generateQueryDataset({ series, samplesPerSeries: 2, seed: 1, startMs: START }).series).toHaveLength(series);
  });

  it.each([
    ['the histogram buckets', 'http_request_duration_seconds_bucket', 40 * 5 * 11],
    ['the histogram counts', 'http_request_duration_seconds_count', 40 * 5],
    ['the request counters', 'http_requests_total', 40 * 5 * 4],
    ['the node CPU counters', 'node_cpu_seconds_total', 40 * 4 * 8],
    ['the container memory gauges', 'container_memory_working_set_bytes', 1000 * 2],
    ['the pod info series', 'kube_pod_info', 1000],
    ['the filler', 'node_filesystem_avail_bytes', 160],
  ])('holds %s at 10000 series', (_name, metric, count) => {
    expect(ds.series.filter((s) => s.values[0] === metric)).toHaveLength(count);
  });

  it('holds every family, the pod join\'s both sides among them, from 2000 series on', () => {
    const small = generateQueryDataset({ series: 2000, samplesPerSeries: 2, seed: 1, startMs: START });
    const names = new Set(small.series.map((s) => s.values[0]));
    for (const m of ['http_request_duration_seconds_bucket', 'http_requests_total', 'node_cpu_seconds_total', 'node_memory_MemAvailable_bytes', 'container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'kube_pod_info', 'up']) {
      expect(names).toContain(m);
    }
  });

  it('gives every series a distinct label set, names sorted with __name__ first', () => {
    const keys = new Set(ds.series.map((s) => s.names.map((n, j) => `${n}=${s.values[j]}`).join(',')));
    expect(keys.size).toBe(ds.series.length);
    expect(ds.series.filter((s) => s.names[0] !== '__name__' || s.names.some((n, j) => j > 0 && s.names[j - 1] >= n))).toEqual([]);
  });

  it('scrapes every series every 15 s from inside the first interval', () => {
    const wrong: string[] = [];
    for (let i = 0; i < ds.series.length; i++) {
      const t0 = ds.timestamps[i * 12];
      if (t0 < START || t0 >= START + SCRAPE_INTERVAL_MS) wrong.push(`series ${i} starts at ${t0}`);
      for (let k = 1; k < 12; k++) if (ds.timestamps[i * 12 + k] - ds.timestamps[i * 12 + k - 1] !== SCRAPE_INTERVAL_MS) wrong.push(`series ${i} sample ${k}`);
    }
    expect(wrong).toEqual([]);
  });

  it('never lets a counter decrease', () => {
    const decreasing: string[] = [];
    for (let i = 0; i < ds.series.length; i++) {
      const name = ds.series[i].values[0];
      if (!/_(total|bucket|sum|count)$/.test(name)) continue;
      for (let k = 1; k < 12; k++) if (ds.values[i * 12 + k] < ds.values[i * 12 + k - 1]) decreasing.push(`${name} #${i} at ${k}`);
    }
    expect(decreasing).toEqual([]);
  });

  it('keeps each histogram cumulative in le, its _count equal to the +Inf bucket', () => {
    // Series of one histogram are added together: 11 buckets in BUCKETS order, _sum, _count.
    const wrong: string[] = [];
    const first = ds.series.findIndex((s) => s.values[0] === 'http_request_duration_seconds_bucket');
    let histograms = 0;
    for (let h = first; ds.series[h]?.values[0] === 'http_request_duration_seconds_bucket'; h += BUCKETS.length + 2) {
      histograms++;
      if (BUCKETS.some((le, j) => labelsOf(ds, h + j).le !== le)) wrong.push(`histogram at ${h}: le labels`);
      for (let k = 0; k < 12; k++) {
        for (let j = 1; j < BUCKETS.length; j++) if (ds.values[(h + j) * 12 + k] < ds.values[(h + j - 1) * 12 + k]) wrong.push(`histogram at ${h}: bucket ${j} at ${k}`);
        if (ds.values[(h + BUCKETS.length + 1) * 12 + k] !== ds.values[(h + BUCKETS.length - 1) * 12 + k]) wrong.push(`histogram at ${h}: _count at ${k}`);
      }
    }
    expect(histograms).toBe(200);
    expect(wrong).toEqual([]);
  });

  it('gives every container a kube_pod_info series with its namespace and pod', () => {
    const podOf = (i: number): string => `${labelsOf(ds, i).namespace}/${labelsOf(ds, i).pod}`;
    const indexes = (metric: string): number[] => ds.series.flatMap((s, i) => (s.values[0] === metric ? [i] : []));
    const pods = new Set(indexes('kube_pod_info').map(podOf));
    expect(pods.size).toBe(1000);
    expect(indexes('container_memory_working_set_bytes').every((i) => pods.has(podOf(i)))).toBe(true);
  });

  it('is the same for the same seed and differs for another', () => {
    const a = generateQueryDataset({ series: 1500, samplesPerSeries: 4, seed: 7, startMs: START });
    const b = generateQueryDataset({ series: 1500, samplesPerSeries: 4, seed: 7, startMs: START });
    const c = generateQueryDataset({ series: 1500, samplesPerSeries: 4, seed: 8, startMs: START });
    expect(b).toEqual(a);
    expect(c.values).not.toEqual(a.values);
  });

  it.each([
    ['10000 series: the reference cluster', 10_000, { instancesPerJob: 8, nodes: 40, podsPerNamespace: 100 }],
    ['2000 series: a fifth of it, rounded down', 2000, { instancesPerJob: 1, nodes: 8, podsPerNamespace: 20 }],
    ['100 series: one of each', 100, { instancesPerJob: 1, nodes: 1, podsPerNamespace: 1 }],
  ])('sizes the cluster for %s', (_name, series, expected) => {
    expect(shapeFor(series)).toMatchObject(expected);
  });

  it.each([
    ['zero series', { series: 0, samplesPerSeries: 1 }],
    ['a fractional sample count', { series: 10, samplesPerSeries: 1.5 }],
  ])('refuses %s', (_name, o) => {
    expect(() => generateQueryDataset({ ...o, seed: 1, startMs: START })).toThrow(RangeError);
  });
});
