import { FakeClock } from '@panoptes/common';
import { MemoryQueryable } from '@panoptes/promql';
import { AlertingRule } from './rules/alerting-rule';
import { MIN, advanceTo, constantSeries, groupHarness, lbls } from './testing/harness';

const TENANT = 't1';

describe('rule group evaluation loop', () => {
  it('evaluates on whole intervals when aligned, the first slot after it starts', async () => {
    const h = groupHarness('name: g\ninterval: 1m\nrules:\n  - record: r\n    expr: vector(1)\n', { clock: new FakeClock(30_000) });
    h.group.start();
    await advanceTo(h, MIN, 1);
    await advanceTo(h, 2 * MIN, 2);
    await advanceTo(h, 3 * MIN + 59_000);
    await h.group.stop();
    expect(h.sink.all().map((s) => s.t)).toEqual([MIN, 2 * MIN, 3 * MIN]);
    expect(h.group.lastEvalTimestampMs).toBe(3 * MIN);
    const iterations = await h.metrics.iterations.get();
    expect(iterations.values).toEqual([]);
  });

  it('offsets each group within the interval by a hash of its namespace and name', () => {
    const a = groupHarness('name: a\ninterval: 1m\nrules:\n  - record: r\n    expr: vector(1)\n', { config: { alignEvaluationTimeOnInterval: false } });
    const b = groupHarness('name: b\ninterval: 1m\nrules:\n  - record: r\n    expr: vector(1)\n', { config: { alignEvaluationTimeOnInterval: false } });
    const offsetA = a.group.evalTimestamp(10 * MIN + 59_999) - 10 * MIN;
    const offsetB = b.group.evalTimestamp(10 * MIN + 59_999) - 10 * MIN;
    expect(offsetA).toBeGreaterThanOrEqual(0);
    expect(offsetA).toBeLessThan(MIN);
    expect(offsetA).not.toBe(offsetB);
    // Stable across time and instances: the same slot phase every interval.
    expect(a.group.evalTimestamp(100 * MIN + offsetA)).toBe(100 * MIN + offsetA);
    expect(a.group.evalTimestamp(100 * MIN + offsetA - 1)).toBe(99 * MIN + offsetA);
  });

  it('counts iterations missed because an evaluation ran past its slots', async () => {
    const h = groupHarness('name: g\ninterval: 1m\nrules:\n  - record: r\n    expr: vector(1)\n');
    let slow = true;
    const push = h.sink.push.bind(h.sink);
    h.sink.push = async (tenant, samples) => {
      if (slow) {
        slow = false;
        h.clock.set(h.clock.now() + 3.5 * MIN);
      }
      return push(tenant, samples);
    };
    h.group.start();
    await advanceTo(h, MIN, 2);
    await advanceTo(h, 5 * MIN + 1, 3);
    // The evaluation of slot 1m ended at 4.5m: slots 2m and 3m were missed, 4m ran late, then 5m.
    expect(h.sink.all().map((s) => s.t / MIN)).toEqual([1, 4, 5]);
    const text = await h.registry.metrics();
    expect(text).toContain('panoptes_ruler_group_iterations_missed_total{tenant="t1",rule_group="ns;g"} 2');
    expect(text).toContain('panoptes_ruler_group_iterations_total{tenant="t1",rule_group="ns;g"} 5');
    await h.group.stop();
  });

  it('reports iteration metrics per tenant and group while it runs', async () => {
    const h = groupHarness('name: g\ninterval: 1m\nrules:\n  - record: r\n    expr: vector(1)\n  - alert: A\n    expr: nope_fn_is_fine == 1\n');
    h.group.start();
    await advanceTo(h, MIN, 1);
    await advanceTo(h, 2 * MIN, 2);
    const text = await h.registry.metrics();
    expect(text).toContain('panoptes_ruler_group_iterations_total{tenant="t1",rule_group="ns;g"} 2');
    expect(text).toContain('panoptes_ruler_evaluations_total{tenant="t1",rule_group="ns;g"} 4');
    expect(text).toContain('panoptes_ruler_group_last_evaluation_timestamp_seconds{tenant="t1",rule_group="ns;g"} 120');
    await h.group.stop();
    expect(await h.registry.metrics()).not.toContain('rule_group="ns;g"');
  });
});

