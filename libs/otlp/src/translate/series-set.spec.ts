import { LabelHash, SeriesSet, TranslatedLabels, sameFloatBits, withLabels } from './series-set';
import { STALE_NAN, isStaleNaN } from './translator';

const ascii = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe('SeriesSet', () => {
  it('keeps two label sets apart even when their hashes collide', () => {
    const set = new SeriesSet();
    const collide = new LabelHash(); // the same (zero) hash for both
    set.add([['__name__', 'a']], collide, 1, 1, 0);
    set.add([['__name__', 'b']], collide, 1, 2, 1);
    set.add([['__name__', 'a']], collide, 2, 3, 2);
    const { series } = set.finish();
    expect(series.map((s) => [s.labels, s.samples.map((x) => x.value)])).toEqual([
      [[['__name__', 'a']], [1, 3]],
      [[['__name__', 'b']], [2]],
    ]);
  });

  it('sorts samples by time, drops identical repeats and reports different values at one timestamp', () => {
    const set = new SeriesSet();
    const labels: TranslatedLabels = [['__name__', 'g']];
    const h = LabelHash.of(labels);
    set.add(labels, h, 30, 3, 0);
    set.add(labels, h, 10, 1, 1);
    set.add(labels, h, 10, 1, 2); // identical: dropped silently
    set.add(labels, h, 20, 2, 3);
    set.add(labels, h, 20, 9, 4); // conflicts with point 3
    const done = set.finish();
    expect(done.series[0].samples).toEqual([
      { timestampMs: 10, value: 1 },
      { timestampMs: 20, value: 2 },
      { timestampMs: 30, value: 3 },
    ]);
    expect([...done.conflictingPoints]).toEqual([4]);
    expect(done.conflicts).toEqual(['g{} at 20']);
    expect(done.samples).toBe(3);
  });

  it('keeps the staleness marker bits through storage', () => {
    const set = new SeriesSet();
    const labels: TranslatedLabels = [['__name__', 'g']];
    set.add(labels, LabelHash.of(labels), 1, STALE_NAN, 0);
    expect(isStaleNaN(set.finish().series[0].samples[0].value)).toBe(true);
  });

  it('grows past its initial capacity', () => {
    const set = new SeriesSet();
    for (let i = 0; i < 1000; i++) {
      const labels: TranslatedLabels = [['__name__', `m${i % 7}`]];
      set.add(labels, LabelHash.of(labels), i, i, i);
    }
    const done = set.finish();
    expect(done.series).toHaveLength(7);
    expect(done.samples).toBe(1000);
  });
});

describe('withLabels', () => {
  it('inserts new labels in order and replaces existing ones, keeping the hash equal to a fresh one', () => {
    const base: TranslatedLabels = [
      ['a', '1'],
      ['le', 'mine'],
      ['z', '2'],
    ];
    const h = LabelHash.of(base);
    const out = withLabels(base, [['__name__', 'x_bucket'], ['le', '0.5']], h, ascii);
    expect(out).toEqual([
      ['__name__', 'x_bucket'],
      ['a', '1'],
      ['le', '0.5'],
      ['z', '2'],
    ]);
    expect(h.key()).toBe(LabelHash.of(out).key());
    expect(base).toHaveLength(3); // the base is not modified
  });

  it('hashes label sets independently of order and distinguishes name/value boundaries', () => {
    expect(LabelHash.of([['a', 'b'], ['c', 'd']]).key()).toBe(LabelHash.of([['c', 'd'], ['a', 'b']]).key());
    expect(LabelHash.of([['ab', 'c']]).key()).not.toBe(LabelHash.of([['a', 'bc']]).key());
  });
});

describe('sameFloatBits', () => {
  it.each<[string, number, number, boolean]>([
    ['equal numbers', 1.5, 1.5, true],
    ['different numbers', 1, 2, false],
    ['0 and -0', 0, -0, false],
    ['two quiet NaNs', NaN, NaN, true],
    ['NaN and the staleness marker', NaN, STALE_NAN, false],
    ['a number and NaN', 1, NaN, false],
  ])('%s', (_name, a, b, same) => {
    expect(sameFloatBits(a, b)).toBe(same);
  });
});
