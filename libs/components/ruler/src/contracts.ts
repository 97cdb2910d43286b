import type { Labels } from '@panoptes/block-formats';
import type { QueryEngine, Queryable } from '@panoptes/promql';
import { queryEscape } from '@panoptes/gotemplate';

/**
 * What the ruler needs from the rest of the system, as interfaces the lead wires: a way to run
 * PromQL, a place to write samples (the distributor), and a place to send alerts (the
 * alert-router or Alertmanagers).
 */

/** One sample of an instant vector a rule query returned. */
export interface RuleVectorSample {
  labels: Labels;
  t: number;
  v: number;
}

/** Runs an instant query for a rule at `timeMs` (Prometheus's `rules.QueryFunc`). */
export type RuleQueryFunc = (query: string, timeMs: number, signal?: AbortSignal) => Promise<RuleVectorSample[]>;

/**
 * Prometheus's `EngineQueryFunc`: an instant query whose result must be a vector or a scalar (a
 * scalar becomes one sample without labels).
 */
export function engineQueryFunc(engine: QueryEngine, queryable: Queryable, tenant: string): RuleQueryFunc {
  return async (query, timeMs, signal) => {
    const res = await engine.instantQuery(queryable, tenant, query, timeMs, signal ? { signal } : {});
    const value = res.value;
    if (value.resultType === 'vector') return value.result.map((s) => ({ labels: s.labels, t: s.t, v: s.v }));
    if (value.resultType === 'scalar') return [{ labels: [], t: value.t, v: value.v }];
    throw new Error('rule result is not a vector or scalar');
  };
}

/** A sample a rule wrote: recorded series, `ALERTS`, `ALERTS_FOR_STATE`, or a staleness marker. */
export interface RuleSample {
  /** Sorted labels, `__name__` included. */
  labels: Labels;
  /** Milliseconds. */
  t: number;
  /** NaN for a staleness marker. */
  v: number;
  /** Prometheus's staleness marker: write the StaleNaN bit pattern, not a plain NaN. */
  stale?: boolean;
}

/**
 * Where rule output goes (the distributor's write path). `push` resolves once the samples are
 * accepted and rejects otherwise; the rule is then marked unhealthy with the error, as a failed
 * TSDB commit does in Prometheus.
 */
export interface SampleSink {
  push(tenant: string, samples: readonly RuleSample[], signal?: AbortSignal): Promise<void>;
}

/** An alert as Prometheus's notifier sends it (Alertmanager API v2 `postableAlert`). */
export interface NotifierAlert {
  labels: Labels;
  annotations: Labels;
  /** When the alert started firing, ms. */
  startsAtMs: number;
  /** Resolve time for resolved alerts; for firing ones, when the alert expires unless resent. */
  endsAtMs: number;
  generatorURL: string;
}

/** Sends alerts (the lead wires it to the alert-router and configured Alertmanagers). */
export interface Notifier {
  send(tenant: string, alerts: readonly NotifierAlert[]): void | Promise<void>;
}

/** `strutil.TableLinkForExpression`: the generator URL path of an alert's expression. */
export function tableLink(expr: string): string {
  return `/graph?g0.expr=${queryEscape(expr)}&g0.tab=1`;
}

/** RFC 3339 with milliseconds, as Go's time.Time marshals to JSON (trailing zeros trimmed). */
export function formatRfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
}

/** The body of Alertmanager's `POST /api/v2/alerts` for `alerts`. */
export function postableAlertsJson(alerts: readonly NotifierAlert[]): string {
  return JSON.stringify(
    alerts.map((a) => ({
      labels: Object.fromEntries(a.labels),
      annotations: Object.fromEntries(a.annotations),
      startsAt: formatRfc3339(a.startsAtMs),
      endsAt: formatRfc3339(a.endsAtMs),
      generatorURL: a.generatorURL,
    })),
  );
}
