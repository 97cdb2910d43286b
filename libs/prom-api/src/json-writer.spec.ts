import { formatSampleValue, formatTimestamp } from './json';
import { JsonWriter } from './json-writer';

describe('JsonWriter', () => {
  it.each<[string, number[]]>([
    ['whole numbers', [0, 1, -1, 42, -42, 9007199254740991, -9007199254740991, 9007199254740992, 1e21, -1e22]],
    ['fractions and exponents', [0.5, -0.25, 1e-7, 9.99e-7, 1.5e300, 5e-324, 0.1 + 0.2]],
    ['special values', [NaN, Infinity, -Infinity, -0]],
    ['pseudo-random values', Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 40) - 20))],
  ])('writes sample values exactly as formatSampleValue: %s', (_name, values) => {
    const w = new JsonWriter(4);
    for (const v of values) w.sampleValue(v).byte(0x20);
    expect(w.toString()).toBe(values.map((v) => `"${formatSampleValue(v)}" `).join(''));
  });

  it.each<[string, number[]]>([
    ['typical times', [0, 1, 10, 999, 1000, 1500, 1_700_000_000_123]],
    ['negative times', [-1, -10, -1500, -1_700_000_000_123]],
    ['a grid', Array.from({ length: 1000 }, (_, i) => 1_700_000_000_000 + i * 1_234)],
  ])('writes timestamps exactly as formatTimestamp: %s', (_name, times) => {
    const w = new JsonWriter(4);
    for (const t of times) w.timestamp(t).byte(0x2c);
    expect(w.toString()).toBe(times.map((t) => `${formatTimestamp(t)},`).join(''));
  });

  it('keeps UTF-8 text intact across buffer growth', () => {
    const w = new JsonWriter(1);
    w.ascii('[').utf8('"é😀"').ascii(']');
    expect(w.toString()).toBe('["é😀"]');
  });
});
