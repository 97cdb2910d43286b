import { AlertingRule } from './alerting-rule';
import { MIN, constantSeries, groupHarness, lbls } from '../testing/harness';

const TENANT = 't1';

function alertGroup(rule: string, extra = ''): string {
  return `name: g\ninterval: 1m\n${extra}rules:\n${rule}`;
}

/** up{instance="a"} is 0 (down) from 0 to `downUntil`, then 1. */
function harnessWithOutage(rule: string, downUntilMs: number, extra = '') {
  const h = groupHarness(alertGroup(rule, extra), { config: { externalURL: 'http://ruler.example/prom', externalLabels: { cluster: 'eu1' } } });
  constantSeries(h.store, TENANT, { __name__: 'up', instance: 'a', job: 'node' }, 0, 0, downUntilMs);
  constantSeries(h.store, TENANT, { __name__: 'up', instance: 'a', job: 'node' }, 1, downUntilMs + MIN, 60 * MIN);
  return h;
}

function alerting(h: ReturnType<typeof groupHarness>): AlertingRule {
  return h.group.rules[0] as AlertingRule;
}

const INSTANCE_DOWN = `  - alert: InstanceDown
    expr: up == 0
    for: 2m
    labels:
      severity: "{{ if eq $labels.instance \\"a\\" }}page{{ else }}ticket{{ end }}"
    annotations:
      summary: "{{ $labels.instance }} of {{ $labels.job }} is down (value {{ $value }})"
`;

