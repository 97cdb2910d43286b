import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockReader, parseMeta } from '@panoptes/block-formats';
import { isValid as isValidUlid } from 'ulid';
import { buildCompactRows, compactionSecondsFromLog, CompactBenchResult, defaultCompactBenchOptions, parseCompactBenchArgs, parseGoDuration } from './compact-bench';
import { copyUlid, extendSeries, measureCompaction, PERIOD_SAMPLES, writeInputBlocks } from './compact-data';
import { generateDataset } from './series-model';

describe('parseGoDuration', () => {
  it.each([
    ['seconds with a fraction', '2.803620149s', 2.803620149],
    ['minutes and seconds', '1m2.5s', 62.5],
    ['hours, minutes, seconds', '1h0m1s', 3601],
    ['milliseconds', '812.3ms', 0.8123],
    ['microseconds (µ)', '45µs', 45e-6],
    ['not a duration', '12', NaN],
    ['trailing garbage', '1sx', NaN],
    ['empty', '', NaN],
  ])('%s: %s', (_name, text, seconds) => {
    if (Number.isNaN(seconds)) expect(parseGoDuration(text)).toBeNaN();
    else expect(parseGoDuration(text)).toBeCloseTo(seconds, 12);
  });
});

describe('compactionSecondsFromLog', () => {
  const ulids = ['01JBENCHC0MPACT000000000AA', '01JBENCHC0MPACT000000000AB'];
  const line = (sources: string[], duration: string) =>
    `ts=2026-11-21T20:32:33.216Z caller=compact.go:460 level=info component=tsdb msg="compact blocks" count=${sources.length} mint=1 maxt=2 ulid=01M7ZWYZ6C3WHVDCK43RHHM3X7 sources="[${sources.join(' ')}]" duration=${duration}`;

  it.each([
    { name: 'the line merging every input', lines: [line(ulids, '2.5s')], want: 2.5 },
    { name: 'a later line when an earlier one merged other blocks', lines: [line(['01AAAAAAAAAAAAAAAAAAAAAAAA', '01BBBBBBBBBBBBBBBBBBBBBBBB'], '9s'), line(ulids, '1m1s')], want: 61 },
    { name: 'nothing when a line holds only some inputs', lines: [line([ulids[0]], '1s')], want: undefined },
    { name: 'nothing before the compaction', lines: ['ts=… msg="Found overlapping blocks during compaction" ulid=01M7ZWYZ6C3WHVDCK43RHHM3X7'], want: undefined },
  ])('returns $name', ({ lines, want }) => {
    expect(compactionSecondsFromLog(lines, ulids)).toBe(want);
  });
});

describe('parseCompactBenchArgs', () => {
  it('defaults to 3 identical copies of 1M series x 480 samples', () => {
    expect(parseCompactBenchArgs([])).toMatchObject({ series: 1_000_000, samples: 480, copies: 3, mode: 'identical', promtoolSeries: 0 });
  });

  it.each([
    ['--quick', ['--quick'], { series: 20_000 }],
    ['--quick with an explicit --series', ['--quick', '--series', '5000'], { series: 5000 }],
    ['--mode shifted', ['--mode', 'shifted'], { mode: 'shifted' }],
    ['--promtool-series', ['--promtool-series', '10000'], { promtoolSeries: 10_000 }],
  ])('reads %s', (_name, argv, want) => {
    expect(parseCompactBenchArgs(argv)).toMatchObject(want);
  });

  it.each([
    ['samples that are not whole chunk periods', ['--samples', '500'], /multiple of 120/],
    ['a single copy', ['--copies', '1'], /--copies must be an integer >= 2/],
    ['an unknown mode', ['--mode', 'gaps'], /--mode must be identical or shifted/],
    ['an unknown flag', ['--bogus'], /bogus/],
  ])('refuses %s', (_name, argv, message) => {
    expect(() => parseCompactBenchArgs(argv)).toThrow(message);
  });
});

