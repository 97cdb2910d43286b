import { LiteralError, decodeUtf8, formatDuration, formatGoFloat, goQuote, isValidLabelName, parseDuration, parseNumber, unquoteString } from './literals';

describe('durations', () => {
  it.each([
    ['0', 0],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['100ms', 100],
    ['1y', 365 * 86_400_000],
    ['1w2d', 9 * 86_400_000],
    ['10s53ms', 10_053],
  ])('parses %s as %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it.each([
    ['', 'empty duration string'],
    ['5', 'not a valid duration string: "5"'],
    ['30s5m', 'not a valid duration string: "30s5m"'],
    ['1.5m', 'unknown unit "." in duration "1.5m"'],
    ['5x', 'unknown unit "x" in duration "5x"'],
    ['300000000y', 'duration out of range'],
  ])('rejects %j with %j', (s, message) => {
    expect(() => parseDuration(s)).toThrow(new LiteralError(message));
  });

  it.each([
    [0, '0s'],
    [90_000, '1m30s'],
    [90 * 86_400_000, '90d'],
    [14 * 86_400_000, '2w'],
    [365 * 86_400_000, '1y'],
    [1_500, '1s500ms'],
  ])('formats %d ms as %s', (ms, s) => {
    expect(formatDuration(ms)).toBe(s);
  });
});

describe('numbers', () => {
  it.each([
    ['1', 1],
    ['0x1f', 31],
    ['0X_1F', 31],
    ['017', 15],
    ['08', 8],
    ['1_000', 1000],
    ['1.', 1],
    ['.5', 0.5],
    ['1e3', 1000],
    ['Inf', Infinity],
    ['nan', NaN],
    ['99999999999999999999', 1e20],
  ])('parses %s like Go', (s, v) => {
    expect(parseNumber(s)).toBe(v);
  });

  it('rejects overflowing floats like Go', () => {
    expect(() => parseNumber('1e400')).toThrow('error parsing number: strconv.ParseFloat: parsing "1e400": value out of range');
  });

  it.each([
    [1, '1'],
    [0.5, '0.5'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5, '-2.5'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('prints %d as Go prints it: %s', (v, s) => {
    expect(formatGoFloat(v)).toBe(s);
  });
});

describe('strings', () => {
  it.each([
    ['"plain"', 'plain'],
    ['"tab\\there"', 'tab\there'],
    ["'single \\' quote'", "single ' quote"],
    ['"\\u00e9\\U0001F600"', 'é😀'],
    ['"\\101\\x42"', 'AB'],
    ['`raw \\n`', 'raw \\n'],
    ['"\\xff"', '\uDCFF'],
  ])('unquotes %s', (token, value) => {
    expect(unquoteString(token)).toBe(value);
  });

  it.each([
    ['plain', '"plain"'],
    ['quote " and \\', '"quote \\" and \\\\"'],
    ['new\nline', '"new\\nline"'],
    ['\u0001', '"\\x01"'],
    ['é', '"é"'],
    ['\u00ad', '"\\u00ad"'],
    ['a\uDCC5z', '"a\\xc5z"'],
  ])('quotes %j like Go: %s', (s, quoted) => {
    expect(goQuote(s)).toBe(quoted);
  });

  it('decodes valid UTF-8 and escapes only the invalid bytes', () => {
    expect(decodeUtf8([0x61, 0xc5, 0xbc, 0xff, 0x7a])).toBe('aż\uDCFFz');
    expect(decodeUtf8([0xe2, 0x82])).toBe('\uDCE2\uDC82');
  });

  it('accepts any valid UTF-8 label name and rejects empty or invalid ones', () => {
    expect(isValidLabelName('a.b/c')).toBe(true);
    expect(isValidLabelName('')).toBe(false);
    expect(isValidLabelName('a\uDCC5z')).toBe(false);
  });
});
