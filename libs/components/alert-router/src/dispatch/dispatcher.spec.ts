import { fingerprint } from '../alerts/alert';
import { TenantHarness, settle } from '../testing/harness';

const BASE = `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://hook.example/
`;

let h: TenantHarness;
/** An end far in the future, so alerts stay firing without being re-posted. */
const FAR = Date.UTC(2024, 0, 2);

afterEach(async () => {
  await h.stop();
});

describe('dispatcher timing', () => {
  it('sends a firing alert once, group_wait after it arrives, and not again before repeat_interval', async () => {
    h = new TenantHarness(BASE);
    h.post({ labels: { alertname: 'A' } });
    await h.advance(29_000);
    expect(h.sent).toHaveLength(0);
    await h.advance(1_000);
    expect(h.summary()).toEqual(['hook@30s:A=firing']);
    // Re-posted every minute like a ruler does: still one notification until repeat_interval.
    for (let i = 0; i < 50; i++) {
      h.post({ labels: { alertname: 'A' } });
      await h.advance(60_000, 15_000);
    }
    expect(h.sent).toHaveLength(1);
  });

  it('repeats an unchanged firing alert after repeat_interval, at the next group_interval tick', async () => {
    h = new TenantHarness(BASE, { config: {} });
    h.post({ labels: { alertname: 'A' }, endsAt: Date.UTC(2024, 0, 2) });
    await h.advance(30_000 + 3600_000 + 300_000, 30_000);
    // Ticks at 30s, 5m30s, … ; the first tick more than 1h after 30s is 1h5m30s.
    expect(h.summary()).toEqual(['hook@30s:A=firing', 'hook@3930s:A=firing']);
  });

  it('puts alerts with the same group_by values into one notification, and others into their own', async () => {
    h = new TenantHarness(BASE);
    h.post({ labels: { alertname: 'A', instance: 'i1' } }, { labels: { alertname: 'A', instance: 'i2' } }, { labels: { alertname: 'B', instance: 'i1' } });
    await h.advance(31_000);
    expect(h.summary().sort()).toEqual(['hook@30s:A/i1=firing,A/i2=firing', 'hook@30s:B/i1=firing']);
    expect(h.sent.map((s) => s.groupKey).sort()).toEqual(['{}:{alertname="A"}', '{}:{alertname="B"}']);
  });

  it('sends an alert joining a flushed group at the next group_interval tick, not after group_wait', async () => {
    h = new TenantHarness(BASE);
    h.post({ labels: { alertname: 'A', instance: 'i1' }, endsAt: FAR });
    await h.advance(60_000);
    h.post({ labels: { alertname: 'A', instance: 'i2' }, endsAt: FAR });
    await h.advance(300_000, 10_000);
    expect(h.summary()).toEqual(['hook@30s:A/i1=firing', 'hook@330s:A/i1=firing,A/i2=firing']);
  });

  it('flushes at once when an alert started longer than group_wait ago', async () => {
    h = new TenantHarness(BASE);
    h.post({ labels: { alertname: 'Old' }, startsAt: Date.UTC(2024, 0, 1, 11, 0, 0) });
    await settle();
    await h.advance(1_000);
    expect(h.summary()).toEqual(['hook@0s:Old=firing']);
  });

  it('sends a resolved notification when send_resolved is on, and removes the alert from its group', async () => {
    h = new TenantHarness(BASE);
    h.post({ labels: { alertname: 'A' } });
    await h.advance(60_000);
    h.post({ labels: { alertname: 'A' }, startsAt: Date.UTC(2024, 0, 1, 12, 0, 0), endsAt: Date.UTC(2024, 0, 1, 12, 1, 0) });
    await h.advance(600_000, 10_000);
    expect(h.summary()).toEqual(['hook@30s:A=firing', 'hook@330s:A=resolved']);
    expect(h.tenant.dispatcher.view(() => true, () => true).groups).toHaveLength(0);
  });

  it('resolves an alert its sender stopped updating after resolve_timeout', async () => {
    h = new TenantHarness(BASE.replace('route:', 'global:\n  resolve_timeout: 2m\nroute:'));
    h.post({ labels: { alertname: 'A' } });
    await h.advance(330_000, 10_000);
    expect(h.summary()).toEqual(['hook@30s:A=firing', 'hook@330s:A=resolved']);
  });

  it('does not send resolved notifications when send_resolved is off, but stops repeating', async () => {
    h = new TenantHarness(BASE.replace('- url: http://hook.example/', '- url: http://hook.example/\n        send_resolved: false'));
    h.post({ labels: { alertname: 'A' } });
    await h.advance(60_000);
    h.post({ labels: { alertname: 'A' }, startsAt: Date.UTC(2024, 0, 1, 12, 0, 0), endsAt: Date.UTC(2024, 0, 1, 12, 1, 0) });
    await h.advance(2 * 3600_000, 60_000);
    expect(h.summary()).toEqual(['hook@30s:A=firing']);
  });
});

