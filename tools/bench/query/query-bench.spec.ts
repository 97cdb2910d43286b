import { seededRandom } from '@panoptes/common';
import { chooseRanges, defaultQueryBenchOptions, parseQueryBenchArgs, PAST_OFFSET_MS, shuffled } from './query-bench';

describe('parseQueryBenchArgs', () => {
  it('defaults to 10000 series x 2 h, 60 s steps, 9 runs', () => {
    expect(parseQueryBenchArgs([])).toEqual(defaultQueryBenchOptions());
    expect(defaultQueryBenchOptions()).toMatchObject({ series: 10_000, samplesPerSeries: 480, stepMs: 60_000, runs: 9 });
  });

  it.each([
    ['--quick: a smaller data set and fewer runs', ['--quick'], { series: 2000, samplesPerSeries: 120, runs: 3 }],
    ['flags after --quick override it', ['--quick', '--runs', '5'], { series: 2000, runs: 5 }],
    ['--step in seconds', ['--step', '30'], { stepMs: 30_000 }],
    ['--query repeated', ['--query', 'sum-rate', '--query', 'p99-latency'], { only: ['sum-rate', 'p99-latency'] }],
    ['--profile with its runs', ['--profile', 'group-left-join', '--profile-runs', '5'], { profile: 'group-left-join', profileRuns: 5 }],
    ['--panoptes-flag repeated', ['--panoptes-flag=-a=1', '--panoptes-flag=-b=2'], { panoptesFlags: ['-a=1', '-b=2'] }],
  ])('reads %s', (_name, argv, expected) => {
    expect(parseQueryBenchArgs(argv)).toMatchObject(expected);
  });

  it.each([
    ['a step that is not a multiple of the scrape interval', ['--step', '20'], /multiple of 15 seconds/],
    ['an unknown query name, listing the known ones', ['--query', 'nope'], /unknown query "nope"; the queries are sum-rate, /],
    ['an unknown profile query', ['--profile', 'nope'], /unknown query "nope"/],
    ['zero runs', ['--runs', '0'], /--runs must be an integer >= 1/],
    ['a bad build mode', ['--build', 'sometimes'], /--build must be auto, always or never/],
  ])('refuses %s', (_name, argv, message) => {
    expect(() => parseQueryBenchArgs(argv)).toThrow(message);
  });

  it('answers --help with "help"', () => {
    expect(parseQueryBenchArgs(['--help'])).toBe('help');
  });
});

describe('chooseRanges', () => {
  it.each([
    ['a time inside a minute: the end moves back to the minute', Date.UTC(2026, 0, 1, 12, 0, 42, 500), Date.UTC(2026, 0, 1, 12, 0, 0)],
    ['a time on a minute: the end stays there', Date.UTC(2026, 0, 1, 12, 0, 0), Date.UTC(2026, 0, 1, 12, 0, 0)],
  ])('for %s', (_name, now, end) => {
    const r = chooseRanges(now, 480, 60_000);
    expect(r.now).toEqual({ startMs: end - 2 * 3_600_000, endMs: end, stepMs: 60_000 });
    expect(r.past).toEqual({ startMs: end - 2 * 3_600_000, endMs: end - PAST_OFFSET_MS, stepMs: 60_000 });
  });

  it('never ends the past range before it starts', () => {
    const r = chooseRanges(Date.UTC(2026, 0, 1), 20, 60_000);
    expect(r.past.endMs).toBe(r.past.startMs);
  });
});

describe('shuffled', () => {
  it('orders every index once, differently from run to run', () => {
    const rnd = seededRandom(3);
    const orders = Array.from({ length: 5 }, () => shuffled(12, rnd));
    for (const o of orders) expect([...o].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(new Set(orders.map((o) => o.join(','))).size).toBe(5);
  });
});
