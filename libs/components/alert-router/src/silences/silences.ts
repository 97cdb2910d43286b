import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '@panoptes/common';
import { fingerprint } from '../alerts/alert';
import type { AlertStore } from '../alerts/alert-store';
import { type LabelSet, Matcher, type MatchType, matchesAll } from '../matchers';
import { isValidLabelName } from '../config/values';

/** A silence matcher as the API carries it. */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  /** ms since the epoch. */
  startsAt: number;
  endsAt: number;
  updatedAt: number;
  createdBy: string;
  comment: string;
}

/**
 *            startsAt          endsAt
 *   pending ────────▶ active ────────▶ expired ──(endsAt + retention)──▶ deleted by gc()
 */
export type SilenceState = 'pending' | 'active' | 'expired';

export function silenceState(s: Silence, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  if (now < s.endsAt) return 'active';
  return 'expired';
}

export interface SilencesConfig {
  /** How long an expired silence is kept (still listed) before gc() deletes it, ms (Alertmanager's --data.retention). */
  retentionMs: number;
  /** Most silences (any state) one tenant may hold; 0 = unlimited. */
  maxSilences: number;
}

export function defaultSilencesConfig(): SilencesConfig {
  return { retentionMs: 120 * 3600_000, maxSilences: 0 };
}

const SNAPSHOT_VERSION = 1;

function toMatcher(m: SilenceMatcher): Matcher {
  const type: MatchType = m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=';
  return new Matcher(type, m.name, m.value);
}

/** Why a silence cannot be stored (Alertmanager's validateSilence), or undefined. */
function validateSilence(s: Silence): string | undefined {
  if (s.matchers.length === 0) return 'at least one matcher required';
  let allMatchEmpty = true;
  for (const [i, m] of s.matchers.entries()) {
    if (!isValidLabelName(m.name)) return `invalid label matcher ${i}: invalid label name ${JSON.stringify(m.name)}`;
    let matcher: Matcher;
    try {
      matcher = toMatcher(m);
    } catch (err) {
      return `invalid label matcher ${i}: invalid regular expression ${JSON.stringify(m.value)}: ${(err as Error).message}`;
    }
    allMatchEmpty &&= matcher.matches('');
  }
  if (allMatchEmpty) return 'at least one matcher must not match the empty string';
  if (s.startsAt === 0) return 'invalid zero start timestamp';
  if (s.endsAt === 0) return 'invalid zero end timestamp';
  if (s.endsAt < s.startsAt) return 'end time must not be before start time';
  return undefined;
}

function sameMatchers(a: SilenceMatcher[], b: SilenceMatcher[]): boolean {
  return a.length === b.length && a.every((m, i) => m.name === b[i].name && m.value === b[i].value && m.isRegex === b[i].isRegex && m.isEqual === b[i].isEqual);
}

/**
 * One tenant's silences (Alertmanager's silence.Silences and Silencer). Updating a silence in place
 * is allowed only when its matchers are unchanged and the change keeps its history honest (an
 * active silence keeps its start, a pending one cannot start in the past); otherwise the old one is
 * expired and a new one with a new ID replaces it.
 */
export class Silences {
  private readonly silences = new Map<string, Silence>();
  private readonly compiled = new Map<string, Matcher[]>();

  constructor(
    private readonly config: SilencesConfig,
    private readonly now: () => number,
    private readonly newId: () => string = randomUUID,
    /**
     * Called with every silence stored: `local` for a change made here (set, expire), which the
     * alert-router persists and replicates; not `local` for one merged from a snapshot or a peer,
     * which it only persists.
     */
    private readonly onChange: (changed: Silence, local: boolean) => void = () => undefined,
  ) {}

