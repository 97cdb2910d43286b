import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The ruler's metrics, one set per registry, shared by every group evaluator. Per-group series
 * carry `tenant` and `rule_group` (`namespace;group`, Prometheus's group key) and are removed when
 * the group stops being evaluated here.
 */
export class RulerMetrics {
  readonly iterations: Counter<'tenant' | 'rule_group'>;
  readonly iterationsMissed: Counter<'tenant' | 'rule_group'>;
  readonly iterationsSkipped: Counter<'tenant' | 'rule_group'>;
  readonly evaluations: Counter<'tenant' | 'rule_group'>;
  readonly evaluationFailures: Counter<'tenant' | 'rule_group'>;
  readonly lastEvaluation: Gauge<'tenant' | 'rule_group'>;
  readonly iterationDuration: Histogram;
  readonly alertsSent: Counter<'tenant'>;
  readonly templateFailures: Counter<'tenant'>;
  readonly syncs: Counter<'reason'>;

  constructor(registry: Registry) {
    const groupLabels = ['tenant', 'rule_group'] as const;
    this.iterations = new Counter({
      name: 'panoptes_ruler_group_iterations_total',
      help: 'Scheduled rule group evaluations, whether run or missed.',
      labelNames: groupLabels,
      registers: [registry],
    });
    this.iterationsMissed = new Counter({
      name: 'panoptes_ruler_group_iterations_missed_total',
      help: 'Rule group evaluations skipped because the previous one ran past its slot.',
      labelNames: groupLabels,
      registers: [registry],
    });
    this.iterationsSkipped = new Counter({
      name: 'panoptes_ruler_group_iterations_skipped_total',
      help: 'Rule group evaluations not run because the group now belongs to another ruler (ruler ring).',
      labelNames: groupLabels,
      registers: [registry],
    });
    this.evaluations = new Counter({
      name: 'panoptes_ruler_evaluations_total',
      help: 'Rule evaluations.',
      labelNames: groupLabels,
      registers: [registry],
    });
    this.evaluationFailures = new Counter({
      name: 'panoptes_ruler_evaluation_failures_total',
      help: 'Rule evaluations that failed (query error, limit exceeded, or the write of their samples).',
      labelNames: groupLabels,
      registers: [registry],
    });
    this.lastEvaluation = new Gauge({
      name: 'panoptes_ruler_group_last_evaluation_timestamp_seconds',
      help: 'Evaluation time of the last completed iteration of the rule group.',
      labelNames: groupLabels,
      registers: [registry],
    });
    this.iterationDuration = new Histogram({
      name: 'panoptes_ruler_group_iteration_duration_seconds',
      help: 'How long one evaluation of a whole rule group took.',
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60],
      registers: [registry],
    });
    this.alertsSent = new Counter({
      name: 'panoptes_ruler_alerts_sent_total',
      help: 'Alerts handed to the notifier (firing and resolved, resends included).',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.templateFailures = new Counter({
      name: 'panoptes_ruler_template_expansion_failures_total',
      help: 'Alert label and annotation templates that failed to expand.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.syncs = new Counter({
      name: 'panoptes_ruler_sync_rules_total',
      help: 'Loads of the rule groups from the rule store, by what triggered them.',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  /** Drops a group's series when it is no longer evaluated here. */
  removeGroup(tenant: string, ruleGroup: string): void {
    for (const m of [this.iterations, this.iterationsMissed, this.iterationsSkipped, this.evaluations, this.evaluationFailures, this.lastEvaluation]) {
      m.remove({ tenant, rule_group: ruleGroup });
    }
  }
}
