import {
  MAX_TIME_FORMATTED,
  MAX_TIME_MS,
  MIN_TIME_FORMATTED,
  MIN_TIME_MS,
  atoi,
  parseApiParams,
  parseDurationNs,
  parseMatcherSets,
  parseSeriesSelector,
  parseTime,
  unescapeLabelName,
} from './params';

describe('parseTime', () => {
  it.each<[string, string, number]>([
    ['unix seconds', '1700000000', 1_700_000_000_000],
    ['unix seconds with milliseconds', '1700000000.123', 1_700_000_000_123],
    ['fraction rounds to the millisecond', '0.0006', 1],
    ['fraction below half a millisecond rounds down', '0.0004', 0],
    ['negative seconds', '-1.5', -1500],
    ['exponent form', '1e3', 1_000_000],
    ['Grafana health check time', '4', 4000],
    ['RFC3339 UTC', '2023-11-14T22:13:20Z', 1_700_000_000_000],
    ['RFC3339 with nanoseconds truncates to ms', '2023-11-14T22:13:20.123999999Z', 1_700_000_000_123],
    ['RFC3339 with more than nine fraction digits', '2023-11-14T22:13:20.1234567891Z', 1_700_000_000_123],
    ['RFC3339 with comma fraction', '2023-11-14T22:13:20,5Z', 1_700_000_000_500],
    ['RFC3339 with offset', '2023-11-14T23:13:20+01:00', 1_700_000_000_000],
    ['RFC3339 with negative offset', '2023-11-14T21:13:20-01:00', 1_700_000_000_000],
    ['epoch', '1970-01-01T00:00:00Z', 0],
    ['year one', '0001-01-01T00:00:00Z', -62_135_596_800_000],
    ['leap day', '2024-02-29T00:00:00Z', 1_709_164_800_000],
    ['Prometheus min time sentinel', MIN_TIME_FORMATTED, MIN_TIME_MS],
    ['Prometheus max time sentinel', MAX_TIME_FORMATTED, MAX_TIME_MS],
  ])('%s', (_name, input, want) => {
    expect(parseTime(input)).toBe(want);
  });

  it.each<[string, string]>([
    ['a word', 'x'],
    ['empty', ''],
    ['date only', '2023-11-14'],
    ['no zone', '2023-11-14T22:13:20'],
    ['space separator', '2023-11-14 22:13:20Z'],
    ['lowercase t', '2023-11-14t22:13:20Z'],
    ['not a leap year', '2023-02-29T00:00:00Z'],
    ['hour 24', '2023-11-14T24:00:00Z'],
    ['leap second', '2023-11-14T23:59:60Z'],
    ['hex number', '0x10'],
    ['overflowing float', '1e400'],
    ['NaN (Prometheus accepts it and yields a meaningless time)', 'NaN'],
  ])('rejects %s with Prometheus text', (_name, input) => {
    expect(() => parseTime(input)).toThrow(`cannot parse ${JSON.stringify(input)} to a valid timestamp`);
  });
});

describe('parseDurationNs', () => {
  it.each<[string, string, number]>([
    ['float seconds', '15', 15e9],
    ['fractional seconds', '0.5', 5e8],
    ['negative seconds', '-1', -1e9],
    ['Prometheus duration', '1m', 60e9],
    ['compound duration', '1h30m', 5400e9],
    ['milliseconds', '100ms', 1e8],
    ['exponent seconds', '1e3', 1e12],
  ])('%s', (_name, input, want) => {
    expect(parseDurationNs(input)).toBe(want);
  });

  it.each<[string, string, string]>([
    ['a word', 'x', 'cannot parse "x" to a valid duration'],
    ['empty', '', 'cannot parse "" to a valid duration'],
    ['units out of order', '5m1h', 'cannot parse "5m1h" to a valid duration'],
    ['more seconds than int64 ns hold', '1e10', 'cannot parse "1e10" to a valid duration. It overflows int64'],
    ['infinity', 'Inf', 'cannot parse "Inf" to a valid duration. It overflows int64'],
  ])('rejects %s', (_name, input, message) => {
    expect(() => parseDurationNs(input)).toThrow(message);
  });
});

describe('atoi', () => {
  it.each<[string, string, number | string]>([
    ['digits', '40000', 40000],
    ['signed', '-5', -5],
    ['word', 'x', 'strconv.Atoi: parsing "x": invalid syntax'],
    ['float', '1.5', 'strconv.Atoi: parsing "1.5": invalid syntax'],
    ['too large', '99999999999999999999', 'strconv.Atoi: parsing "99999999999999999999": value out of range'],
  ])('%s', (_name, input, want) => {
    if (typeof want === 'number') expect(atoi(input)).toBe(want);
    else expect(() => atoi(input)).toThrow(want);
  });
});

describe('parseApiParams', () => {
  it('merges a form body and the query string, body values first like Go r.Form', () => {
    const p = parseApiParams('?time=1&match[]=b', 'application/x-www-form-urlencoded; charset=UTF-8', 'time=2&match%5B%5D=a');
    expect(p.get('time')).toBe('2');
    expect(p.getAll('match[]')).toEqual(['a', 'b']);
  });

  it('reads a Buffer body', () => {
    const p = parseApiParams('', 'application/x-www-form-urlencoded', Buffer.from('query=up%7Bjob%3D%22a%22%7D'));
    expect(p.get('query')).toBe('up{job="a"}');
  });

  it.each<[string, string | undefined]>([
    ['JSON', 'application/json'],
    ['no content type', undefined],
  ])('ignores a %s body', (_name, contentType) => {
    const p = parseApiParams('query=up', contentType, 'query=down');
    expect(p.getAll('query')).toEqual(['up']);
  });

  it('decodes + as a space, as Go does', () => {
    expect(parseApiParams('query=sum+by+(job)(up)', undefined, undefined).get('query')).toBe('sum by (job)(up)');
  });
});

describe('series selectors', () => {
  it('parses a metric name and matchers', () => {
    const ms = parseSeriesSelector('up{job="api"}');
    expect(ms.map((m) => m.toString()).sort()).toEqual(['__name__="up"', 'job="api"']);
  });

  it.each<[string, string]>([
    ['a function call', 'rate(up[5m])'],
    ['a range selector', 'up[5m]'],
    ['an offset', 'up offset 5m'],
    ['a number', '1'],
  ])('rejects %s', (_name, input) => {
    expect(() => parseSeriesSelector(input)).toThrow(/parse error/);
  });

  it('rejects a set whose matchers all match the empty string', () => {
    expect(() => parseMatcherSets(['{job=""}'])).toThrow(/non-empty matcher/);
  });
});

describe('unescapeLabelName', () => {
  it.each<[string, string, string]>([
    ['an unescaped name', 'job', 'job'],
    ['a dot', 'U__http_2e_method', 'http.method'],
    ['a double underscore', 'U__a__b', 'a_b'],
    ['an astral character', 'U___1f600_', '😀'],
    ['a bad hex digit leaves it alone', 'U__a_zz_', 'U__a_zz_'],
    ['an unterminated escape leaves it alone', 'U__a_2e', 'U__a_2e'],
    ['a trailing underscore leaves it alone', 'U__a_', 'U__a_'],
    ['six hex digits are too many for Go', 'U__a_00002e_', 'U__a_00002e_'],
    ['a surrogate code point leaves it alone', 'U__a_d800_', 'U__a_d800_'],
  ])('%s', (_name, input, want) => {
    expect(unescapeLabelName(input)).toBe(want);
  });
});
