import { formatJsonNumber, formatSampleValue, formatTimestamp, labelsJson, quoteGo, quoteHtml, quoteRaw } from './json';
import { labels } from './testing/fakes';

describe('formatSampleValue (Prometheus jsonutil.MarshalFloat)', () => {
  it.each<[string, number, string]>([
    ['zero', 0, '0'],
    ['negative zero keeps its sign', -0, '-0'],
    ['integer', 1, '1'],
    ['negative fraction', -1.5, '-1.5'],
    ['shortest round-trip digits', 0.1 + 0.2, '0.30000000000000004'],
    ['1e-6 is still fixed', 1e-6, '0.000001'],
    ['below 1e-6 switches to exponent, two digits', 9.99e-7, '9.99e-07'],
    ['1e-7', 1e-7, '1e-07'],
    ['three-digit negative exponent', 5e-324, '5e-324'],
    ['large but below 1e21 is fixed', 1e20, '100000000000000000000'],
    ['1e21 switches to exponent', 1e21, '1e+21'],
    ['mantissa with exponent', 1.2345e22, '1.2345e+22'],
    ['largest float', 1.7976931348623157e308, '1.7976931348623157e+308'],
    ['2^53', 2 ** 53, '9007199254740992'],
    ['typical counter', 123456789.123, '123456789.123'],
    ['NaN', NaN, 'NaN'],
    ['+Inf', Infinity, '+Inf'],
    ['-Inf', -Infinity, '-Inf'],
  ])('%s', (_name, v, want) => {
    expect(formatSampleValue(v)).toBe(want);
  });
});

describe('formatTimestamp (Prometheus jsonutil.MarshalTimestamp)', () => {
  it.each<[string, number, string]>([
    ['epoch', 0, '0'],
    ['one millisecond pads to three digits', 1, '0.001'],
    ['ten milliseconds', 10, '0.010'],
    ['trailing zeros are kept', 1500, '1.500'],
    ['whole seconds have no fraction', 4000, '4'],
    ['typical time', 1_700_000_000_123, '1700000000.123'],
    ['negative millisecond', -1, '-0.001'],
    ['negative with fraction', -1500, '-1.500'],
  ])('%s', (_name, ms, want) => {
    expect(formatTimestamp(ms)).toBe(want);
  });
});

describe('formatJsonNumber (Go encoding/json float64)', () => {
  it.each<[string, number, string]>([
    ['seconds from ms', 1500 / 1000, '1.5'],
    ['whole number', 4, '4'],
    ['small uses a one-digit exponent', 1e-7, '1e-7'],
    ['large', 1e21, '1e+21'],
    ['negative zero', -0, '-0'],
  ])('%s', (_name, v, want) => {
    expect(formatJsonNumber(v)).toBe(want);
  });
});

describe('string quoting', () => {
  it.each<[string, string, string, string, string]>([
    // name, input, raw (jsoniter WriteString), html (jsoniter std-compatible), go (encoding/json)
    ['plain text needs nothing', 'up', '"up"', '"up"', '"up"'],
    ['quote and backslash', 'a"b\\c', '"a\\"b\\\\c"', '"a\\"b\\\\c"', '"a\\"b\\\\c"'],
    ['newline, tab, return', '\n\t\r', '"\\n\\t\\r"', '"\\n\\t\\r"', '"\\n\\t\\r"'],
    ['backspace and form feed', '\b\f', '"\\u0008\\u000c"', '"\\u0008\\u000c"', '"\\b\\f"'],
    ['other control characters, lowercase hex', '\u001b', '"\\u001b"', '"\\u001b"', '"\\u001b"'],
    ['HTML characters escaped except in raw', '<a&b>', '"<a&b>"', '"\\u003ca\\u0026b\\u003e"', '"\\u003ca\\u0026b\\u003e"'],
    ['line and paragraph separators', '\u2028\u2029', '"\u2028\u2029"', '"\\u2028\\u2029"', '"\\u2028\\u2029"'],
    ['non-ASCII and astral characters pass', 'é😀', '"é😀"', '"é😀"', '"é😀"'],
    ['a lone surrogate becomes U+FFFD', 'a\ud800b', '"a\ud800b"', '"a\\ufffdb"', '"a\\ufffdb"'],
  ])('%s', (_name, input, raw, html, go) => {
    expect(quoteRaw(input)).toBe(raw);
    expect(quoteHtml(input)).toBe(html);
    expect(quoteGo(input)).toBe(go);
  });

  it('quoted strings parse back to the input', () => {
    const s = 'x"\\\n<>&\u2028é😀\u0001';
    expect(JSON.parse(quoteRaw(s))).toBe(s);
    expect(JSON.parse(quoteHtml(s))).toBe(s);
    expect(JSON.parse(quoteGo(s))).toBe(s);
  });
});

describe('labelsJson', () => {
  it('writes pairs in label order without HTML escaping', () => {
    expect(labelsJson(labels({ __name__: 'up', job: 'a<b', instance: 'h:9090' }))).toBe('{"__name__":"up","instance":"h:9090","job":"a<b"}');
  });

  it('writes an empty label set as {}', () => {
    expect(labelsJson([])).toBe('{}');
  });
});
