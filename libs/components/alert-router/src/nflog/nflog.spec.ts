import { needsUpdate } from '../notify/pipeline';
import { NotificationLog } from './nflog';

const T0 = Date.UTC(2024, 0, 1, 12);
const R = { groupName: 'hook', integration: 'webhook', idx: 0 };
const entry = (firing: string[], resolved: string[], timestamp = T0) => ({ groupKey: 'g', receiver: R, timestamp, firingAlerts: firing, resolvedAlerts: resolved, expiresAt: timestamp + 1 });

describe('needsUpdate (Alertmanager DedupStage)', () => {
  it.each([
    ['nothing sent yet, firing alerts', undefined, ['a'], [], true, T0, true],
    ['nothing sent yet, only resolved alerts', undefined, [], ['a'], true, T0, false],
    ['a new firing alert', entry(['a'], []), ['a', 'b'], [], true, T0, true],
    ['everything notified has resolved', entry(['a'], []), [], ['a'], false, T0, true],
    ['fired and resolved within one interval, never notified', entry([], ['x']), [], ['a'], true, T0, false],
    ['a newly resolved alert with send_resolved', entry(['a', 'b'], []), ['a'], ['b'], true, T0, true],
    ['a newly resolved alert without send_resolved', entry(['a', 'b'], []), ['a'], ['b'], false, T0, false],
    ['unchanged, repeat interval not passed', entry(['a'], []), ['a'], [], true, T0 + 3600_000, false],
    ['unchanged, repeat interval passed', entry(['a'], []), ['a'], [], true, T0 + 3600_001, true],
  ])('%s → %s', (_name, e, firing, resolved, sendResolved, now, expected) => {
    expect(needsUpdate(e, firing, resolved, sendResolved, 3600_000, now)).toBe(expected);
  });
});

describe('NotificationLog', () => {
  it('keeps the last entry per group and receiver integration, and expires it after the retention', () => {
    let now = T0;
    const log = new NotificationLog({ retentionMs: 1000 }, () => now);
    log.log(R, 'g', ['a'], []);
    log.log({ ...R, idx: 1 }, 'g', ['b'], []);
    expect(log.query(R, 'g')?.firingAlerts).toEqual(['a']);
    now += 1000;
    expect(log.gc()).toBe(2);
    expect(log.query(R, 'g')).toBeUndefined();
  });

  it('round-trips through a snapshot', () => {
    const a = new NotificationLog({ retentionMs: 1000 }, () => T0);
    a.log(R, 'g', ['a'], ['b']);
    const b = new NotificationLog({ retentionMs: 1000 }, () => T0);
    b.restore(a.snapshot());
    expect(b.query(R, 'g')).toEqual(a.query(R, 'g'));
  });
});
