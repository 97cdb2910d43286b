import { Silences, defaultSilencesConfig, silenceState } from './silences';

const T0 = Date.UTC(2024, 0, 1, 12);
const M = [{ name: 'alertname', value: 'A', isRegex: false, isEqual: true }];

function setup(maxSilences = 0) {
  let now = T0;
  let n = 0;
  const s = new Silences({ ...defaultSilencesConfig(), retentionMs: 3600_000, maxSilences }, () => now, () => `id-${++n}`);
  return { s, tick: (ms: number) => (now += ms), now: () => now };
}

describe('Silences', () => {
  it('moves pending → active → expired with time', () => {
    const { s, tick, now } = setup();
    const id = s.set({ matchers: M, startsAt: T0 + 1000, endsAt: T0 + 2000, createdBy: 'me', comment: 'c' });
    const state = (): string => silenceState(s.get(id)!, now());
    expect(state()).toBe('pending');
    tick(1000);
    expect(state()).toBe('active');
    tick(1000);
    expect(state()).toBe('expired');
  });

  it('mutes labels only while active, and only when every matcher matches', () => {
    const { s, tick } = setup();
    s.set({ matchers: [...M, { name: 'env', value: 'prod.*', isRegex: true, isEqual: true }], startsAt: T0, endsAt: T0 + 60_000, createdBy: 'me', comment: 'c' });
    expect(s.mutes({ alertname: 'A', env: 'production' })).toBe(true);
    expect(s.mutes({ alertname: 'A', env: 'dev' })).toBe(false);
    tick(60_000);
    expect(s.mutes({ alertname: 'A', env: 'production' })).toBe(false);
  });

  it('updates an active silence in place when only its end changes', () => {
    const { s } = setup();
    const id = s.set({ matchers: M, startsAt: T0, endsAt: T0 + 60_000, createdBy: 'me', comment: 'c' });
    expect(s.set({ id, matchers: M, startsAt: T0, endsAt: T0 + 120_000, createdBy: 'me', comment: 'longer' })).toBe(id);
    expect(s.get(id)).toMatchObject({ endsAt: T0 + 120_000, comment: 'longer' });
  });

  it('replaces a silence whose matchers change: the old one expires, a new ID is returned', () => {
    const { s } = setup();
    const id = s.set({ matchers: M, startsAt: T0, endsAt: T0 + 60_000, createdBy: 'me', comment: 'c' });
    const other = s.set({ id, matchers: [{ ...M[0], value: 'B' }], startsAt: T0, endsAt: T0 + 60_000, createdBy: 'me', comment: 'c' });
    expect(other).not.toBe(id);
    expect(silenceState(s.get(id)!, T0)).toBe('expired');
  });

  it.each([
    ['no matchers', [], 'at least one matcher required'],
    ['only empty-matching matchers', [{ name: 'a', value: '', isRegex: false, isEqual: true }], 'at least one matcher must not match the empty string'],
    ['bad label name', [{ name: 'a b', value: 'x', isRegex: false, isEqual: true }], 'invalid label matcher 0: invalid label name "a b"'],
    ['bad regex', [{ name: 'a', value: '(', isRegex: true, isEqual: true }], 'invalid label matcher 0: invalid regular expression "("'],
  ])('rejects %s', (_name, matchers, message) => {
    const { s } = setup();
    expect(() => s.set({ matchers, startsAt: T0, endsAt: T0 + 1, createdBy: 'me', comment: 'c' })).toThrow(message);
  });

  it('expires a pending silence so that it never starts, and ignores expiring an expired one', () => {
    const { s } = setup();
    const id = s.set({ matchers: M, startsAt: T0 + 60_000, endsAt: T0 + 120_000, createdBy: 'me', comment: 'c' });
    s.expire(id);
    expect(s.get(id)).toMatchObject({ startsAt: T0, endsAt: T0 });
    expect(() => s.expire(id)).not.toThrow();
    expect(() => s.expire('nope')).toThrow('silence not found');
  });

  it('deletes expired silences after the retention', () => {
    const { s, tick } = setup();
    s.set({ matchers: M, startsAt: T0, endsAt: T0 + 1000, createdBy: 'me', comment: 'c' });
    tick(1000 + 3600_000 - 1);
    expect(s.gc()).toBe(0);
    tick(1);
    expect(s.gc()).toBe(1);
  });

  it('restores a snapshot, keeping the newer copy of each silence', () => {
    const a = setup();
    const id = a.s.set({ matchers: M, startsAt: T0, endsAt: T0 + 60_000, createdBy: 'me', comment: 'c' });
    const snap = a.s.snapshot();
    const b = setup();
    b.s.restore(snap);
    expect(b.s.get(id)).toEqual(a.s.get(id));
    expect(() => b.s.restore(Buffer.from('{"version":9}'))).toThrow('silences snapshot version 9 is not 1');
  });

  it('refuses a new silence past the tenant limit', () => {
    const { s } = setup(1);
    s.set({ matchers: M, startsAt: T0, endsAt: T0 + 1000, createdBy: 'me', comment: 'c' });
    expect(() => s.set({ matchers: M, startsAt: T0, endsAt: T0 + 1000, createdBy: 'me', comment: 'c' })).toThrow('exceeded the maximum of 1 silences');
  });
});
