import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { type Queryable, decodeSeries } from '@panoptes/promql';
import { Matcher } from '@panoptes/tsdb';
import type { RuleGroupEvaluator, RuleGroupEvaluatorConfig } from './group';
import { ALERTS_FOR_STATE_METRIC, METRIC_NAME, labelsKey } from './labels';
import { AlertingRule } from './rules/alerting-rule';

/**
 * Prometheus's `Group.RestoreForState`. After a restart an alert is pending again from its first
 * evaluation; the last ALERTS_FOR_STATE sample (value = the alert's `activeAt` in seconds)
 * written before the outage tells when it really became active:
 *   - it had already fired → it keeps its old activeAt and fires at the next evaluation;
 *   - less than the grace period was left → it fires `for_grace_period` from now;
 *   - otherwise → its activeAt moves forward by the outage, so it still waits what it had left.
 * Only outages shorter than `for_outage_tolerance` are bridged, and rules whose `for` is shorter
 * than the grace period are not restored at all. ALERTS and ALERTS_FOR_STATE are written only
 * once a rule is restored.
 */
export async function restoreForState(group: RuleGroupEvaluator, queryable: Queryable, config: RuleGroupEvaluatorConfig, tsMs: number, logger: Logger): Promise<void> {
  const mint = tsMs - config.outageToleranceMs;
  const querier = queryable.querier(group.tenant, mint, tsMs);
  for (const rule of group.rules) {
    if (!(rule instanceof AlertingRule)) continue;
    if (rule.forMs < config.forGracePeriodMs) {
      rule.restored = true;
      continue;
    }
    // Prometheus selects with the rule's labels as written (templated ones unexpanded).
    const matchers = rule.seriesLabels(undefined, ALERTS_FOR_STATE_METRIC).map(([n, v]) => new Matcher('=', n, v));
    const last = new Map<string, { t: number; v: number; stale: boolean }>();
    try {
      for await (const s of querier.select(matchers, { start: mint, end: tsMs, step: 0, range: 0 })) {
        const data = decodeSeries(s, mint, tsMs);
        const n = data.ts.length;
        if (n === 0) continue;
        const key = labelsKey(s.labels.filter(([name]) => name !== METRIC_NAME));
        last.set(key, { t: data.ts[n - 1], v: data.vs[n - 1], stale: data.stale?.[n - 1] === 1 });
      }
    } catch (err) {
      logger.error("failed to restore 'for' state", { tenant: group.tenant, rule_group: group.key, alertname: rule.name, err: errorMessage(err) });
      rule.restored = true;
      continue;
    }
    for (const a of rule.active.values()) {
      const s = last.get(labelsKey(a.labels));
      if (!s || s.stale) continue;
      const downAt = Math.floor(s.t / 1000) * 1000;
      let activeAt = Math.trunc(s.v) * 1000;
      const remaining = rule.forMs - (downAt - activeAt);
      if (remaining <= 0) {
        // It was firing: keep the old activeAt, the next evaluation fires it again.
      } else if (remaining < config.forGracePeriodMs) {
        activeAt = tsMs + config.forGracePeriodMs - rule.forMs;
      } else {
        activeAt += tsMs - downAt;
      }
      a.activeAtMs = activeAt;
      logger.debug("'for' state restored", { tenant: group.tenant, alertname: rule.name, restored_time: new Date(activeAt).toISOString() });
    }
    rule.restored = true;
  }
}
