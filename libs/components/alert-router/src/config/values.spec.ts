import { formatGoDuration, formatModelDuration, parseGoDuration, parseHostPort, parseHttpUrl, parseModelDuration } from './values';

describe('model.Duration', () => {
  it.each([
    ['0', 0],
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['1w1d', 8 * 86_400_000],
    ['1y', 365 * 86_400_000],
    ['10ms', 10],
  ])('parses %s', (s, ms) => {
    expect(parseModelDuration(s)).toBe(ms);
  });

  it.each([
    ['', 'empty duration string'],
    ['1.5h', 'not a valid duration string: "1.5h"'],
    ['30', 'not a valid duration string: "30"'],
    ['5M', 'not a valid duration string: "5M"'],
    ['1m1h', 'not a valid duration string: "1m1h"'],
  ])('rejects %j', (s, message) => {
    expect(() => parseModelDuration(s)).toThrow(message);
  });

  it.each([
    [0, '0s'],
    [300_000, '5m'],
    [5_400_000, '1h30m'],
    [14 * 86_400_000, '2w'],
    [90 * 86_400_000, '90d'],
    [1500, '1s500ms'],
  ])('formats %i ms as %s', (ms, s) => {
    expect(formatModelDuration(ms)).toBe(s);
  });
});

describe('Go time.Duration', () => {
  it.each([
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['-2m', -120_000],
    ['1h0m30s', 3_630_000],
  ])('parses %s', (s, ms) => {
    expect(parseGoDuration(s)).toBe(ms);
  });

  it('rejects days, as Go does', () => {
    expect(() => parseGoDuration('1d')).toThrow('time: unknown unit "d" in duration "1d"');
  });

  it.each([
    [60_000, '1m0s'],
    [3_600_000, '1h0m0s'],
    [1500, '1.5s'],
  ])('formats %i ms as %s', (ms, s) => {
    expect(formatGoDuration(ms)).toBe(s);
  });
});

describe('URLs and addresses', () => {
  it.each([
    ['http://x', undefined],
    ['HTTPS://x/y?z', undefined],
    ['ftp://x', 'unsupported scheme "ftp" for URL'],
    ['x', 'unsupported scheme "" for URL'],
    ['http://', 'missing host for URL'],
    ['http:///x', 'missing host for URL'],
    ['http://x y', 'invalid character " " in host name'],
  ])('parseHttpUrl(%j)', (url, message) => {
    if (message) expect(() => parseHttpUrl(url)).toThrow(message);
    else expect(parseHttpUrl(url)).toBe(url);
  });

  it.each([
    ['smtp.example.com:587', undefined],
    ['[::1]:25', undefined],
    [':25', undefined],
    ['h', 'missing port in address'],
    ['h:', 'port cannot be empty'],
  ])('parseHostPort(%j)', (s, message) => {
    if (message) expect(() => parseHostPort(s)).toThrow(message);
    else expect(parseHostPort(s)).toBe(s);
  });
});
