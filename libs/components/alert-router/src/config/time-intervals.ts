import { type Codec, field, list, object, parsed, str } from './yaml-decode';

/**
 * Alertmanager's time intervals (`timeinterval` package, 0.25): named sets of
 * `{times, weekdays, days_of_month, months, years, location}`; an instant is inside an interval
 * when it satisfies every component that is set, evaluated in the interval's location.
 */
export interface InclusiveRange {
  begin: number;
  end: number;
}

/** Minutes of the day, end exclusive (`09:00`–`17:00` = 540–1020). */
export interface TimeRange {
  startMinute: number;
  endMinute: number;
}

export interface TimeInterval {
  times?: TimeRange[];
  weekdays?: InclusiveRange[];
  days_of_month?: InclusiveRange[];
  months?: InclusiveRange[];
  years?: InclusiveRange[];
  /** IANA zone name; `Local` = the server's zone; absent or `""` = UTC. */
  location?: string;
}

export interface NamedTimeInterval {
  name: string;
  time_intervals: TimeInterval[];
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['', 'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

function rangeOf(input: string, member: (s: string) => number): InclusiveRange {
  const s = input.toLowerCase();
  if (s.includes(':')) {
    const parts = s.split(':');
    if (parts.length !== 2) throw new Error(`couldn't parse range ${s}, invalid format`);
    return { begin: member(parts[0]), end: member(parts[1]) };
  }
  const v = member(s);
  return { begin: v, end: v };
}

function weekday(s: string): number {
  const i = WEEKDAYS.indexOf(s);
  if (i < 0) throw new Error(`${s} is not a valid weekday`);
  return i;
}

function month(s: string): number {
  const i = MONTHS.indexOf(s);
  if (i > 0) return i;
  try {
    return atoi(s);
  } catch {
    throw new Error(`${s} is not a valid month`);
  }
}

function rangeText(r: InclusiveRange, names?: string[]): string {
  const n = (v: number): string => (names ? names[v] : String(v));
  return r.begin === r.end ? n(r.begin) : `${n(r.begin)}:${n(r.end)}`;
}

const weekdayRange = parsed<InclusiveRange>(
  'timeinterval.WeekdayRange',
  (s) => {
    const r = rangeOf(s, weekday);
    if (r.begin > r.end) throw new Error('start day cannot be before end day');
    return r;
  },
  (r) => rangeText(r, WEEKDAYS),
);

const dayOfMonthRange = parsed<InclusiveRange>(
  'timeinterval.DayOfMonthRange',
  (s) => {
    const r = rangeOf(s, atoi);
    for (const v of [r.begin, r.end]) if (v === 0 || v < -31 || v > 31) throw new Error(`${v} is not a valid day of the month: out of range`);
    if (r.begin < 0 && r.end > 0) throw new Error('end day must be negative if start day is negative');
    const b = r.begin < 0 ? 28 + r.begin : r.begin;
    const e = r.end < 0 ? 28 + r.end : r.end;
    if (b > e) throw new Error(`end day ${r.end} is always before start day ${r.begin}`);
    return r;
  },
  (r) => rangeText(r),
);

const monthRange = parsed<InclusiveRange>(
  'timeinterval.MonthRange',
  (s) => {
    const r = rangeOf(s, month);
    if (r.begin > r.end) throw new Error(`end month ${MONTHS[r.end] ?? r.end} is before start month ${MONTHS[r.begin] ?? r.begin}`);
    return r;
  },
  (r) => rangeText(r, r.begin >= 1 && r.end <= 12 ? MONTHS : undefined),
);

const yearRange = parsed<InclusiveRange>(
  'timeinterval.YearRange',
  (s) => {
    const r = rangeOf(s, atoi);
    if (r.begin > r.end) throw new Error(`end year ${r.end} is before start year ${r.begin}`);
    return r;
  },
  (r) => rangeText(r),
);

const TIME_RE = /^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)/;

function parseClock(s: string): number {
  if (!TIME_RE.test(s)) throw new Error(`couldn't parse timestamp ${s}, invalid format`);
  const [h, m] = s.split(':').map(Number);
  return h * 60 + m;
}

const clock = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const rawTimeRange = object<{ start_time?: string; end_time?: string }>('timeinterval.yamlTimeRange', [field('start_time', str, false), field('end_time', str, false)]);

const timeRange: Codec<TimeRange> = {
  goType: 'timeinterval.TimeRange',
  decode(node, at) {
    const raw = rawTimeRange.decode(node, at);
    if (!raw) return undefined;
    if (!raw.start_time || !raw.end_time) return at.fail('both start and end times must be provided', node);
    try {
      const start = parseClock(raw.start_time);
      const end = parseClock(raw.end_time);
      if (start >= end) return at.fail('start time cannot be equal or greater than end time', node);
      return { startMinute: start, endMinute: end };
    } catch (err) {
      return at.fail((err as Error).message, node);
    }
  },
  encode: (r) => ({ start_time: clock(r.startMinute), end_time: clock(r.endMinute) }),
  isEmpty: (r) => r === undefined,
};

/** A zone name Go's time.LoadLocation accepts: "", "UTC", "Local" or an IANA name (case-sensitive). */
export function parseLocation(name: string): string {
  if (name === '' || name === 'UTC' || name === 'Local') return name;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    throw new Error(`unknown time zone ${name}`);
  }
  // Intl matches zone names case-insensitively; Go reads zoneinfo files, whose names are case-sensitive.
  const canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  const known = new Set([canonical, ...Intl.supportedValuesOf('timeZone')]);
  if (!known.has(name) && name === name.toLowerCase()) throw new Error(`unknown time zone ${name}`);
  return name;
}

