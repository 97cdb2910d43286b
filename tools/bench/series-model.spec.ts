import { chooseStartMs, constantSeriesCount, generateDataset, SCRAPE_INTERVAL_MS } from './series-model';

const T0 = 1_700_000_000_000;
const TWO_HOURS = 2 * 3600 * 1000;

describe('generateDataset', () => {
  const ds = generateDataset({ series: 3000, samplesPerSeries: 6, seed: 7, startMs: T0 });

  it('makes exactly the requested number of series, each with 8 to 12 labels sorted by name, __name__ first', () => {
    expect(ds.series).toHaveLength(3000);
    const bad = ds.series.filter(
      (s) => s.names.length < 8 || s.names.length > 12 || s.names[0] !== '__name__' || [...s.names].sort().join() !== s.names.join() || new Set(s.names).size !== s.names.length,
    );
    expect(bad).toEqual([]);
  });

  it('never repeats a label set', () => {
    const keys = new Set(ds.series.map((s) => s.names.map((n, j) => `${n}=${s.values[j]}`).join(',')));
    expect(keys.size).toBe(ds.series.length);
  });

  it('scrapes every 15 s (plus a few ms of jitter) from within one interval of the start, on whole milliseconds', () => {
    const bad: string[] = [];
    for (let i = 0; i < ds.series.length; i++) {
      const at = (k: number): number => ds.timestamps[i * ds.samplesPerSeries + k];
      if (at(0) < T0 || at(0) >= T0 + SCRAPE_INTERVAL_MS + 5) bad.push(`series ${i} starts at ${at(0)}`);
      for (let k = 1; k < ds.samplesPerSeries; k++) {
        const step = at(k) - at(k - 1);
        if (step <= SCRAPE_INTERVAL_MS - 5 || step >= SCRAPE_INTERVAL_MS + 5 || !Number.isInteger(at(k))) bad.push(`series ${i} sample ${k} at ${at(k)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps counters (…_total, histogram buckets and counts) from ever decreasing, and every value finite', () => {
    const bad: string[] = [];
    for (let i = 0; i < ds.series.length; i++) {
      const name = ds.series[i].values[0];
      const monotonic = name.endsWith('_total') || name.endsWith('_bucket') || name.endsWith('_count');
      for (let k = 0; k < ds.samplesPerSeries; k++) {
        const v = ds.values[i * ds.samplesPerSeries + k];
        if (!Number.isFinite(v) || (monotonic && k > 0 && v < ds.values[i * ds.samplesPerSeries + k - 1])) bad.push(`${name} (series ${i}) sample ${k}: ${v}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('has a realistic share of series that never change (between 15% and 50%)', () => {
    const share = constantSeriesCount(ds) / ds.series.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.5);
  });

  it.each([
    ['the same seed gives the same data', 7, true],
    ['another seed gives other data', 8, false],
  ])('%s', (_name, seed, same) => {
    const other = generateDataset({ series: 3000, samplesPerSeries: 6, seed, startMs: T0 });
    const equal = Buffer.from(other.values.buffer).equals(Buffer.from(ds.values.buffer)) && JSON.stringify(other.series) === JSON.stringify(ds.series);
    expect(equal).toBe(same);
  });
});

describe('chooseStartMs', () => {
  const boundary = Math.ceil(T0 / TWO_HOURS) * TWO_HOURS;
  it.each([
    ['well inside a block range: ends at the last whole interval before now', boundary + 3600_000 + 7000, 20],
    ['just after a block boundary: moves back so the samples stay in one range', boundary + 60_000, 20],
    ['just before a block boundary', boundary - 1, 20],
  ])('%s', (_name, now, samples) => {
    const start = chooseStartMs(now, samples);
    const lastPossible = start + (samples + 1) * SCRAPE_INTERVAL_MS;
    expect(start % SCRAPE_INTERVAL_MS).toBe(0);
    expect(lastPossible).toBeLessThanOrEqual(now);
    expect(Math.floor(start / TWO_HOURS)).toBe(Math.floor((lastPossible - 1) / TWO_HOURS));
  });
});