describe('notification pipeline', () => {
  it('does not send alerts inhibited by a firing source alert with equal labels', async () => {
    h = new TenantHarness(`${BASE}
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [cluster]
`);
    h.post(
      { labels: { alertname: 'A', severity: 'critical', cluster: 'c1' } },
      { labels: { alertname: 'A', severity: 'warning', cluster: 'c1' } },
      { labels: { alertname: 'A', severity: 'warning', cluster: 'c2' } },
    );
    await h.advance(31_000);
    expect(h.summary()).toEqual(['hook@30s:A/critical/c1=firing,A/warning/c2=firing']);
    const [, status] = h.tenant.store.list().find(([, a]) => a.labels.cluster === 'c1' && a.labels.severity === 'warning')!;
    expect(h.tenant.store.statusOf(fingerprint(status.labels)).state).toBe('suppressed');
  });

  it('does not send silenced alerts, and sends them once the silence expires', async () => {
    h = new TenantHarness(BASE);
    const now = h.clock.now();
    const id = h.tenant.silences.set({ matchers: [{ name: 'alertname', value: 'A', isRegex: false, isEqual: true }], startsAt: now, endsAt: now + 600_000, createdBy: 'me', comment: 'maintenance' });
    h.post({ labels: { alertname: 'A' }, endsAt: FAR });
    await h.advance(400_000, 10_000);
    expect(h.sent).toHaveLength(0);
    h.tenant.silences.expire(id);
    await h.advance(300_000, 10_000);
    expect(h.summary()).toEqual(['hook@630s:A=firing']);
  });

  it.each([
    ['mute_time_intervals', 'weekend', 0],
    ['mute_time_intervals', 'weekdays', 1],
    ['active_time_intervals', 'weekend', 1],
    ['active_time_intervals', 'weekdays', 0],
  ])('a route with %s [%s] on Monday sends %i notifications', async (key, interval, expected) => {
    h = new TenantHarness(
      `
time_intervals:
  - name: weekend
    time_intervals: [{weekdays: [saturday, sunday]}]
  - name: weekdays
    time_intervals: [{weekdays: ['monday:friday'], location: Europe/Berlin}]
route:
  receiver: hook
  group_wait: 10s
  routes:
    - matchers: [team="x"]
      receiver: hook
      ${key}: [${interval === 'weekend' ? 'weekdays' : 'weekend'}]
receivers:
  - name: hook
    webhook_configs: [{url: 'http://hook.example/'}]
`,
      { start: Date.UTC(2024, 0, 1, 12, 0, 0) },
    );
    // 2024-01-01 is a Monday: `weekdays` contains it, `weekend` does not.
    h.post({ labels: { alertname: 'A', team: 'x' } });
    await h.advance(20_000);
    expect(h.sent).toHaveLength(expected);
  });

  it('retries a failing integration with backoff and counts each failed attempt', async () => {
    h = new TenantHarness(BASE);
    h.failures.push({ integration: 'webhook', count: 2, retry: true });
    h.post({ labels: { alertname: 'A' } });
    await h.advance(35_000, 250);
    expect(h.summary()).toEqual(['hook@31.25s:A=firing']);
    const failed = await h.registry.getSingleMetric('panoptes_alert_router_notification_requests_failed_total')!.get();
    expect(failed.values.find((v) => v.labels.integration === 'webhook')?.value).toBe(2);
  });

  it('gives up on a non-retryable failure, counts it, and retries at the next tick', async () => {
    h = new TenantHarness(BASE);
    h.failures.push({ integration: 'webhook', count: 1, retry: false });
    h.post({ labels: { alertname: 'A' }, endsAt: FAR });
    await h.advance(331_000, 10_000);
    expect(h.summary()).toEqual(['hook@330s:A=firing']);
    const failed = await h.registry.getSingleMetric('panoptes_alert_router_notifications_failed_total')!.get();
    expect(failed.values).toEqual([expect.objectContaining({ labels: { tenant: 't1', integration: 'webhook', reason: 'http_4xx' }, value: 1 })]);
  });

  it('does not resend after a restart that restored the notification log', async () => {
    h = new TenantHarness(BASE);
    h.post({ labels: { alertname: 'A' }, endsAt: FAR });
    await h.advance(31_000);
    expect(h.sent).toHaveLength(1);
    const snapshot = h.tenant.nflog.snapshot();
    await h.stop();
    const start = h.clock.now();
    h = new TenantHarness(BASE, { start });
    h.tenant.nflog.restore(snapshot);
    h.post({ labels: { alertname: 'A' }, startsAt: start - 31_000, endsAt: FAR });
    await h.advance(600_000, 10_000);
    expect(h.sent).toHaveLength(0);
  });
});
