import { type Alert, compareAlerts, fingerprint, formatApiTime, formatGoTime, labelSetString, mergeAlerts, parseApiTime, receiveAlert, validateAlert } from './alert';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

function alert(labels: Record<string, string>, over: Partial<Alert> = {}): Alert {
  return { labels, annotations: {}, startsAt: T0, endsAt: T0 + 300_000, generatorURL: '', updatedAt: T0, timeout: false, ...over };
}

describe('fingerprint', () => {
  // Values read from a real Alertmanager 0.25's API and webhook payloads for the same label sets.
  it.each([
    ['three labels with an ampersand', { alertname: 'A&B', job: 'j', team: 'a' }, 'c165e307aa351486'],
    ['instance label', { alertname: 'A&B', instance: 'i2', team: 'a' }, '4d6438f7a9189737'],
    ['critical', { alertname: 'A', severity: 'critical', team: 'a' }, 'cea107b8f6befe35'],
    ['warning', { alertname: 'A', severity: 'warning', team: 'a' }, '9096a31b56518752'],
    ['one label', { a: 'b' }, 'd2b371819297f98a'],
  ])('matches Alertmanager for %s', (_name, labels, expected) => {
    expect(fingerprint(labels)).toBe(expected);
  });

  it('does not depend on label order', () => {
    expect(fingerprint({ b: '2', a: '1' })).toBe(fingerprint({ a: '1', b: '2' }));
  });
});

describe('receiveAlert', () => {
  it.each([
    ['no times: starts now, ends after resolve_timeout (timeout end)', {}, { startsAt: T0, endsAt: T0 + 300_000, timeout: true }],
    ['only an end: starts at the end', { endsAt: T0 - 5000 }, { startsAt: T0 - 5000, endsAt: T0 - 5000, timeout: false }],
    ['a start only: keeps it, timeout end', { startsAt: T0 - 60_000 }, { startsAt: T0 - 60_000, endsAt: T0 + 300_000, timeout: true }],
  ])('%s', (_name, times, expected) => {
    expect(receiveAlert({ labels: { a: 'b' }, ...times }, T0, 300_000)).toMatchObject({ ...expected, updatedAt: T0 });
  });

  it('drops labels with empty values', () => {
    expect(receiveAlert({ labels: { a: 'b', c: '' } }, T0, 1000).labels).toEqual({ a: 'b' });
  });
});

describe('validateAlert', () => {
  it.each([
    ['valid', alert({ a: 'b' }), undefined],
    ['no labels', alert({}), 'at least one label pair required'],
    ['bad label name', alert({ 'a-b': 'x' }), 'invalid label set: invalid name "a-b"'],
    ['ends before it starts', alert({ a: 'b' }, { endsAt: T0 - 1 }), 'start time must be before end time'],
  ])('%s', (_name, a, expected) => {
    expect(validateAlert(a)).toBe(expected);
  });
});

describe('mergeAlerts', () => {
  it('keeps the earliest start and the newer update', () => {
    const old = alert({ a: 'b' }, { startsAt: T0 - 60_000, updatedAt: T0 - 60_000, annotations: { v: 'old' } });
    const update = alert({ a: 'b' }, { startsAt: T0, updatedAt: T0, annotations: { v: 'new' } });
    expect(mergeAlerts(old, update, T0)).toMatchObject({ startsAt: T0 - 60_000, annotations: { v: 'new' } });
  });

  it('lets an explicit later end win over a timeout end', () => {
    const explicit = alert({ a: 'b' }, { endsAt: T0 + 900_000, updatedAt: T0 - 1000 });
    const timeout = alert({ a: 'b' }, { endsAt: T0 + 300_000, updatedAt: T0, timeout: true });
    expect(mergeAlerts(explicit, timeout, T0).endsAt).toBe(T0 + 900_000);
  });
});

describe('formatting', () => {
  it.each([
    ['whole seconds', Date.UTC(2026, 0, 1), '2026-01-01T00:00:00Z'],
    ['milliseconds, trailing zeros trimmed', Date.UTC(2026, 0, 1, 0, 0, 0, 120), '2026-01-01T00:00:00.12Z'],
    ['zero time', 0, '0001-01-01T00:00:00Z'],
  ])('formatGoTime: %s', (_name, ms, expected) => {
    expect(formatGoTime(ms)).toBe(expected);
  });

  it('formatApiTime always writes milliseconds, as go-openapi does', () => {
    expect(formatApiTime(Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:00:00.000Z');
  });

  it.each([
    ['UTC with nanoseconds', '2026-01-01T00:00:00.123456789Z', Date.UTC(2026, 0, 1, 0, 0, 0, 123)],
    ['an offset', '2026-01-01T02:00:00+02:00', Date.UTC(2026, 0, 1)],
    ['Go zero time', '0001-01-01T00:00:00Z', 0],
    ['not a time', 'yesterday', undefined],
  ])('parseApiTime: %s', (_name, s, expected) => {
    expect(parseApiTime(s)).toBe(expected);
  });

  it('labelSetString sorts and quotes as Prometheus LabelSet.String()', () => {
    expect(labelSetString({ team: 'a', alertname: 'A&B "x"' })).toBe('{alertname="A&B \\"x\\"", team="a"}');
  });
});

describe('compareAlerts', () => {
  it('orders by job, then instance, then the label set', () => {
    const alerts = [alert({ x: '1' }), alert({ instance: 'b' }), alert({ job: 'z' }), alert({ instance: 'a' }), alert({ job: 'a', instance: 'z' })];
    expect(alerts.sort(compareAlerts).map((a) => Object.values(a.labels).join('/'))).toEqual(['a/z', 'z', 'a', 'b', '1']);
  });
});
