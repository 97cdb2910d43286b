import { performance } from 'node:perf_hooks';
import { type Labels, LabelsShardHasher } from '@panoptes/block-formats';
import { type Clock, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import type { Queryable } from '@panoptes/promql';
import { type Notifier, type NotifierAlert, type RuleQueryFunc, type RuleSample, type SampleSink, tableLink } from './contracts';
import { LabelsBuilder, labelsFromRecord, labelsKey } from './labels';
import type { RulerMetrics } from './metrics';
import { restoreForState } from './restore';
import type { RuleGroupSpec } from './rulefmt';
import { AlertingRule } from './rules/alerting-rule';
import { RecordingRule } from './rules/recording-rule';
import type { Rule } from './rules/rule';
import { type RuleGroupStatus, groupStatus } from './status';

export interface RuleGroupEvaluatorConfig {
  /** Interval of groups that set none, ms (`-ruler.evaluation-interval`). */
  defaultEvaluationIntervalMs: number;
  /** Query offset of groups that set none, ms (`-ruler.query-offset`, Prometheus's `rule_query_offset`). */
  defaultQueryOffsetMs: number;
  /** Least time between two sends of the same firing alert, ms (Prometheus's `--rules.alert.resend-delay`). */
  resendDelayMs: number;
  /** How long the ruler may have been down for `for` state to be restored, ms (`--rules.alert.for-outage-tolerance`). */
  outageToleranceMs: number;
  /** Least time a restored pending alert still waits before it fires, ms (`--rules.alert.for-grace-period`). */
  forGracePeriodMs: number;
  /** Prefix of alerts' generator URLs and the value of `$externalURL` in templates. */
  externalURL: string;
  /** Labels added to sent alerts that lack them; `$externalLabels` in templates. */
  externalLabels: Record<string, string>;
  /** Evaluate on whole multiples of the interval instead of at a per-group offset. */
  alignEvaluationTimeOnInterval: boolean;
}

export function defaultRuleGroupEvaluatorConfig(): RuleGroupEvaluatorConfig {
  return {
    defaultEvaluationIntervalMs: 60_000,
    defaultQueryOffsetMs: 0,
    resendDelayMs: 60_000,
    outageToleranceMs: 3_600_000,
    forGracePeriodMs: 600_000,
    externalURL: '',
    externalLabels: {},
    alignEvaluationTimeOnInterval: false,
  };
}

export interface RuleGroupDeps {
  query: RuleQueryFunc;
  /** Storage read when restoring `for` state from ALERTS_FOR_STATE. */
  queryable: Queryable;
  sink: SampleSink;
  notifier: Notifier;
  clock: Clock;
  metrics: RulerMetrics;
  /**
   * Whether this ruler still owns the group (the ruler ring), asked before every evaluation: a
   * group that moved to another ruler is not evaluated here any more, even before the manager
   * stops it. Absent: always owned.
   */
  owns?: (namespace: string, group: string) => boolean;
}

const hasher = new LabelsShardHasher();

/**
 * Evaluates one tenant's rule group (Prometheus's `rules.Group`): every interval, at a slot offset
 * by a hash of the group's key so groups spread over the interval, each rule in order at
 * `slot − query_offset`. Writes recorded samples, ALERTS / ALERTS_FOR_STATE and staleness markers
 * for series that disappeared; hands alerts to the notifier. After a (re)start the second
 * evaluation is followed by the restore of `for` state.
 *
 * Invariant: at most one evaluation of the group runs at a time (one loop, started once).
 */
export class RuleGroupEvaluator {
  readonly key: string;
  readonly rules: Rule[];
  readonly intervalMs: number;
  readonly queryOffsetMs: number;
  /** When the last iteration started (wall clock), its evaluation time and duration, ms. */
  lastEvaluationMs: number | undefined;
  lastEvalTimestampMs: number | undefined;
  evaluationDurationMs = 0;
  iterationsCompleted = 0;
  private seriesInPreviousEval: Map<string, Labels>[];
  private staleSeries: Labels[] = [];
  private shouldRestore: boolean;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly metricLabels: { tenant: string; rule_group: string };
  private readonly externalLabels: Labels;

  constructor(
    private readonly config: RuleGroupEvaluatorConfig,
    readonly tenant: string,
    readonly namespace: string,
    readonly spec: RuleGroupSpec,
    private readonly deps: RuleGroupDeps,
    private readonly logger: Logger,
    options: { shouldRestore: boolean },
  ) {
    this.key = `${namespace};${spec.name}`;
    this.intervalMs = spec.intervalMs > 0 ? spec.intervalMs : config.defaultEvaluationIntervalMs;
    this.queryOffsetMs = spec.queryOffsetMs ?? config.defaultQueryOffsetMs;
    this.shouldRestore = options.shouldRestore;
    this.metricLabels = { tenant, rule_group: this.key };
    this.externalLabels = labelsFromRecord(config.externalLabels);
    const alertOpts = {
      externalLabels: this.externalLabels,
      externalURL: config.externalURL,
      restored: !options.shouldRestore,
      logger,
      onTemplateError: () => deps.metrics.templateFailures.inc({ tenant }),
    };
    this.rules = spec.rules.map((r) => (r.alert !== undefined ? new AlertingRule(r, spec.labels, alertOpts) : new RecordingRule(r, spec.labels)));
    this.seriesInPreviousEval = this.rules.map(() => new Map());
  }

  /** The evaluation slot at or before `startMs`: a multiple of the interval plus the group's offset. */
  evalTimestamp(startMs: number): number {
    let offset = 0;
    if (!this.config.alignEvaluationTimeOnInterval) {
      const h = hasher.hash([
        ['file', this.namespace],
        ['name', this.spec.name],
      ]);
      const hash = (BigInt(h.hi) << 32n) | BigInt(h.lo);
      offset = Math.floor(Number(hash % BigInt(this.intervalMs * 1_000_000)) / 1_000_000);
    }
    const adj = startMs - offset;
    return adj - (((adj % this.intervalMs) + this.intervalMs) % this.intervalMs) + offset;
  }

  start(): void {
    if (this.loop) throw new Error(`rule group ${this.key} of tenant ${this.tenant} is already running`);
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal).catch((err: unknown) => {
      if (!this.abort?.signal.aborted) this.logger.error('rule group evaluation loop failed', { tenant: this.tenant, rule_group: this.key, err });
    });
  }

  /** Stops the loop after the rule being evaluated; resolves once nothing runs any more. */
  async stop(): Promise<void> {
    this.abort?.abort(new Error('rule group stopped'));
    await this.loop;
    this.deps.metrics.removeGroup(this.tenant, this.key);
  }

  private async sleepUntil(t: number, signal: AbortSignal): Promise<boolean> {
    const d = t - this.deps.clock.now();
    if (d > 0) {
      try {
        await this.deps.clock.sleep(d, signal);
      } catch {
        return false;
      }
    }
    return !signal.aborted;
  }

  /** The next slot after `evalTs`, skipping (and counting) slots that already passed. */
  private nextSlot(evalTs: number): number {
    const missed = Math.floor((this.deps.clock.now() - evalTs) / this.intervalMs) - 1;
    if (missed > 0) {
      this.deps.metrics.iterationsMissed.inc(this.metricLabels, missed);
      this.deps.metrics.iterations.inc(this.metricLabels, missed);
    }
    return evalTs + (Math.max(missed, 0) + 1) * this.intervalMs;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let evalTs = this.evalTimestamp(this.deps.clock.now()) + this.intervalMs;
    if (!(await this.sleepUntil(evalTs, signal))) return;
    await this.iterate(evalTs, signal);
    if (this.shouldRestore) {
      // Wait for one more evaluation: recording rules the alerts depend on may have had no data yet.
      if (!(await this.sleepUntil(evalTs + this.intervalMs, signal))) return;
      evalTs = this.nextSlot(evalTs);
      await this.iterate(evalTs, signal);
      if (signal.aborted) return;
      await this.restoreForState(this.deps.clock.now());
    }
    for (;;) {
      if (!(await this.sleepUntil(evalTs + this.intervalMs, signal))) return;
      evalTs = this.nextSlot(evalTs);
      await this.iterate(evalTs, signal);
    }
  }

  private async iterate(evalTs: number, signal: AbortSignal): Promise<void> {
    if (this.deps.owns && !this.deps.owns(this.namespace, this.spec.name)) {
      this.deps.metrics.iterationsSkipped.inc(this.metricLabels);
      return;
    }
    this.deps.metrics.iterations.inc(this.metricLabels);
    const started = this.deps.clock.now();
    const t0 = performance.now();
    await this.evaluate(evalTs, signal);
    const seconds = (performance.now() - t0) / 1000;
    this.deps.metrics.iterationDuration.observe(seconds);
    this.deps.metrics.lastEvaluation.set(this.metricLabels, evalTs / 1000);
    this.evaluationDurationMs = seconds * 1000;
    this.lastEvaluationMs = started;
    this.lastEvalTimestampMs = evalTs;
    this.iterationsCompleted++;
  }

  /** One evaluation of every rule at `tsMs`. Never throws: failures mark the rule unhealthy. */
  async evaluate(tsMs: number, signal?: AbortSignal): Promise<void> {
    const { metrics, sink } = this.deps;
    for (let i = 0; i < this.rules.length; i++) {
      if (signal?.aborted) return;
      const rule = this.rules[i];
      const started = this.deps.clock.now();
      const t0 = performance.now();
      metrics.evaluations.inc(this.metricLabels);
      try {
        const samples = await rule.eval({ tsMs, queryOffsetMs: this.queryOffsetMs, query: this.deps.query, limit: this.spec.limit, signal });
        rule.health = 'ok';
        rule.lastError = '';
        if (rule instanceof AlertingRule) this.sendAlerts(rule, tsMs);
        const returned = new Map<string, Labels>();
        for (const s of samples) returned.set(labelsKey(s.labels), s.labels);
        const writes: RuleSample[] = [...samples];
        for (const [key, labels] of this.seriesInPreviousEval[i]) {
          if (!returned.has(key)) writes.push({ labels, t: tsMs - this.queryOffsetMs, v: NaN, stale: true });
        }
        if (writes.length > 0) await sink.push(this.tenant, writes, signal);
        this.seriesInPreviousEval[i] = returned;
      } catch (err) {
        if (signal?.aborted) return;
        rule.health = 'err';
        rule.lastError = errorMessage(err);
        metrics.evaluationFailures.inc(this.metricLabels);
        this.logger.warn('evaluating rule failed', { tenant: this.tenant, rule_group: this.key, rule: rule.name, err: rule.lastError });
      } finally {
        rule.lastEvaluationMs = started;
        rule.evaluationDurationMs = performance.now() - t0;
      }
    }
    if (this.staleSeries.length > 0) await this.writeStaleMarkers(this.staleSeries, tsMs, signal);
  }

  private sendAlerts(rule: AlertingRule, tsMs: number): void {
    const alerts = rule.alertsToSend(tsMs, this.config.resendDelayMs, this.intervalMs);
    if (alerts.length === 0) return;
    const generatorURL = this.config.externalURL.replace(/\/$/, '') + tableLink(rule.formattedExpr);
    const out: NotifierAlert[] = alerts.map((a) => {
      const lb = new LabelsBuilder(a.labels);
      for (const [n, v] of this.externalLabels) if (!a.labels.some(([ln]) => ln === n)) lb.set(n, v);
      return { labels: lb.labels(), annotations: a.annotations, startsAtMs: a.firedAtMs ?? a.activeAtMs, endsAtMs: a.resolvedAtMs ?? a.validUntilMs!, generatorURL };
    });
    this.deps.metrics.alertsSent.inc({ tenant: this.tenant }, out.length);
    // Sending must not hold up evaluation: the notifier queues, as Prometheus's does.
    void Promise.resolve()
      .then(() => this.deps.notifier.send(this.tenant, out))
      .catch((err: unknown) => this.logger.warn('sending alerts failed', { tenant: this.tenant, rule_group: this.key, err }));
  }

  /** Writes staleness markers for `series` at `tsMs − query_offset`; they are dropped once written. */
  async writeStaleMarkers(series: readonly Labels[], tsMs: number, signal?: AbortSignal): Promise<void> {
    const t = tsMs - this.queryOffsetMs;
    try {
      await this.deps.sink.push(this.tenant, series.map((labels) => ({ labels, t, v: NaN, stale: true })), signal);
      if (series === this.staleSeries) this.staleSeries = [];
    } catch (err) {
      this.logger.warn('writing staleness markers failed', { tenant: this.tenant, rule_group: this.key, err });
    }
  }

  /** Every series written at the last evaluation: what becomes stale when the group goes away. */
  lastWrittenSeries(): Labels[] {
    return [...this.staleSeries, ...this.seriesInPreviousEval.flatMap((m) => [...m.values()])];
  }

  /** Restores `for` state from ALERTS_FOR_STATE (Prometheus's `RestoreForState`). */
  async restoreForState(tsMs: number): Promise<void> {
    await restoreForState(this, this.deps.queryable, this.config, tsMs, this.logger);
    this.shouldRestore = false;
  }

  /**
   * Takes over the state of the previous version of this group (Prometheus's `CopyState`): the
   * last evaluation, series written per rule and active alerts, matched by rule name and labels.
   * Series of rules that are gone become stale at the next evaluation.
   */
  copyState(from: RuleGroupEvaluator): void {
    this.lastEvaluationMs = from.lastEvaluationMs;
    this.lastEvalTimestampMs = from.lastEvalTimestampMs;
    this.evaluationDurationMs = from.evaluationDurationMs;
    const byIdentity = new Map<string, number[]>();
    from.rules.forEach((r, i) => byIdentity.set(r.identity(), [...(byIdentity.get(r.identity()) ?? []), i]));
    this.rules.forEach((rule, i) => {
      const indexes = byIdentity.get(rule.identity());
      if (!indexes || indexes.length === 0) return;
      const fi = indexes.shift()!;
      this.seriesInPreviousEval[i] = from.seriesInPreviousEval[fi];
      const old = from.rules[fi];
      if (rule instanceof AlertingRule && old instanceof AlertingRule) for (const [k, a] of old.active) rule.active.set(k, a);
    });
    this.staleSeries = [...from.staleSeries];
    for (const [, indexes] of byIdentity) for (const fi of indexes) this.staleSeries.push(...from.seriesInPreviousEval[fi].values());
  }

  /** Whether `spec` is this group unchanged (then it keeps running as it is). */
  sameSpec(spec: RuleGroupSpec): boolean {
    return JSON.stringify(spec) === JSON.stringify(this.spec);
  }

  status(): RuleGroupStatus {
    return groupStatus(this);
  }
}