describe('alerting rule state machine', () => {
  it('goes pending, fires after for, resends after the resend delay, resolves and is forgotten after 15m', async () => {
    const h = harnessWithOutage(INSTANCE_DOWN, 4 * MIN);
    const steps: [number, string, string[]][] = [];
    for (let t = 0; t <= 22 * MIN; t += MIN) {
      h.notifier.clear();
      await h.group.evaluate(t);
      const sent = h.notifier.all().map((a) => `${a.startsAtMs / MIN}-${a.endsAtMs / MIN}`);
      steps.push([t / MIN, alerting(h).state(), sent]);
    }
    expect(steps).toEqual([
      [0, 'pending', []],
      [1, 'pending', []],
      [2, 'firing', ['2-6']],
      [3, 'firing', []],
      [4, 'firing', ['2-8']],
      // up is 1 again from 5m: resolved, sent with endsAt = resolve time.
      [5, 'inactive', ['2-5']],
      [6, 'inactive', []],
      [7, 'inactive', ['2-5']],
      [8, 'inactive', []],
      [9, 'inactive', ['2-5']],
      [10, 'inactive', []],
      [11, 'inactive', ['2-5']],
      [12, 'inactive', []],
      [13, 'inactive', ['2-5']],
      [14, 'inactive', []],
      [15, 'inactive', ['2-5']],
      [16, 'inactive', []],
      [17, 'inactive', ['2-5']],
      [18, 'inactive', []],
      [19, 'inactive', ['2-5']],
      [20, 'inactive', []],
      // 16m after resolving it is dropped: nothing more is sent.
      [21, 'inactive', []],
      [22, 'inactive', []],
    ]);
    expect(alerting(h).active.size).toBe(0);
  });

  it('expands labels and annotations per alert and sends Prometheus-shaped alerts', async () => {
    const h = harnessWithOutage(INSTANCE_DOWN, 10 * MIN);
    for (let t = 0; t <= 2 * MIN; t += MIN) await h.group.evaluate(t);
    expect(h.notifier.sent).toEqual([
      {
        tenant: TENANT,
        alerts: [
          {
            labels: lbls({ alertname: 'InstanceDown', cluster: 'eu1', instance: 'a', job: 'node', severity: 'page' }),
            annotations: lbls({ summary: 'a of node is down (value 0)' }),
            startsAtMs: 2 * MIN,
            endsAtMs: 6 * MIN,
            generatorURL: 'http://ruler.example/prom/graph?g0.expr=up+%3D%3D+0&g0.tab=1',
          },
        ],
      },
    ]);
    const [alert] = alerting(h).activeAlerts();
    expect(alert).toMatchObject({ state: 'firing', activeAtMs: 0, firedAtMs: 2 * MIN, value: 0 });
  });

  it('writes ALERTS and ALERTS_FOR_STATE, and marks the pending series stale when it fires', async () => {
    const h = harnessWithOutage(INSTANCE_DOWN, 10 * MIN);
    for (let t = 0; t <= 2 * MIN; t += MIN) await h.group.evaluate(t);
    const byPush = h.sink.pushes.map((p) => p.samples.map((s) => `${s.labels.find(([n]) => n === '__name__')![1]}/${s.labels.find(([n]) => n === 'alertstate')?.[1] ?? '-'}@${s.t / MIN}=${s.stale ? 'stale' : s.v}`));
    expect(byPush).toEqual([
      ['ALERTS/pending@0=1', 'ALERTS_FOR_STATE/-@0=0'],
      ['ALERTS/pending@1=1', 'ALERTS_FOR_STATE/-@1=0'],
      ['ALERTS/firing@2=1', 'ALERTS_FOR_STATE/-@2=0', 'ALERTS/pending@2=stale'],
    ]);
    expect(h.sink.pushes[2].samples[0].labels).toEqual(lbls({ __name__: 'ALERTS', alertname: 'InstanceDown', alertstate: 'firing', instance: 'a', job: 'node', severity: 'page' }));
  });

  it('keeps firing for keep_firing_for after the condition is gone', async () => {
    const rule = `  - alert: A\n    expr: up == 0\n    for: 1m\n    keep_firing_for: 2m\n`;
    const h = harnessWithOutage(rule, 3 * MIN);
    const states: string[] = [];
    for (let t = 0; t <= 8 * MIN; t += MIN) {
      await h.group.evaluate(t);
      const [a] = alerting(h).activeAlerts();
      states.push(`${alerting(h).state()}${a?.keepFiringSinceMs !== undefined ? `(since ${a.keepFiringSinceMs / MIN})` : ''}`);
    }
    expect(states).toEqual(['pending', 'firing', 'firing', 'firing', 'firing(since 4)', 'firing(since 4)', 'inactive', 'inactive', 'inactive']);
  });

  it('drops a pending alert whose condition goes away, without notifying', async () => {
    const h = harnessWithOutage(INSTANCE_DOWN, 0);
    await h.group.evaluate(0);
    expect(alerting(h).state()).toBe('pending');
    await h.group.evaluate(MIN);
    expect(alerting(h).state()).toBe('inactive');
    expect(alerting(h).active.size).toBe(0);
    expect(h.notifier.sent).toEqual([]);
  });

  it('fires at once without for, and starts over as pending when it comes back after resolving', async () => {
    const rule = `  - alert: A\n    expr: up == 0\n    for: 1m\n`;
    const h = groupHarness(alertGroup(rule));
    h.store.add(TENANT, lbls({ __name__: 'up', instance: 'a' }), [0, 1, 2, 3, 4].map((m) => ({ t: m * MIN, v: m === 2 ? 1 : 0 })));
    const states: string[] = [];
    for (let t = 0; t <= 4 * MIN; t += MIN) {
      await h.group.evaluate(t);
      states.push(`${alerting(h).state()}:${[...alerting(h).active.values()].map((a) => `${a.state}@${a.activeAtMs / MIN}`).join(',')}`);
    }
    expect(states).toEqual(['pending:pending@0', 'firing:firing@0', 'inactive:inactive@0', 'pending:pending@3', 'firing:firing@3']);

    const immediate = groupHarness(alertGroup(`  - alert: B\n    expr: vector(1)\n`));
    await immediate.group.evaluate(0);
    expect((immediate.group.rules[0] as AlertingRule).state()).toBe('firing');
  });

  it.each<[string, string, string, string]>([
    ['limit exceeded', `  - alert: A\n    expr: up >= 0\n`, 'limit: 1\n', 'exceeded limit of 1 with 2 alerts'],
    ['duplicate label sets after applying labels', `  - alert: A\n    expr: up >= 0\n    labels:\n      instance: same\n`, '', 'vector contains metrics with the same labelset after applying alert labels'],
    ['a query that is not a vector', `  - alert: A\n    expr: '"text"'\n`, '', 'rule result is not a vector or scalar'],
  ])('fails the evaluation on %s', async (_name, rule, extra, message) => {
    const h = groupHarness(alertGroup(rule, extra));
    constantSeries(h.store, TENANT, { __name__: 'up', instance: 'a' }, 1, 0, MIN);
    constantSeries(h.store, TENANT, { __name__: 'up', instance: 'b' }, 1, 0, MIN);
    await h.group.evaluate(0);
    expect(h.group.rules[0]).toMatchObject({ health: 'err', lastError: message });
    expect(alerting(h).active.size).toBe(0);
    const failures = await h.metrics.evaluationFailures.get();
    expect(failures.values).toEqual([{ labels: { tenant: TENANT, rule_group: 'ns;g' }, value: 1 }]);
  });

  it('puts the template error text into a label or annotation that fails to expand', async () => {
    const rule = `  - alert: A\n    expr: vector(1)\n    annotations:\n      summary: '{{ query "nope" | first | value }}'\n`;
    const h = groupHarness(alertGroup(rule));
    await h.group.evaluate(0);
    const [a] = alerting(h).activeAlerts();
    expect(a.annotations).toEqual([
      [
        'summary',
        '<error expanding template: error executing template __alert_A: template: __alert_A:1:130: executing "__alert_A" at <first>: error calling first: first() called on vector with no elements>',
      ],
    ]);
    expect((await h.metrics.templateFailures.get()).values[0].value).toBe(1);
  });
});
