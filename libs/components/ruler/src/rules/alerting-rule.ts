import type { Labels } from '@panoptes/block-formats';
import type { Logger } from '@panoptes/log';
import type { RuleSample } from '../contracts';
import { ALERTS_FOR_STATE_METRIC, ALERTS_METRIC, ALERT_NAME, ALERT_STATE, LabelsBuilder, METRIC_NAME, labelsFromRecord, labelsKey, sortLabels } from '../labels';
import type { RuleSpec } from '../rulefmt';
import { Template, TemplateError, alertTemplateData, expandAlertTemplate, parseAlertTemplate } from '../template/template';
import { Rule, type RuleEvalContext } from './rule';

/** How long a resolved alert is kept (and resent) so receivers learn it resolved. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

export type AlertState = 'inactive' | 'pending' | 'firing';

/**
 * One alert of a rule: one label set of the expression's result.
 *
 *            result has it                  held for `for`
 *   (none) ───────────────▶ pending ────────────────────────▶ firing
 *                              │                                │  gone from the result and
 *                gone from the │                                │  `keep_firing_for` elapsed
 *                 result       ▼                                ▼
 *                           deleted                          inactive (resolved) ── 15m ──▶ deleted
 *
 * A resolved alert that shows up again starts over as a new pending alert. Times are ms;
 * undefined is Go's zero time.
 */
export interface Alert {
  state: AlertState;
  labels: Labels;
  annotations: Labels;
  /** The expression's value at the last evaluation. */
  value: number;
  activeAtMs: number;
  firedAtMs: number | undefined;
  resolvedAtMs: number | undefined;
  lastSentAtMs: number | undefined;
  validUntilMs: number | undefined;
  keepFiringSinceMs: number | undefined;
}

export interface AlertingRuleOptions {
  externalLabels: Labels;
  externalURL: string;
  /** False until the group restored `for` state: no ALERTS / ALERTS_FOR_STATE samples before. */
  restored: boolean;
  logger: Logger;
  /** Called when a label or annotation template fails to expand. */
  onTemplateError?: (error: string) => void;
}

/** An alerting rule with Prometheus's state machine (rules/alerting.go). */
export class AlertingRule extends Rule {
  readonly kind = 'alerting';
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly annotations: Labels;
  /** Alerts by label-set key: pending, firing, and resolved ones still retained. */
  readonly active = new Map<string, Alert>();
  restored: boolean;
  private readonly labelTemplates: [string, Template | string][];
  private readonly annotationTemplates: [string, Template | string][];

  constructor(
    spec: RuleSpec,
    groupLabels: Readonly<Record<string, string>>,
    private readonly opts: AlertingRuleOptions,
  ) {
    super(spec, groupLabels);
    this.forMs = spec.forMs;
    this.keepFiringForMs = spec.keepFiringForMs;
    this.annotations = labelsFromRecord(spec.annotations);
    this.restored = opts.restored;
    const compile = ([n, v]: readonly [string, string]): [string, Template | string] => {
      try {
        return [n, parseAlertTemplate(this.name, v)];
      } catch (err) {
        // Stored rules are validated; should one still not parse, it expands to Prometheus's error text.
        if (err instanceof TemplateError) return [n, `<error expanding template: error parsing template __alert_${this.name}: ${err.message}>`];
        throw err;
      }
    };
    this.labelTemplates = this.labels.map(compile);
    this.annotationTemplates = this.annotations.map(compile);
  }

