import { goQuote, isValidLabelName } from '../config/values';
import type { LabelSet } from '../matchers';

/**
 * An alert as Alertmanager keeps it. Times are milliseconds since the epoch; 0 stands for Go's
 * zero time ("not set"). `endsAt` is always set once the alert is stored: either by its sender
 * or to receipt + resolve_timeout (`timeout` true), after which it counts as resolved.
 */
export interface Alert {
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly generatorURL: string;
  /** When Panoptes last received it. */
  readonly updatedAt: number;
  /** endsAt was filled in from resolve_timeout rather than sent. */
  readonly timeout: boolean;
}

const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
const TWO32 = 0x1_0000_0000;

/**
 * Prometheus's label-set fingerprint (`model.LabelSet.Fingerprint`): FNV-1a 64 over the sorted
 * names and values, each followed by 0xff, as 16 hex digits. Alertmanager shows it in its API and
 * webhook payloads, so it must match byte for byte.
 */
export function fingerprint(labels: LabelSet): string {
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  const add = (byte: number): void => {
    lo ^= byte;
    lo >>>= 0;
    // h *= 0x100000001b3 (mod 2^64), in 32-bit halves: 2^40 = 2^32 * 2^8.
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / TWO32);
    hi = (hi * 0x1b3 + ((lo * 256) % TWO32) + carry) % TWO32;
    lo = loMul % TWO32;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const b of Buffer.from(name, 'utf8')) add(b);
    add(0xff);
    for (const b of Buffer.from(labels[name], 'utf8')) add(b);
    add(0xff);
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** Resolved at `now`: endsAt is set and not after now (Alertmanager's ResolvedAt). */
export function resolvedAt(a: Alert, now: number): boolean {
  return a.endsAt !== 0 && a.endsAt <= now;
}

export function alertStatus(a: Alert, now: number): 'firing' | 'resolved' {
  return resolvedAt(a, now) ? 'resolved' : 'firing';
}

/** A group's status at `now` (Alertmanager's `Alerts.Status`): firing while any alert fires. */
export function alertsStatus(alerts: readonly Alert[], now: number): 'firing' | 'resolved' {
  return alerts.some((a) => !resolvedAt(a, now)) ? 'firing' : 'resolved';
}

/**
 * Alertmanager's Alert.Merge: the younger update wins, keeping the earliest start and the latest
 * explicit end.
 */
export function mergeAlerts(a: Alert, o: Alert, now: number): Alert {
  if (o.updatedAt < a.updatedAt) return mergeAlerts(o, a, now);
  let { startsAt, endsAt } = o;
  if (a.startsAt < o.startsAt) startsAt = a.startsAt;
  if (resolvedAt(o, now)) {
    if (resolvedAt(a, now) && a.endsAt > o.endsAt) endsAt = a.endsAt;
  } else if (a.endsAt > o.endsAt && !a.timeout) {
    endsAt = a.endsAt;
  }
  return { ...o, startsAt, endsAt };
}

/** Why an alert cannot be stored (Alertmanager's Alert.Validate), or undefined. */
export function validateAlert(a: Alert): string | undefined {
  if (a.startsAt === 0) return 'start time missing';
  if (a.endsAt !== 0 && a.endsAt < a.startsAt) return 'start time must be before end time';
  const names = Object.keys(a.labels);
  if (names.length === 0) return 'at least one label pair required';
  for (const n of names) if (!isValidLabelName(n)) return `invalid label set: invalid name ${goQuote(n)}`;
  for (const n of Object.keys(a.annotations)) if (!isValidLabelName(n)) return `invalid annotations: invalid name ${goQuote(n)}`;
  return undefined;
}

/** Alertmanager's notification order: by `job`, then `instance`, then the whole label set. */
export function compareAlerts(a: Alert, b: Alert): number {
  for (const key of ['job', 'instance']) {
    const av = a.labels[key];
    const bv = b.labels[key];
    if (av === undefined && bv === undefined) continue;
    if (av === undefined) return 1;
    if (bv === undefined) return -1;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return labelSetBefore(a.labels, b.labels) ? -1 : labelSetBefore(b.labels, a.labels) ? 1 : 0;
}

/** Prometheus's LabelSet.Before: fewer labels first, then by sorted names and values. */
export function labelSetBefore(ls: LabelSet, o: LabelSet): boolean {
  const a = Object.keys(ls);
  const b = Object.keys(o);
  if (a.length !== b.length) return a.length < b.length;
  for (const ln of [...a, ...b].sort()) {
    const mv = ls[ln];
    if (mv === undefined) return true;
    const ov = o[ln];
    if (ov === undefined) return false;
    if (mv !== ov) return mv < ov;
  }
  return false;
}

/** `{a="x", b="y"}`: Prometheus's LabelSet.String(), as group keys embed it. */
export function labelSetString(ls: LabelSet): string {
  return `{${Object.keys(ls)
    .sort()
    .map((n) => `${n}=${goQuote(ls[n])}`)
    .join(', ')}}`;
}

/** Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC; 0 = zero time. */
export function formatGoTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

/** go-openapi's strfmt.DateTime form (always milliseconds), in UTC. */
export function formatApiTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00.000Z';
  return new Date(ms).toISOString();
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp (sub-millisecond digits dropped); undefined when malformed. */
export function parseApiTime(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const frac = m[7] ? m[7].slice(0, 4).padEnd(4, '0') : '';
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac}${m[8].toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  if (s.startsWith('0001-01-01T00:00:00')) return 0;
  return ms;
}

/** An alert as a client posts it (API v2 PostableAlert); times in ms, 0 or absent = not set. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: number;
  endsAt?: number;
  generatorURL?: string;
}

/**
 * Completes a posted alert as Alertmanager's API does on receipt: updatedAt = now; a missing
 * start becomes the end (or now); a missing end becomes now + resolve_timeout (a "timeout" end
 * the sender's next update replaces); labels with empty values are dropped.
 */
export function receiveAlert(p: PostableAlert, now: number, resolveTimeoutMs: number): Alert {
  const labels = Object.fromEntries(Object.entries(p.labels).filter(([, v]) => v !== ''));
  let startsAt = p.startsAt ?? 0;
  let endsAt = p.endsAt ?? 0;
  if (startsAt === 0) startsAt = endsAt === 0 ? now : endsAt;
  const timeout = endsAt === 0;
  if (timeout) endsAt = now + resolveTimeoutMs;
  return { labels, annotations: { ...(p.annotations ?? {}) }, startsAt, endsAt, generatorURL: p.generatorURL ?? '', updatedAt: now, timeout };
}
