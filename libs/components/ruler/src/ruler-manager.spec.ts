import { InMemoryBucket } from '@panoptes/bucket';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { Engine, MemoryQueryable } from '@panoptes/promql';
import { Registry } from 'prom-client';
import { dispatchRulerApi } from './api/routes';
import { defaultRuleGroupEvaluatorConfig } from './group';
import { parseRuleGroup } from './rulefmt';
import { RuleStore } from './rule-store';
import { RulerManager } from './ruler-manager';
import { MIN, MemorySink, RecordingNotifier } from './testing/harness';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const group = (name: string, body = '  - record: r\n    expr: vector(1)\n') => parseRuleGroup(`name: ${name}\ninterval: 1m\nrules:\n${body}`);

function setup() {
  const clock = new FakeClock(30_000);
  const store = new RuleStore(new InMemoryBucket(), nopLogger);
  const data = new MemoryQueryable();
  const sink = new MemorySink(data);
  const notifier = new RecordingNotifier();
  const manager = new RulerManager(
    { pollIntervalMs: 10 * MIN, evaluation: { ...defaultRuleGroupEvaluatorConfig(), alignEvaluationTimeOnInterval: true } },
    { store, engine: new Engine(), queryable: data, sink, notifier, clock },
    nopLogger,
    new Registry(),
  );
  const pushesFor = (tenant: string) => sink.pushes.filter((p) => p.tenant === tenant);
  return { clock, store, sink, notifier, manager, pushesFor };
}

describe('RulerManager', () => {
  let h: ReturnType<typeof setup>;
  beforeEach(() => {
    h = setup();
  });
  afterEach(async () => {
    await h.manager.stop();
  });

  it("loads every tenant's groups at start and evaluates them on their interval", async () => {
    await h.store.setRuleGroup('t1', 'a', group('g1'));
    await h.store.setRuleGroup('t2', 'b', group('g2'));
    await h.manager.start();
    expect(h.manager.tenantIds()).toEqual(['t1', 't2']);
    await h.clock.advance(MIN);
    await until(() => h.pushesFor('t1').length === 1 && h.pushesFor('t2').length === 1, 'first evaluations');
    expect(h.sink.pushes.map((p) => [p.tenant, p.samples[0].t])).toEqual(expect.arrayContaining([
      ['t1', MIN],
      ['t2', MIN],
    ]));
    expect(h.manager.ruleGroups('t1').map((g) => `${g.namespace}/${g.name}`)).toEqual(['a/g1']);
  });

  it('picks up a group posted through the API without waiting for the poll interval', async () => {
    await h.manager.start();
    expect(h.manager.tenantIds()).toEqual([]);
    const ctx = { tenant: 't1', store: h.store, ruleGroups: (t: string) => h.manager.ruleGroups(t), rulesChanged: () => h.manager.requestSync() };
    const res = await dispatchRulerApi({ method: 'POST', path: '/prometheus/config/v1/rules/ns', query: new URLSearchParams(), body: 'name: g\nrules:\n  - record: r\n    expr: vector(1)\n' }, ctx);
    expect(res?.status).toBe(202);
    await until(() => h.manager.ruleGroups('t1').length === 1, 'the posted group to run');
  });

  it('stops groups it no longer owns and marks their series stale two intervals later', async () => {
    await h.store.setRuleGroup('t1', 'a', group('mine'));
    await h.store.setRuleGroup('t1', 'a', group('theirs'));
    await h.manager.start();
    await h.clock.advance(MIN);
    await until(() => h.pushesFor('t1').length === 2, 'first evaluations');
    h.sink.clear();
    h.manager.setOwnedGroups((_tenant, _ns, name) => name === 'mine');
    await until(() => h.manager.ruleGroups('t1').length === 1, 'the group to stop');
    await h.clock.advance(3 * MIN);
    await until(() => h.sink.all().some((s) => s.stale), 'staleness markers');
    const stale = h.sink.all().filter((s) => s.stale);
    // Stamped with the time the group stopped (90s), as Prometheus does.
    expect(stale).toEqual([{ labels: [['__name__', 'r']], t: 90_000, v: NaN, stale: true }]);
    expect(h.manager.ruleGroups('t1').map((g) => g.name)).toEqual(['mine']);
  });

  it('keeps alert state when a group definition changes', async () => {
    await h.store.setRuleGroup('t1', 'a', group('g', '  - alert: A\n    expr: vector(1)\n    annotations:\n      v: one\n'));
    await h.manager.start();
    await h.clock.advance(MIN);
    await until(() => h.notifier.all().length === 1, 'the alert to fire');
    await h.store.setRuleGroup('t1', 'a', group('g', '  - alert: A\n    expr: vector(1)\n    annotations:\n      v: two\n'));
    await h.manager.syncRules();
    await h.clock.advance(MIN);
    await until(() => h.manager.ruleGroups('t1')[0]?.rules[0].alerts[0]?.annotations[0]?.[1] === 'two', 'the new version to evaluate');
    const [alert] = h.manager.ruleGroups('t1')[0].rules[0].alerts;
    expect(alert).toMatchObject({ state: 'firing', activeAtMs: MIN });
  });

  it('stops every group when stopped', async () => {
    await h.store.setRuleGroup('t1', 'a', group('g'));
    await h.manager.start();
    await h.manager.stop();
    expect(h.manager.tenantIds()).toEqual([]);
    expect(h.clock.pendingSleepers).toBe(0);
  });
});