describe('copying state to a new version of a group', () => {
  it('keeps alerts of rules that stay and marks series of removed rules stale', async () => {
    const v1 = groupHarness('name: g\nrules:\n  - record: old\n    expr: vector(1)\n  - alert: A\n    expr: vector(1)\n');
    await v1.group.evaluate(0);
    const v2 = groupHarness('name: g\nrules:\n  - alert: A\n    expr: vector(1)\n  - record: new\n    expr: vector(2)\n', { store: v1.store });
    v2.group.copyState(v1.group);
    await v2.group.evaluate(MIN);
    const a = (v2.group.rules[0] as AlertingRule).activeAlerts()[0];
    expect(a).toMatchObject({ state: 'firing', activeAtMs: 0 });
    expect(v2.notifier.all()).toEqual([]);
    const names = v2.sink.all().map((s) => `${s.labels[0][1]}${s.stale ? ':stale' : ''}`);
    expect(names).toEqual(['ALERTS', 'ALERTS_FOR_STATE', 'new', 'old:stale']);
  });
});

/**
 * The group runs with its samples written back to storage until `downAtMs`, then "restarts" at
 * `restartAtMs`: a new evaluator over the same storage restores `for` state after its second
 * evaluation. Returns the state of the alert at each later evaluation.
 */
async function restart(forSpec: string, downAtMs: number, restartAtMs: number, untilMs: number) {
  const groupYaml = `name: g\ninterval: 1m\nrules:\n  - alert: Down\n    expr: up == 0\n    for: ${forSpec}\n`;
  const store = new MemoryQueryable();
  constantSeries(store, TENANT, { __name__: 'up', instance: 'a' }, 0, 0, 2 * untilMs);
  const before = groupHarness(groupYaml, { store, writeBack: true });
  for (let t = 0; t <= downAtMs; t += MIN) await before.group.evaluate(t);

  const after = groupHarness(groupYaml, { store, writeBack: true, shouldRestore: true, clock: new FakeClock(restartAtMs) });
  after.group.start();
  const states: string[] = [];
  let n = 0;
  for (let t = restartAtMs + MIN; t <= untilMs; t += MIN) {
    await advanceTo(after, t, ++n);
    const alerting = after.group.rules[0] as AlertingRule;
    const [a] = alerting.activeAlerts();
    states.push(`${t / MIN}:${a?.state}@${a ? a.activeAtMs / MIN : '-'}`);
  }
  await after.group.stop();
  return { states, after };
}

describe('restoring for state after a restart', () => {
  it('shifts activeAt by the outage when more than the grace period was left', async () => {
    // Pending for 10m of 30m when it went down at 10m; restored at 22m: activeAt 0 + 12m.
    const { states } = await restart('30m', 10 * MIN, 20 * MIN, 43 * MIN);
    // Restored right after the second evaluation (22m).
    expect([states[0], states[2]]).toEqual(['21:pending@21', '23:pending@12']);
    expect(states.slice(-3)).toEqual(['41:pending@12', '42:firing@12', '43:firing@12']);
  });

  it('waits the grace period when less than it was left', async () => {
    // 10m of 15m spent: 5m left < 10m grace → fires 10m after the restore at 22m.
    const { states } = await restart('15m', 10 * MIN, 20 * MIN, 33 * MIN);
    expect(states[2]).toBe('23:pending@17');
    expect(states.slice(-3)).toEqual(['31:pending@17', '32:firing@17', '33:firing@17']);
  });

  it('fires again at the first evaluation after the restore when it was firing', async () => {
    const { states } = await restart('10m', 12 * MIN, 20 * MIN, 24 * MIN);
    expect([states[0], ...states.slice(2)]).toEqual(['21:pending@21', '23:firing@0', '24:firing@0']);
  });

  it('does not restore across an outage longer than the tolerance', async () => {
    const { states } = await restart('30m', 10 * MIN, 80 * MIN, 83 * MIN);
    expect(states).toEqual(['81:pending@81', '82:pending@81', '83:pending@81']);
  });

  it('does not restore rules whose for is shorter than the grace period', async () => {
    const { states } = await restart('5m', 10 * MIN, 20 * MIN, 26 * MIN);
    expect(states).toEqual(['21:pending@21', '22:pending@21', '23:pending@21', '24:pending@21', '25:pending@21', '26:firing@21']);
  });

  it('writes ALERTS only once restored', async () => {
    const { after } = await restart('30m', 10 * MIN, 20 * MIN, 24 * MIN);
    const written = after.sink.all().filter((s) => !s.stale).map((s) => `${s.labels[0][1]}@${s.t / MIN}`);
    expect(written).toEqual(['ALERTS@23', 'ALERTS_FOR_STATE@23', 'ALERTS@24', 'ALERTS_FOR_STATE@24']);
    expect(after.sink.all().find((s) => s.labels[0][1] === 'ALERTS_FOR_STATE')).toMatchObject({
      labels: lbls({ __name__: 'ALERTS_FOR_STATE', alertname: 'Down', instance: 'a' }),
      v: 12 * 60,
    });
  });
});
