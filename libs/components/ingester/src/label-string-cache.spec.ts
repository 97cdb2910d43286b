import { LabelStringCache } from './label-string-cache';

describe('LabelStringCache', () => {
  it.each<[string, string]>([
    ['ASCII', 'node-exporter'],
    ['non-ASCII (not cached, still decoded as UTF-8)', 'Zürich 🌡️'],
    ['empty', ''],
  ])('returns the UTF-8 decoding of the bytes, the same on a repeat: %s', (_name, s) => {
    const cache = new LabelStringCache();
    const buf = Buffer.from(`xx${s}yy`, 'utf8');
    const len = Buffer.byteLength(s);
    expect(cache.get(buf, 2, len)).toBe(s);
    expect(cache.get(buf, 2, len)).toBe(s);
  });

  it('never returns a cached string for other bytes sharing its slot', () => {
    const cache = new LabelStringCache(1); // one slot: every string collides
    const words = ['pod-a', 'pod-b', 'pod-a', 'pod-aa', 'pod-', 'pod-b'];
    expect(words.map((w) => cache.get(Buffer.from(w), 0, w.length))).toEqual(words);
  });

  it('refuses a slot count that is not a power of two', () => {
    expect(() => new LabelStringCache(3)).toThrow('power of two');
  });
});