const location = parsed('timeinterval.Location', parseLocation, (v) => v || 'UTC');

const timeIntervalCodec = object<TimeInterval>('timeinterval.TimeInterval', [
  field('times', list(timeRange)),
  field('weekdays', list(weekdayRange)),
  field('days_of_month', list(dayOfMonthRange)),
  field('months', list(monthRange)),
  field('years', list(yearRange)),
  field('location', location),
]);

function named(goType: string, what: string): Codec<NamedTimeInterval> {
  return object<NamedTimeInterval>(goType, [field('name', str, false), field('time_intervals', list(timeIntervalCodec), false)], {
    defaults: () => ({ time_intervals: [] }),
    validate: (v) => (v.name ? undefined : `missing name in ${what}`),
  });
}

export const muteTimeIntervalCodec = named('config.MuteTimeInterval', 'mute time interval');
export const timeIntervalsCodec = named('config.TimeInterval', 'time interval');

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minuteOfDay: number;
  daysInMonth: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(ms: number, zone: string | undefined): LocalTime {
  const tz = zone === undefined || zone === '' || zone === 'UTC' ? 'UTC' : zone === 'Local' ? undefined : zone;
  const key = tz ?? 'Local';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
    formatters.set(key, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const year = Number(parts.year);
  const month = Number(parts.month);
  return {
    year,
    month,
    day: Number(parts.day),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday),
    minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute),
    daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}

const inAny = (ranges: InclusiveRange[], v: number): boolean => ranges.some((r) => v >= r.begin && v <= r.end);

/** Whether the instant `ms` lies inside the interval (Alertmanager's ContainsTime). */
export function containsTime(ti: TimeInterval, ms: number): boolean {
  const t = localTime(ms, ti.location);
  if (ti.times && !ti.times.some((r) => t.minuteOfDay >= r.startMinute && t.minuteOfDay < r.endMinute)) return false;
  if (ti.days_of_month) {
    const dim = t.daysInMonth;
    const hit = ti.days_of_month.some((r) => {
      let begin = r.begin < 0 ? dim + r.begin + 1 : r.begin;
      let end = r.end < 0 ? dim + r.end + 1 : r.end;
      if (begin > dim) return false;
      begin = Math.min(Math.max(begin, -dim), dim);
      end = Math.min(Math.max(end, -dim), dim);
      return t.day >= begin && t.day <= end;
    });
    if (!hit) return false;
  }
  if (ti.months && !inAny(ti.months, t.month)) return false;
  if (ti.weekdays && !inAny(ti.weekdays, t.weekday)) return false;
  if (ti.years && !inAny(ti.years, t.year)) return false;
  return true;
}

/** True when `ms` lies in any of the intervals. */
export function inIntervals(intervals: readonly TimeInterval[], ms: number): boolean {
  return intervals.some((ti) => containsTime(ti, ms));
}
