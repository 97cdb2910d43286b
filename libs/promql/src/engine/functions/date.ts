/**
 * The calendar parts of a Unix time in UTC, as Go's `time.Unix(int64(v), 0).UTC()` gives them to
 * Prometheus's date functions: seconds are truncated towards zero, the calendar is proleptic
 * Gregorian without leap seconds. Computed arithmetically (Howard Hinnant's civil-from-days), so
 * years beyond JavaScript's Date range work too. A NaN or infinite input gives NaN (Go converts
 * them to an undefined int64; see the README).
 */

const SECONDS_PER_DAY = 86400;
const CUMULATIVE_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

let year = 0;
let month = 0;
let day = 0;
let daysSinceEpoch = 0;
let secondOfDay = 0;

/** Fills the module's calendar fields from `v` seconds; false when `v` is not finite. */
function split(v: number): boolean {
  if (!Number.isFinite(v)) return false;
  const sec = Math.trunc(v);
  daysSinceEpoch = Math.floor(sec / SECONDS_PER_DAY);
  secondOfDay = sec - daysSinceEpoch * SECONDS_PER_DAY;
  const z = daysSinceEpoch + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return true;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function yearOf(v: number): number {
  return split(v) ? year : NaN;
}

/** 1 (January) to 12. */
export function monthOf(v: number): number {
  return split(v) ? month : NaN;
}

export function dayOfMonth(v: number): number {
  return split(v) ? day : NaN;
}

/** 1 to 366. */
export function dayOfYear(v: number): number {
  if (!split(v)) return NaN;
  return CUMULATIVE_DAYS[month - 1] + day + (month > 2 && isLeap(year) ? 1 : 0);
}

/** 0 (Sunday) to 6; 1970-01-01 was a Thursday. */
export function dayOfWeek(v: number): number {
  if (!split(v)) return NaN;
  return (((daysSinceEpoch + 4) % 7) + 7) % 7;
}

export function daysInMonth(v: number): number {
  if (!split(v)) return NaN;
  if (month === 2) return isLeap(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function hourOf(v: number): number {
  return split(v) ? Math.floor(secondOfDay / 3600) : NaN;
}

export function minuteOf(v: number): number {
  return split(v) ? Math.floor((secondOfDay % 3600) / 60) : NaN;
}
