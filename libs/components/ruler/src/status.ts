import type { Labels } from '@panoptes/block-formats';
import type { RuleGroupEvaluator } from './group';
import { compareLabelSets } from './labels';
import type { AlertState } from './rules/alerting-rule';
import { AlertingRule } from './rules/alerting-rule';
import type { RuleHealth } from './rules/rule';

/**
 * A snapshot of a group's evaluation state, what `/api/v1/rules` and `/api/v1/alerts` show. Plain
 * data, so a ruler can serve another ruler's groups (the lead fans the API out over the ring).
 */
export interface RuleGroupStatus {
  namespace: string;
  name: string;
  intervalMs: number;
  limit: number;
  /** When the last iteration started, ms; undefined before the first. */
  lastEvaluationMs: number | undefined;
  evaluationDurationMs: number;
  rules: RuleStatus[];
}

export interface AlertStatus {
  labels: Labels;
  annotations: Labels;
  state: AlertState;
  activeAtMs: number;
  keepFiringSinceMs: number | undefined;
  value: number;
}

export interface RuleStatus {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  labels: Labels;
  health: RuleHealth;
  lastError: string;
  lastEvaluationMs: number | undefined;
  evaluationDurationMs: number;
  /** Alerting rules only: */
  forMs: number;
  keepFiringForMs: number;
  annotations: Labels;
  state: AlertState | 'unknown' | undefined;
  /** Pending and firing alerts, sorted by labels. */
  alerts: AlertStatus[];
}

export function groupStatus(g: RuleGroupEvaluator): RuleGroupStatus {
  return {
    namespace: g.namespace,
    name: g.spec.name,
    intervalMs: g.intervalMs,
    limit: g.spec.limit,
    lastEvaluationMs: g.lastEvaluationMs,
    evaluationDurationMs: g.evaluationDurationMs,
    rules: g.rules.map((r): RuleStatus => {
      const alerting = r instanceof AlertingRule ? r : undefined;
      return {
        type: alerting ? 'alerting' : 'recording',
        name: r.name,
        query: r.expr,
        labels: r.labels,
        health: r.health,
        lastError: r.lastError,
        lastEvaluationMs: r.lastEvaluationMs,
        evaluationDurationMs: r.evaluationDurationMs,
        forMs: alerting?.forMs ?? 0,
        keepFiringForMs: alerting?.keepFiringForMs ?? 0,
        annotations: alerting?.annotations ?? [],
        state: alerting?.state(),
        alerts: (alerting?.activeAlerts() ?? [])
          .map((a) => ({ labels: a.labels, annotations: a.annotations, state: a.state, activeAtMs: a.activeAtMs, keepFiringSinceMs: a.keepFiringSinceMs, value: a.value }))
          .sort((a, b) => compareLabelSets(a.labels, b.labels)),
      };
    }),
  };
}
