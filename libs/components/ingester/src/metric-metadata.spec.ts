import { FakeClock } from '@panoptes/common';
import { MetricMetadataStore } from './metric-metadata';

const ALL = { limit: -1, limitPerMetric: 0, metric: '' };
const RETAIN_MS = 60_000;

/** A store with counter `b_total`, gauge `a` (two helps, the second newer) and `c_bytes` (unit). */
function filled(clock = new FakeClock(1_000_000)): MetricMetadataStore {
  const store = new MetricMetadataStore({ retainPeriodMs: RETAIN_MS }, clock);
  store.add('b_total', 1, 'Bees.', '');
  store.add('a', 2, 'Old help.', '');
  clock.set(clock.now() + 10);
  store.add('a', 2, 'New help.', '');
  store.add('c_bytes', 2, 'Size.', 'bytes');
  return store;
}

const entry = (metricFamilyName: string, type: number, help: string, unit = '') => ({ metricFamilyName, type, help, unit });

describe('MetricMetadataStore', () => {
  it.each([
    {
      name: 'every family in name order, the newest entry of a family first',
      req: ALL,
      want: [entry('a', 2, 'New help.'), entry('a', 2, 'Old help.'), entry('b_total', 1, 'Bees.'), entry('c_bytes', 2, 'Size.', 'bytes')],
    },
    { name: 'limit counts families from the first name', req: { ...ALL, limit: 2 }, want: [entry('a', 2, 'New help.'), entry('a', 2, 'Old help.'), entry('b_total', 1, 'Bees.')] },
    { name: 'limit 0 answers nothing', req: { ...ALL, limit: 0 }, want: [] },
    { name: 'limit_per_metric keeps the newest entries', req: { ...ALL, limitPerMetric: 1 }, want: [entry('a', 2, 'New help.'), entry('b_total', 1, 'Bees.'), entry('c_bytes', 2, 'Size.', 'bytes')] },
    { name: 'a negative limit_per_metric is no limit', req: { ...ALL, limitPerMetric: -1, metric: 'a' }, want: [entry('a', 2, 'New help.'), entry('a', 2, 'Old help.')] },
    { name: 'one metric', req: { ...ALL, metric: 'c_bytes' }, want: [entry('c_bytes', 2, 'Size.', 'bytes')] },
    { name: 'an unknown metric', req: { ...ALL, metric: 'nope' }, want: [] },
  ])('answers $name', ({ req, want }) => {
    expect(filled().list(req)).toEqual(want);
  });

  it('keeps a repeated entry once and refreshes it', () => {
    const clock = new FakeClock(0);
    const store = new MetricMetadataStore({ retainPeriodMs: RETAIN_MS }, clock);
    store.add('up', 2, 'Up.', '');
    clock.set(clock.now() + RETAIN_MS);
    store.add('up', 2, 'Up.', '');
    clock.set(clock.now() + RETAIN_MS);
    expect(store.list(ALL)).toEqual([entry('up', 2, 'Up.')]);
  });

  it('drops an entry not received for longer than the retain period, and its family with its last entry', () => {
    const clock = new FakeClock(1_000_000);
    const store = filled(clock);
    clock.set(clock.now() + RETAIN_MS - 5);
    store.add('b_total', 1, 'Bees.', '');
    // a's old help (received RETAIN_MS + 5 ago) is gone; its new help (RETAIN_MS - 5 ago) stays.
    expect(store.list(ALL)).toEqual([entry('a', 2, 'New help.'), entry('b_total', 1, 'Bees.'), entry('c_bytes', 2, 'Size.', 'bytes')]);
    clock.set(clock.now() + RETAIN_MS);
    expect(store.list(ALL)).toEqual([entry('b_total', 1, 'Bees.')]);
    clock.set(clock.now() + 1);
    expect(store.list(ALL)).toEqual([]);
    expect(store.familyCount).toBe(0);
  });

  it('gets the newest entry of a family, and nothing for an unknown one', () => {
    const store = filled();
    expect(store.get('a')).toEqual({ type: 2, help: 'New help.', unit: '' });
    expect(store.get('nope')).toBeUndefined();
  });

  it('ignores an entry without a family name', () => {
    const store = new MetricMetadataStore();
    store.add('', 1, 'No name.', '');
    expect(store.list(ALL)).toEqual([]);
  });
});
