import { FakeClock, UnavailableError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { Engine, MemoryQueryable } from '@panoptes/promql';
import { type HttpSink, startHttpSink, stopAllPeers } from '@panoptes/testing';
import { Registry } from 'prom-client';
import { type NotifierAlert, engineQueryFunc } from './contracts';
import { RuleGroupEvaluator, defaultRuleGroupEvaluatorConfig } from './group';
import { RulerMetrics } from './metrics';
import { AlertNotifier, type AlertSender, httpAlertSender } from './notifier';
import { parseRuleGroup } from './rulefmt';
import { MIN, MemorySink, constantSeries, lbls } from './testing/harness';

/** Records every batch; `gate` holds sends until released. */
class CaptureSender implements AlertSender {
  readonly name = 'capture';
  readonly batches: { tenant: string; alerts: NotifierAlert[] }[] = [];
  failWith: Error | undefined;
  gate: Promise<void> | undefined;

  async send(tenant: string, alerts: readonly NotifierAlert[]): Promise<void> {
    await this.gate;
    if (this.failWith) throw this.failWith;
    this.batches.push({ tenant, alerts: [...alerts] });
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
};

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values as { labels: Record<string, string>; value: number }[] | undefined)?.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

const alert = (name: string): NotifierAlert => ({ labels: lbls({ alertname: name }), annotations: [], startsAtMs: 0, endsAtMs: 1, generatorURL: '' });

describe('alert sending through the group evaluator and the notifier (FakeClock)', () => {
  it.each([
    { name: 'interval 1m, resend delay 1m: every second evaluation', intervalMs: MIN, resendDelayMs: MIN, sentAt: [0, 2, 4], endsAfterMs: 4 * MIN },
    { name: 'interval 15s, resend delay 1m: after more than a minute', intervalMs: 15_000, resendDelayMs: MIN, sentAt: [0, 5], endsAfterMs: 4 * MIN },
    { name: 'interval 2m, resend delay 30s: every evaluation', intervalMs: 2 * MIN, resendDelayMs: 30_000, sentAt: [0, 1, 2, 3, 4, 5], endsAfterMs: 8 * MIN },
  ])('resends a firing alert after the resend delay with endsAt = now + 4 × max(resend delay, interval): $name', async ({ intervalMs, resendDelayMs, sentAt, endsAfterMs }) => {
    const clock = new FakeClock(0);
    const data = new MemoryQueryable();
    constantSeries(data, 't1', { __name__: 'up', job: 'a' }, 0, 0, 60 * MIN, 15_000);
    const sender = new CaptureSender();
    const notifier = new AlertNotifier({ queueCapacity: 100, maxBatchSize: 64, timeoutMs: 1_000 }, [sender], nopLogger, new Registry());
    const group = new RuleGroupEvaluator(
      { ...defaultRuleGroupEvaluatorConfig(), alignEvaluationTimeOnInterval: true, resendDelayMs },
      't1',
      'ns',
      parseRuleGroup(`name: g\ninterval: ${intervalMs / 1000}s\nrules:\n  - alert: Down\n    expr: up == 0\n`),
      { query: engineQueryFunc(new Engine(), data, 't1'), queryable: data, sink: new MemorySink(), notifier, clock, metrics: new RulerMetrics(new Registry()) },
      nopLogger,
      { shouldRestore: false },
    );
    const start = 10 * intervalMs;
    for (let i = 0; i < 6; i++) {
      await group.evaluate(start + i * intervalMs);
      await settle();
    }
    const sends = sender.batches.flatMap((b) => b.alerts);
    expect(sends.map((a) => (a.endsAtMs - endsAfterMs - start) / intervalMs)).toEqual(sentAt);
    expect(sends.every((a) => a.startsAtMs === start)).toBe(true);
    await notifier.stop();
  });

  it('sends a resolved alert at once with endsAt = the resolve time', async () => {
    const data = new MemoryQueryable();
    data.add('t1', lbls({ __name__: 'up', job: 'a' }), [
      { t: 0, v: 0 },
      { t: MIN, v: 1 },
    ]);
    const sender = new CaptureSender();
    const notifier = new AlertNotifier({ queueCapacity: 100, maxBatchSize: 64, timeoutMs: 1_000 }, [sender], nopLogger, new Registry());
    const group = new RuleGroupEvaluator(
      { ...defaultRuleGroupEvaluatorConfig(), alignEvaluationTimeOnInterval: true },
      't1',
      'ns',
      parseRuleGroup('name: g\ninterval: 1m\nrules:\n  - alert: Down\n    expr: up == 0\n'),
      {
        query: engineQueryFunc(new Engine(), data, 't1'),
        queryable: data,
        sink: new MemorySink(),
        notifier,
        clock: new FakeClock(0),
        metrics: new RulerMetrics(new Registry()),
      },
      nopLogger,
      { shouldRestore: false },
    );
    await group.evaluate(0);
    await group.evaluate(MIN);
    await settle();
    expect(sender.batches.flatMap((b) => b.alerts).map((a) => [a.startsAtMs, a.endsAtMs])).toEqual([
      [0, 4 * MIN],
      [0, MIN],
    ]);
    await notifier.stop();
  });
});

describe('AlertNotifier', () => {
  it('keeps at most queueCapacity alerts per tenant, dropping and counting the oldest', async () => {
    const registry = new Registry();
    const sender = new CaptureSender();
    let release!: () => void;
    sender.gate = new Promise((r) => (release = r));
    const notifier = new AlertNotifier({ queueCapacity: 3, maxBatchSize: 2, timeoutMs: 10_000 }, [sender], nopLogger, registry);
    notifier.send('t1', [alert('a')]);
    await settle();
    // 'a' is in flight; the queue holds at most 3 of b..f.
    notifier.send('t1', ['b', 'c', 'd', 'e', 'f'].map(alert));
    notifier.send('t2', [alert('x')]);
    expect(notifier.queued('t1')).toBe(3);
    expect(await metric(registry, 'panoptes_ruler_notifications_dropped_total', { tenant: 't1' })).toBe(2);
    expect(await metric(registry, 'panoptes_ruler_notifications_queue_length', { tenant: 't1' })).toBe(3);
    release();
    await notifier.stop();
    const t1 = sender.batches.filter((b) => b.tenant === 't1').map((b) => b.alerts.map((a) => a.labels[0][1]));
    expect(t1).toEqual([['a'], ['d', 'e'], ['f']]);
    expect(sender.batches.filter((b) => b.tenant === 't2')).toHaveLength(1);
    expect(await metric(registry, 'panoptes_ruler_notifications_sent_total', { tenant: 't1' })).toBe(4);
  });

  it('counts failed sends per tenant and carries on with the next batch', async () => {
    const registry = new Registry();
    const sender = new CaptureSender();
    sender.failWith = new UnavailableError('down', 'alertmanager down');
    const notifier = new AlertNotifier({ queueCapacity: 10, maxBatchSize: 1, timeoutMs: 1_000 }, [sender], nopLogger, registry);
    notifier.send('t1', [alert('a'), alert('b')]);
    await settle();
    sender.failWith = undefined;
    notifier.send('t1', [alert('c')]);
    await notifier.stop();
    expect(await metric(registry, 'panoptes_ruler_notifications_errors_total', { tenant: 't1' })).toBe(2);
    expect(await metric(registry, 'panoptes_ruler_notifications_sent_total', { tenant: 't1' })).toBe(1);
  });

  it('drops and counts alerts when there is no Alertmanager, and after stop', async () => {
    const registry = new Registry();
    const none = new AlertNotifier({ queueCapacity: 10, maxBatchSize: 64, timeoutMs: 1_000 }, [], nopLogger, registry);
    none.send('t1', [alert('a')]);
    expect(await metric(registry, 'panoptes_ruler_notifications_dropped_total', { tenant: 't1' })).toBe(1);
    const registry2 = new Registry();
    const sender = new CaptureSender();
    const stopped = new AlertNotifier({ queueCapacity: 10, maxBatchSize: 64, timeoutMs: 1_000 }, [sender], nopLogger, registry2);
    await stopped.stop();
    stopped.send('t1', [alert('a')]);
    expect(sender.batches).toEqual([]);
    expect(await metric(registry2, 'panoptes_ruler_notifications_dropped_total', { tenant: 't1' })).toBe(1);
  });
});

describe('httpAlertSender', () => {
  let am: HttpSink;
  beforeEach(async () => {
    am = await startHttpSink({ respond: () => 200 });
  });
  afterEach(() => stopAllPeers());

  it('POSTs Alertmanager API v2 postable alerts to <url>/api/v2/alerts with the tenant header', async () => {
    const send = httpAlertSender(`${am.url}/alertmanager/`);
    await send.send('t1', [{ labels: lbls({ alertname: 'A', severity: 'page' }), annotations: lbls({ summary: 's' }), startsAtMs: 1_000, endsAtMs: 241_000, generatorURL: 'http://prom/graph' }], AbortSignal.timeout(5_000));
    const [req] = am.requests;
    expect(req.url).toBe('/alertmanager/api/v2/alerts');
    expect(req.headers['x-scope-orgid']).toBe('t1');
    expect(JSON.parse(req.body.toString('utf8'))).toEqual([
      { labels: { alertname: 'A', severity: 'page' }, annotations: { summary: 's' }, startsAt: '1970-01-01T00:00:01Z', endsAt: '1970-01-01T00:04:01Z', generatorURL: 'http://prom/graph' },
    ]);
  });

  it('rejects when the Alertmanager answers an error', async () => {
    am.setResponder(() => 400);
    await expect(httpAlertSender(am.url).send('t1', [alert('a')], AbortSignal.timeout(5_000))).rejects.toThrow(/answered 400/);
  });
});