  /** Creates or updates a silence; returns its (possibly new) ID. Throws ValidationError / NotFoundError. */
  set(input: Omit<Silence, 'updatedAt' | 'id'> & { id?: string }): string {
    const now = this.now();
    const problem = validateSilence({ ...input, id: input.id ?? '', updatedAt: now });
    if (problem) throw new ValidationError('invalid_silence', `silence invalid: ${problem}`);
    const prev = input.id ? this.silences.get(input.id) : undefined;
    if (input.id && !prev) throw new NotFoundError('silence_not_found', 'silence not found');
    if (prev) {
      if (this.canUpdate(prev, input, now)) {
        this.store({ ...input, id: prev.id, updatedAt: now }, true);
        return prev.id;
      }
      if (silenceState(prev, now) !== 'expired') this.expire(prev.id);
    }
    if (this.config.maxSilences > 0 && this.silences.size >= this.config.maxSilences) {
      throw new ValidationError('silences_limit', `exceeded the maximum of ${this.config.maxSilences} silences for this tenant; expire silences or raise the tenant's max_silences limit`);
    }
    const id = this.newId();
    this.store({ ...input, id, startsAt: Math.max(input.startsAt, now), updatedAt: now }, true);
    return id;
  }

  private canUpdate(a: Silence, b: Omit<Silence, 'updatedAt' | 'id'>, now: number): boolean {
    if (!sameMatchers(a.matchers, b.matchers)) return false;
    switch (silenceState(a, now)) {
      case 'active':
        return b.startsAt === a.startsAt && b.endsAt >= now;
      case 'pending':
        return b.startsAt >= now;
      case 'expired':
        return false;
    }
  }

  /** Ends a silence now (a pending one never starts). Already expired: nothing to do. */
  expire(id: string): void {
    const s = this.silences.get(id);
    if (!s) throw new NotFoundError('silence_not_found', 'silence not found');
    const now = this.now();
    const state = silenceState(s, now);
    if (state === 'expired') return;
    this.store({ ...s, startsAt: state === 'pending' ? now : s.startsAt, endsAt: now, updatedAt: now }, true);
  }

  get(id: string): Silence | undefined {
    return this.silences.get(id);
  }

  list(): Silence[] {
    return [...this.silences.values()];
  }

  /** IDs of the active silences matching the labels, sorted. */
  activeFor(labels: LabelSet): string[] {
    const now = this.now();
    const ids: string[] = [];
    for (const s of this.silences.values()) {
      if (silenceState(s, now) !== 'active') continue;
      if (matchesAll(this.compiled.get(s.id)!, labels)) ids.push(s.id);
    }
    return ids.sort();
  }

  /** Whether active silences mute these labels; records `silencedBy` in the store when given. */
  mutes(labels: LabelSet, store?: AlertStore): boolean {
    const ids = this.activeFor(labels);
    store?.setSilencedBy(fingerprint(labels), ids);
    return ids.length > 0;
  }

  /** Deletes silences expired for longer than the retention; returns how many. */
  gc(): number {
    const cutoff = this.now() - this.config.retentionMs;
    let n = 0;
    for (const [id, s] of this.silences) {
      if (s.endsAt <= cutoff) {
        this.silences.delete(id);
        this.compiled.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Every silence, as bytes (versioned JSON) for object storage. */
  snapshot(): Buffer {
    return Buffer.from(JSON.stringify({ version: SNAPSHOT_VERSION, silences: this.list() }));
  }

  /**
   * Loads a snapshot, keeping for each ID whichever copy was updated last, so restoring after a
   * restart and merging a peer's state are the same operation.
   */
  restore(bytes: Buffer): void {
    const parsed = JSON.parse(bytes.toString('utf8')) as { version?: number; silences?: Silence[] };
    if (parsed.version !== SNAPSHOT_VERSION || !Array.isArray(parsed.silences)) {
      throw new ValidationError('bad_silences_snapshot', `silences snapshot version ${String(parsed.version)} is not ${SNAPSHOT_VERSION}; it was written by an incompatible Panoptes version`);
    }
    this.merge(parsed.silences);
  }

  /**
   * Merges silences from a snapshot or another replica: for each ID the copy updated last wins,
   * so merging is idempotent and the order of merges does not matter. Returns how many changed.
   */
  merge(silences: readonly Silence[]): number {
    let n = 0;
    for (const s of silences) {
      const mine = this.silences.get(s.id);
      if (mine && mine.updatedAt >= s.updatedAt) continue;
      this.store(s, false);
      n++;
    }
    return n;
  }

  private store(s: Silence, local: boolean): void {
    this.compiled.set(s.id, s.matchers.map(toMatcher));
    this.silences.set(s.id, s);
    this.onChange(s, local);
  }
}
