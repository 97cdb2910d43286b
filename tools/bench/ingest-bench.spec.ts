import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockStats, BlockStats, findBlockDirs } from './block-stats';
import { BenchResult, buildRows, defaultBenchOptions, IngestRun, parseBenchArgs } from './ingest-bench';
import { LoadResult } from './load';
import { hasMetric, sumMetric } from './servers';

function load(samplesPerSecond: number, errors = 0): LoadResult {
  return { requests: 10, samples: 1000, acceptedSamples: 1000, seconds: 1000 / samplesPerSecond, samplesPerSecond, statuses: {}, errors, firstErrors: [] };
}

function run(server: string, samplesPerSecond: number, blocks?: Partial<BlockStats>): IngestRun {
  return { server, available: true, notes: [], creation: load(samplesPerSecond), steady: load(samplesPerSecond), total: load(samplesPerSecond), cpuSeconds: 1, rssBytes: 1, peakRssBytes: 1, blocks: blocks as BlockStats };
}

function result(partial: Partial<BenchResult>): BenchResult {
  return {
    options: defaultBenchOptions(),
    machine: { cpus: 2, loadBefore: 0, loadAfter: 0 },
    data: { series: 1, samples: 1, constantSeries: 0, families: 1, labelsMin: 8, labelsMax: 12, labelsAvg: 10 },
    requests: { count: 1, avgSamples: 1, rawBytesPerSample: 1, compressedBytesPerSample: 1 },
    rows: [],
    ...partial,
  };
}

function rowResult(r: BenchResult, figure: string): string {
  return buildRows(r).find((row) => row.figure.startsWith(figure))!.result;
}

describe('buildRows', () => {
  it.each([
    ['faster than the target and than Prometheus', 1_200_000, 400_000, 'PASS', 'PASS'],
    ['slower than the target, faster than Prometheus', 600_000, 400_000, 'FAIL', 'PASS'],
    ['slower than Prometheus', 300_000, 400_000, 'FAIL', 'FAIL'],
  ])('%s', (_name, ours, theirs, throughput, ratio) => {
    const r = result({ panoptes: run('panoptes', ours), prometheus: run('prometheus', theirs) });
    expect(rowResult(r, 'remote-write 1.0 samples/s')).toBe(throughput);
    expect(rowResult(r, 'ingest ratio')).toBe(ratio);
  });

  it('reports n/a, not FAIL, for our side while the push endpoint is missing', () => {
    const r = result({ panoptes: { server: 'panoptes', available: false, notes: ['panoptes push endpoint not available'] }, prometheus: run('prometheus', 200_000) });
    const rows = buildRows(r);
    expect(rows.filter((row) => row.result === 'FAIL')).toEqual([]);
    expect(rowResult(r, 'remote-write 1.0 samples/s')).toBe('n/a');
    expect(rows[0].prometheus).toBe('200,000');
  });

  it.each([
    ['smaller than promtool', 9.5, 'PASS'],
    ['equal to promtool', 10, 'PASS'],
    ['larger than promtool', 10.5, 'FAIL'],
  ])('block bytes/sample %s', (_name, ours, verdict) => {
    const r = result({ panoptes: run('panoptes', 1, { bytesPerSample: ours, chunkBytesPerSample: 1 }), promtoolBlocks: { bytesPerSample: 10, chunkBytesPerSample: 1 } as BlockStats });
    expect(rowResult(r, 'block bytes/sample')).toBe(verdict);
  });

  it.each([
    ['under 2 KiB', 1900, 'PASS'],
    ['over 2 KiB', 2100, 'FAIL'],
  ])('head bytes per series %s', (_name, total, verdict) => {
    const r = result({ heap: { series: 1_000_000, samplesPerSeries: 120, heapBytesPerSeries: total / 2, arrayBufferBytesPerSeries: total / 2, totalBytesPerSeries: total } });
    expect(rowResult(r, 'head bytes per active series')).toBe(verdict);
  });
});

describe('parseBenchArgs', () => {
  it.each([
    ['no flags: the full run', [], { series: 100_000, samplesPerSeries: 20, heapSeries: 1_000_000, concurrency: 4 }],
    ['--quick: a smoke run', ['--quick'], { series: 5000, samplesPerSeries: 8, heapSeries: 20_000 }],
    ['flags override --quick', ['--quick', '--series', '42', '--panoptes-flag=-a=b', '--panoptes-flag=-c=d'], { series: 42, panoptesFlags: ['-a=b', '-c=d'] }],
  ])('%s', (_name, argv, expected) => {
    expect(parseBenchArgs(argv)).toMatchObject(expected);
  });

  it.each([
    ['a non-integer', ['--series', '1.5'], /--series must be an integer/],
    ['zero series', ['--series', '0'], /--series must be an integer >= 1/],
    ['an unknown build mode', ['--build', 'sometimes'], /--build must be auto, always or never/],
    ['an unknown flag', ['--serie', '3'], /Unknown option/],
  ])('rejects %s', (_name, argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('blockStats', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bench-blocks-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function block(path: string, numSamples: number, chunkSizes: number[], indexSize: number): void {
    mkdirSync(join(path, 'chunks'), { recursive: true });
    writeFileSync(join(path, 'meta.json'), JSON.stringify({ ulid: 'x', minTime: 1000, maxTime: 2000, stats: { numSamples, numSeries: 2, numChunks: 3 } }));
    writeFileSync(join(path, 'index'), Buffer.alloc(indexSize));
    writeFileSync(join(path, 'tombstones'), Buffer.alloc(9));
    chunkSizes.forEach((size, i) => writeFileSync(join(path, 'chunks', String(i + 1).padStart(6, '0')), Buffer.alloc(size)));
  }

  it('sums (chunks + index) over every block under a tenant dir and divides by the samples of their meta.json', () => {
    block(join(dir, 'anonymous', '01A'), 100, [300, 200], 500);
    block(join(dir, 'anonymous', '01B'), 300, [600], 400);
    mkdirSync(join(dir, 'anonymous', 'wal'));
    const stats = blockStats(findBlockDirs(dir));
    expect(stats).toMatchObject({ blocks: 2, numSamples: 400, numSeries: 4, chunkBytes: 1100, indexBytes: 900, bytesPerSample: 5, chunkBytesPerSample: 2.75 });
  });
});

describe('sumMetric and hasMetric', () => {
  it('adds every series of one metric and ignores metrics that share its prefix', () => {
    const text = ['# TYPE x_total counter', 'x_total{type="float"} 5', 'x_total{type="histogram"} 2', 'x_total_other 100', 'x_total 1', ''].join('\n');
    expect(sumMetric(text, 'x_total')).toBe(8);
  });

  it.each([
    ['a metric with samples', 'y 1\n', 'y', true],
    ['a labelled counter not incremented yet (TYPE line only)', '# HELP y_total h\n# TYPE y_total counter\n', 'y_total', true],
    ['a metric that only shares a prefix', '# TYPE y_total_x counter\ny_total_x 3\n', 'y_total', false],
  ])('hasMetric: %s', (_name, text, metric, present) => {
    expect(hasMetric(text, metric)).toBe(present);
  });
});
