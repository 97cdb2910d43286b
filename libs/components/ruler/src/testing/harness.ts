import type { Labels } from '@panoptes/block-formats';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { Engine, MemoryQueryable } from '@panoptes/promql';
import { Registry } from 'prom-client';
import { type Notifier, type NotifierAlert, type RuleSample, type SampleSink, engineQueryFunc } from '../contracts';
import { RuleGroupEvaluator, type RuleGroupEvaluatorConfig, defaultRuleGroupEvaluatorConfig } from '../group';
import { RulerMetrics } from '../metrics';
import { type RuleGroupSpec, parseRuleGroup } from '../rulefmt';

/** Test doubles for the ruler's dependencies (fakes, not mocks) and a group builder. */

/** Keeps every push; optionally writes the samples into a MemoryQueryable (the "write path"). */
export class MemorySink implements SampleSink {
  readonly pushes: { tenant: string; samples: RuleSample[] }[] = [];
  failWith: Error | undefined;

  constructor(private readonly store?: MemoryQueryable) {}

  async push(tenant: string, samples: readonly RuleSample[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.pushes.push({ tenant, samples: [...samples] });
    for (const s of samples) this.store?.add(tenant, s.labels, [{ t: s.t, v: s.v, stale: s.stale }]);
  }

  all(): RuleSample[] {
    return this.pushes.flatMap((p) => p.samples);
  }

  clear(): void {
    this.pushes.length = 0;
  }
}

export class RecordingNotifier implements Notifier {
  readonly sent: { tenant: string; alerts: NotifierAlert[] }[] = [];

  send(tenant: string, alerts: readonly NotifierAlert[]): void {
    this.sent.push({ tenant, alerts: [...alerts] });
  }

  all(): NotifierAlert[] {
    return this.sent.flatMap((s) => s.alerts);
  }

  clear(): void {
    this.sent.length = 0;
  }
}

export const lbls = (record: Record<string, string>): Labels => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export interface GroupHarness {
  group: RuleGroupEvaluator;
  store: MemoryQueryable;
  sink: MemorySink;
  notifier: RecordingNotifier;
  clock: FakeClock;
  registry: Registry;
  metrics: RulerMetrics;
  config: RuleGroupEvaluatorConfig;
}

export interface HarnessOptions {
  tenant?: string;
  namespace?: string;
  config?: Partial<RuleGroupEvaluatorConfig>;
  shouldRestore?: boolean;
  /** Rule samples go into `store` as well (they become queryable), as through the distributor. */
  writeBack?: boolean;
  store?: MemoryQueryable;
  clock?: FakeClock;
}

export function groupHarness(spec: string | RuleGroupSpec, opts: HarnessOptions = {}): GroupHarness {
  const store = opts.store ?? new MemoryQueryable();
  const sink = new MemorySink(opts.writeBack ? store : undefined);
  const notifier = new RecordingNotifier();
  const clock = opts.clock ?? new FakeClock(0);
  const registry = new Registry();
  const metrics = new RulerMetrics(registry);
  const config = { ...defaultRuleGroupEvaluatorConfig(), alignEvaluationTimeOnInterval: true, ...opts.config };
  const tenant = opts.tenant ?? 't1';
  const query = engineQueryFunc(new Engine(), store, tenant);
  const group = new RuleGroupEvaluator(
    config,
    tenant,
    opts.namespace ?? 'ns',
    typeof spec === 'string' ? parseRuleGroup(spec) : spec,
    { query, queryable: store, sink, notifier, clock, metrics },
    nopLogger,
    { shouldRestore: opts.shouldRestore ?? false },
  );
  return { group, store, sink, notifier, clock, registry, metrics, config };
}

/** Advances the fake clock and waits until the group finished as many iterations as expected. */
export async function advanceTo(h: { group: RuleGroupEvaluator; clock: FakeClock }, toMs: number, iterations?: number): Promise<void> {
  await h.clock.advance(toMs - h.clock.now());
  const want = iterations ?? h.group.iterationsCompleted;
  for (let i = 0; i < 10_000 && h.group.iterationsCompleted < want; i++) await new Promise((r) => setImmediate(r));
  if (h.group.iterationsCompleted < want) throw new Error(`group ran ${h.group.iterationsCompleted} iterations, wanted ${want}`);
}

/** A series with the same value at every minute in [fromMs, toMs]. */
export function constantSeries(store: MemoryQueryable, tenant: string, labels: Record<string, string>, v: number, fromMs: number, toMs: number, stepMs = 60_000): void {
  const samples = [];
  for (let t = fromMs; t <= toMs; t += stepMs) samples.push({ t, v });
  store.add(tenant, lbls(labels), samples);
}

export const MIN = 60_000;