describe('input blocks', () => {
  it('copy ULIDs are valid and distinct', () => {
    const ids = Array.from({ length: 60 }, (_, c) => copyUlid(c));
    expect(ids.every((id) => isValidUlid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('extends a period 30 min at a time, counters carrying on without a reset, gauges repeating', () => {
    const ds = generateDataset({ series: 200, samplesPerSeries: PERIOD_SAMPLES, seed: 3, startMs: 1_700_000_000_000 });
    const counter = ds.series.findIndex((s) => ds.families[s.family].type === 'counter' && ds.values[ds.series.indexOf(s) * PERIOD_SAMPLES + 1] !== ds.values[ds.series.indexOf(s) * PERIOD_SAMPLES]);
    const ts = new Float64Array(4 * PERIOD_SAMPLES);
    const vs = new Float64Array(4 * PERIOD_SAMPLES);
    extendSeries(ds, counter, 4, true, ts, vs);
    for (let k = 1; k < ts.length; k++) {
      expect(ts[k]).toBeGreaterThan(ts[k - 1]);
      expect(vs[k]).toBeGreaterThanOrEqual(vs[k - 1]);
    }
    expect(ts[PERIOD_SAMPLES] - ts[0]).toBe(30 * 60_000);
    extendSeries(ds, counter, 4, false, ts, vs);
    expect(Array.from(vs.subarray(3 * PERIOD_SAMPLES))).toEqual(Array.from(vs.subarray(0, PERIOD_SAMPLES)));
  });

  it.each([
    { mode: 'identical' as const, reencoded: false },
    { mode: 'shifted' as const, reencoded: true },
  ])('$mode copies compact into one block holding one copy of the samples', async ({ mode, reencoded }) => {
    const dir = mkdtempSync(join(tmpdir(), 'compact-bench-spec-'));
    try {
      const input = await writeInputBlocks({ series: 300, samplesPerSeries: 2 * PERIOD_SAMPLES, copies: 3, mode, seed: 1, startMs: 1_700_006_400_000 }, join(dir, 'in'));
      expect(input.samplesPerCopy).toBe(300 * 2 * PERIOD_SAMPLES);
      for (const [c, d] of input.dirs.entries()) {
        const meta = parseMeta(readFileSync(join(d, 'meta.json'), 'utf8'));
        expect({ ulid: meta.ulid, sources: meta.compaction.sources, samples: meta.stats.numSamples }).toEqual({ ulid: copyUlid(c), sources: [copyUlid(c)], samples: input.samplesPerCopy });
      }
      const m = await measureCompaction(input.dirs, join(dir, 'out'));
      expect({ inputSamples: m.inputSamples, outputSamples: m.outputSamples, outputSeries: m.outputSeries }).toEqual({ inputSamples: 3 * input.samplesPerCopy, outputSamples: input.samplesPerCopy, outputSeries: 300 });
      expect(m.chunksReencoded > 0).toBe(reencoded);
      expect((await BlockReader.open(m.outputDir)).meta.stats.numSamples).toBe(input.samplesPerCopy);
      expect(m.peakRssBytes).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('buildCompactRows', () => {
  const result = (partial: Partial<CompactBenchResult>): CompactBenchResult => ({
    options: defaultCompactBenchOptions(),
    machine: { cpus: 2, loadBefore: 0, loadAfter: 0, freeMemBytes: 1 },
    inputReused: false,
    notes: [],
    rows: [],
    ...partial,
  });

  it('puts the figures of both sides on one row each, from the same definitions', () => {
    const r = result({
      input: { dirs: [], ulids: ['a', 'b', 'c'], samplesPerCopy: 1000, series: 10, families: 1, bytesPerCopy: 1, generateSeconds: 1 },
      panoptes: {
        seconds: 2, cpuSeconds: 2, inputSamples: 3000, outputSamples: 1000, outputSeries: 10, outputChunks: 10, chunksCopied: 10, chunksReencoded: 0, duplicateChunks: 20,
        rssBeforeBytes: 1 << 20, peakRssBytes: 2 << 20, peakHeapUsedBytes: 1 << 20, peakExternalBytes: 1 << 20, outputDir: '',
      },
      prometheus: { seconds: 1, cpuSeconds: 1, peakRssBytes: 3 << 20, peakHeapInuseBytes: 1 << 20 },
    });
    const rows = Object.fromEntries(buildCompactRows(r).map((row) => [row.figure, [row.panoptes, row.prometheus]]));
    expect(rows['input samples/s (every copy read)']).toEqual(['1,500', '3,000']);
    expect(rows['output samples/s (one copy written)']).toEqual(['500', '1,000']);
    expect(rows['ratio wall time prometheus / panoptes']).toEqual(['0.50', '1.00']);
  });

  it('marks Prometheus skipped when it was not run', () => {
    const rows = buildCompactRows(result({ options: { ...defaultCompactBenchOptions(), skipPrometheus: true } }));
    expect(rows[0].prometheus).toBe('skipped');
  });
});
