import { type TimeInterval, containsTime } from './time-intervals';

// 2024-01-01 is a Monday.
const at = (iso: string): number => Date.parse(iso);

describe('containsTime', () => {
  it.each<[string, TimeInterval, string, boolean]>([
    ['empty interval: always', {}, '2024-01-01T12:00:00Z', true],
    ['weekday range, inside', { weekdays: [{ begin: 1, end: 5 }] }, '2024-01-01T12:00:00Z', true],
    ['weekday range, Saturday', { weekdays: [{ begin: 1, end: 5 }] }, '2024-01-06T12:00:00Z', false],
    ['times are end-exclusive', { times: [{ startMinute: 9 * 60, endMinute: 17 * 60 }] }, '2024-01-01T17:00:00Z', false],
    ['times, inside', { times: [{ startMinute: 9 * 60, endMinute: 17 * 60 }] }, '2024-01-01T16:59:00Z', true],
    ['times in a location (Berlin is UTC+1 in winter)', { times: [{ startMinute: 9 * 60, endMinute: 10 * 60 }], location: 'Europe/Berlin' }, '2024-01-01T08:30:00Z', true],
    ['negative days of month count from the end', { days_of_month: [{ begin: -1, end: -1 }] }, '2024-02-29T12:00:00Z', true],
    ['negative days of month, not the last day', { days_of_month: [{ begin: -1, end: -1 }] }, '2024-02-28T12:00:00Z', false],
    ['months', { months: [{ begin: 12, end: 12 }] }, '2024-12-24T00:00:00Z', true],
    ['years', { years: [{ begin: 2020, end: 2023 }] }, '2024-01-01T00:00:00Z', false],
    ['an empty weekday list never matches', { weekdays: [] }, '2024-01-01T00:00:00Z', false],
    ['all components must hold', { weekdays: [{ begin: 1, end: 1 }], months: [{ begin: 2, end: 2 }] }, '2024-01-01T00:00:00Z', false],
  ])('%s', (_name, ti, iso, expected) => {
    expect(containsTime(ti, at(iso))).toBe(expected);
  });
});