  /** The highest state of its alerts; `unknown` before the first evaluation. */
  state(): AlertState | 'unknown' {
    if (this.lastEvaluationMs === undefined) return 'unknown';
    let max: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') max = 'pending';
    }
    return max;
  }

  /** Pending and firing alerts (not the resolved ones kept for resending). */
  activeAlerts(): Alert[] {
    return [...this.active.values()].filter((a) => a.resolvedAtMs === undefined).map((a) => ({ ...a }));
  }

  async eval(ctx: RuleEvalContext): Promise<RuleSample[]> {
    const ts = ctx.tsMs;
    const res = await ctx.query(this.expr, ts - ctx.queryOffsetMs, ctx.signal);
    const funcOpts = { timestampMs: ts, query: ctx.query, externalURL: this.opts.externalURL, signal: ctx.signal };
    const expand = async (t: Template | string, data: ReturnType<typeof alertTemplateData>): Promise<string> => {
      if (typeof t === 'string') return t;
      const { text, error } = await expandAlertTemplate(t, data, funcOpts);
      if (error !== undefined) {
        this.opts.onTemplateError?.(error);
        this.opts.logger.warn('expanding alert template failed', { alert: this.name, err: error });
      }
      return text;
    };
    const fresh = new Map<string, Alert>();
    for (const s of res) {
      const data = alertTemplateData(s.labels, this.opts.externalLabels, this.opts.externalURL, s.v);
      const lb = new LabelsBuilder(s.labels).del(METRIC_NAME);
      for (const [n, t] of this.labelTemplates) lb.set(n, await expand(t, data));
      lb.set(ALERT_NAME, this.name);
      const annotations: [string, string][] = [];
      for (const [n, t] of this.annotationTemplates) annotations.push([n, await expand(t, data)]);
      const labels = lb.labels();
      const key = labelsKey(labels);
      if (fresh.has(key)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      fresh.set(key, {
        state: 'pending',
        labels,
        annotations: sortLabels(annotations),
        value: s.v,
        activeAtMs: ts,
        firedAtMs: undefined,
        resolvedAtMs: undefined,
        lastSentAtMs: undefined,
        validUntilMs: undefined,
        keepFiringSinceMs: undefined,
      });
    }
    for (const [key, a] of fresh) {
      const existing = this.active.get(key);
      if (existing && existing.state !== 'inactive') {
        existing.value = a.value;
        existing.annotations = a.annotations;
        continue;
      }
      this.active.set(key, a);
    }
    const out: RuleSample[] = [];
    let activePending = 0;
    for (const [key, a] of this.active) {
      if (!fresh.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.keepFiringForMs > 0) {
          a.keepFiringSinceMs ??= ts;
          keepFiring = ts - a.keepFiringSinceMs < this.keepFiringForMs;
        }
        if (a.state === 'pending' || (a.resolvedAtMs !== undefined && ts - a.resolvedAtMs > RESOLVED_RETENTION_MS)) this.active.delete(key);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAtMs = ts;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSinceMs = undefined;
      }
      activePending++;
      if (a.state === 'pending' && ts - a.activeAtMs >= this.forMs) {
        a.state = 'firing';
        a.firedAtMs = ts;
      }
      if (this.restored) {
        const t = ts - ctx.queryOffsetMs;
        out.push({ labels: this.seriesLabels(a, ALERTS_METRIC, a.state), t, v: 1 });
        out.push({ labels: this.seriesLabels(a, ALERTS_FOR_STATE_METRIC), t, v: Math.floor(a.activeAtMs / 1000) });
      }
    }
    if (ctx.limit > 0 && activePending > ctx.limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${ctx.limit} with ${activePending} alerts`);
    }
    return out;
  }

  /**
   * Labels of the ALERTS / ALERTS_FOR_STATE series of an alert: the rule's labels as written
   * (templates unexpanded), overridden by the alert's, as Prometheus builds them.
   */
  seriesLabels(a: Alert | undefined, metric: string, state?: AlertState): Labels {
    const lb = new LabelsBuilder(this.labels);
    if (a) for (const [n, v] of a.labels) lb.set(n, v);
    lb.set(METRIC_NAME, metric).set(ALERT_NAME, this.name);
    if (state) lb.set(ALERT_STATE, state);
    return lb.labels();
  }

  /**
   * The alerts to send now (Prometheus's `sendAlerts`): firing ones not sent within the resend
   * delay, and resolved ones not yet sent since they resolved. Marks them sent and valid until
   * `ts + 4 × max(interval, resendDelay)`, which allows for two missed evaluations or sends.
   */
  alertsToSend(ts: number, resendDelayMs: number, intervalMs: number): Alert[] {
    const out: Alert[] = [];
    for (const a of this.active.values()) {
      if (!needsSending(a, ts, resendDelayMs)) continue;
      a.lastSentAtMs = ts;
      a.validUntilMs = ts + 4 * Math.max(intervalMs, resendDelayMs);
      out.push({ ...a });
    }
    return out;
  }
}

function needsSending(a: Alert, ts: number, resendDelayMs: number): boolean {
  if (a.state === 'pending') return false;
  if (a.resolvedAtMs !== undefined && (a.lastSentAtMs === undefined || a.resolvedAtMs > a.lastSentAtMs)) return true;
  return a.lastSentAtMs === undefined || a.lastSentAtMs + resendDelayMs < ts;
}
