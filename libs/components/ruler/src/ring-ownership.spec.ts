import { InMemoryBucket } from '@panoptes/bucket';
import { FakeClock } from '@panoptes/common';
import { MemoryKv, defaultKvCasConfig } from '@panoptes/kv';
import { nopLogger } from '@panoptes/log';
import { Engine, MemoryQueryable } from '@panoptes/promql';
import { Lifecycler, RandomTokenGenerator, Ring, defaultLifecyclerConfig, defaultRingConfig, seededRandom } from '@panoptes/ring';
import { Registry } from 'prom-client';
import type { RuleSample, SampleSink } from './contracts';
import { defaultRuleGroupEvaluatorConfig } from './group';
import { RulerRingOwnership, ruleGroupToken } from './ring-ownership';
import { parseRuleGroup } from './rulefmt';
import { RuleStore } from './rule-store';
import { RulerManager } from './ruler-manager';
import { MIN, RecordingNotifier } from './testing/harness';

const GROUPS = 16;
const CHECK_PERIOD_MS = 5_000;

/** Which ruler wrote which group's sample at which evaluation time. */
interface Evaluation {
  ruler: string;
  group: string;
  t: number;
}

class SharedSink implements SampleSink {
  constructor(
    private readonly ruler: string,
    private readonly log: Evaluation[],
  ) {}

  async push(_tenant: string, samples: readonly RuleSample[]): Promise<void> {
    // Staleness markers of groups handed over are not evaluations (written at the stop time).
    for (const s of samples) if (!s.stale) this.log.push({ ruler: this.ruler, group: s.labels.find(([n]) => n === '__name__')![1], t: s.t });
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
}

/** Two rulers sharing an in-memory KV (their ring) and a rule store, evaluating 16 groups. */
async function twoRulers() {
  const clock = new FakeClock(1_000_000 * MIN);
  const kv = new MemoryKv(defaultKvCasConfig(), nopLogger, new Registry());
  const store = new RuleStore(new InMemoryBucket(), nopLogger);
  for (let i = 0; i < GROUPS; i++) await store.setRuleGroup('t1', 'ns', parseRuleGroup(`name: g${i}\ninterval: 1m\nrules:\n  - record: g${i}\n    expr: vector(1)\n`));
  const log: Evaluation[] = [];
  const make = (id: string) => {
    const registry = new Registry();
    const ring = new Ring({ ...defaultRingConfig(), key: 'ring/ruler', name: 'ruler', replicationFactor: 1 }, kv, clock, nopLogger, registry);
    const lifecycler = new Lifecycler({ ...defaultLifecyclerConfig(), ringKey: 'ring/ruler', ringName: 'ruler', id, addr: `${id}:8080`, numTokens: 64 }, kv, clock, nopLogger, registry, new RandomTokenGenerator(seededRandom(id === 'ruler-a' ? 1 : 2)));
    const manager = new RulerManager(
      { pollIntervalMs: 10 * MIN, evaluation: { ...defaultRuleGroupEvaluatorConfig(), alignEvaluationTimeOnInterval: true } },
      { store, engine: new Engine(), queryable: new MemoryQueryable(), sink: new SharedSink(id, log), notifier: new RecordingNotifier(), clock },
      nopLogger,
      registry,
    );
    const ownership = new RulerRingOwnership({ instanceId: id, checkPeriodMs: CHECK_PERIOD_MS }, ring, () => manager.requestSync(), clock, nopLogger);
    manager.setOwnedGroups((t, ns, g) => ownership.owns(t, ns, g));
    return {
      id,
      ring,
      manager,
      ownership,
      // The modules library's order: ring client, manager, membership (ACTIVE), ownership check;
      // stopping in reverse, the instance leaves the ring before its groups stop.
      start: async () => {
        await ring.start();
        await manager.start();
        await lifecycler.start();
        await ownership.start();
        await settle();
      },
      stop: async () => {
        await ownership.stop();
        await lifecycler.stop();
        await settle();
        await manager.stop();
        await ring.stop();
      },
    };
  };
  const a = make('ruler-a');
  const b = make('ruler-b');
  const advance = async (ms: number) => {
    for (let done = 0; done < ms; done += 1_000) {
      await clock.advance(1_000);
      await settle();
    }
  };
  return { clock, kv, a, b, log, advance };
}

/** Groups evaluated more than once at the same evaluation time (two owners at once). */
function doubleEvaluations(log: readonly Evaluation[]): string[] {
  const seen = new Map<string, string>();
  const doubles: string[] = [];
  for (const e of log) {
    const key = `${e.group}@${e.t}`;
    if (seen.has(key)) doubles.push(`${key} by ${seen.get(key)} and ${e.ruler}`);
    seen.set(key, e.ruler);
  }
  return doubles;
}

describe('rule group ownership over the ruler ring', () => {
  it('gives each group one owner among the ACTIVE rulers (token = murmur3 of tenant, namespace, group), spreading similar names', async () => {
    const { a, b, log, advance } = await twoRulers();
    await a.start();
    await b.start();
    await advance(3 * MIN);
    const byRuler = (ruler: string) => new Set(log.filter((e) => e.ruler === ruler).map((e) => e.group));
    expect(byRuler('ruler-a').size).toBeGreaterThan(0);
    expect(byRuler('ruler-b').size).toBeGreaterThan(0);
    expect(byRuler('ruler-a').size + byRuler('ruler-b').size).toBe(GROUPS);
    for (let i = 0; i < GROUPS; i++) expect(a.ownership.owns('t1', 'ns', `g${i}`)).toBe(!b.ownership.owns('t1', 'ns', `g${i}`));
    expect(doubleEvaluations(log)).toEqual([]);
    expect(ruleGroupToken('t1', 'ns', 'g0')).not.toBe(ruleGroupToken('t1', 'n', 'sg0'));
    // Names differing only at the end fall in different sixteenths of the ring.
    expect(new Set(Array.from({ length: GROUPS }, (_, i) => ruleGroupToken('t1', 'ns', `g${i}`) >>> 28)).size).toBeGreaterThan(GROUPS / 2);
    await b.stop();
    await a.stop();
  });

  it('hands the groups of a ruler that leaves over within one check period plus one interval, never evaluated twice', async () => {
    const { clock, a, b, log, advance } = await twoRulers();
    await a.start();
    await b.start();
    await advance(3 * MIN);
    const leftAt = clock.now();
    await b.stop();
    await advance(CHECK_PERIOD_MS + 2 * MIN);
    const after = log.filter((e) => e.t >= leftAt + CHECK_PERIOD_MS + MIN);
    expect(new Set(after.map((e) => e.ruler))).toEqual(new Set(['ruler-a']));
    expect(new Set(after.map((e) => e.group)).size).toBe(GROUPS);
    expect(doubleEvaluations(log)).toEqual([]);
    expect(a.manager.ruleGroups('t1')).toHaveLength(GROUPS);
    await a.stop();
  });

  it('moves groups to a ruler that joins, the old owner stopping them before the new one evaluates', async () => {
    const { clock, a, b, log, advance } = await twoRulers();
    await a.start();
    await advance(2 * MIN);
    expect(new Set(log.map((e) => e.group)).size).toBe(GROUPS);
    const joinedAt = clock.now();
    await b.start();
    await advance(CHECK_PERIOD_MS + 2 * MIN);
    const after = log.filter((e) => e.t >= joinedAt + CHECK_PERIOD_MS + MIN);
    expect(new Set(after.map((e) => e.ruler))).toEqual(new Set(['ruler-a', 'ruler-b']));
    expect(new Set(after.map((e) => e.group)).size).toBe(GROUPS);
    expect(a.manager.ruleGroups('t1').length + b.manager.ruleGroups('t1').length).toBe(GROUPS);
    expect(doubleEvaluations(log)).toEqual([]);
    await b.stop();
    await a.stop();
  });
});
