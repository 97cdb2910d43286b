import { setMaxListeners } from 'node:events';
import { UnavailableError, errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type Notifier, type NotifierAlert, postableAlertsJson } from './contracts';

/** One Alertmanager (or the alert-router of this process) alerts are sent to. */
export interface AlertSender {
  /** Names the target in logs: its URL, or `alert-router (in process)`. */
  readonly name: string;
  /** Delivers one batch; rejects when the target did not accept it. */
  send(tenant: string, alerts: readonly NotifierAlert[], signal: AbortSignal): Promise<void>;
}

export interface AlertNotifierConfig {
  /** Alerts queued per tenant; past it the oldest are dropped (`-ruler.notification-queue-capacity`). */
  queueCapacity: number;
  /** Most alerts in one POST (Prometheus's `maxBatchSize`). */
  maxBatchSize: number;
  /** Timeout of one send to one target, ms (`-ruler.notification-timeout`). */
  timeoutMs: number;
}

export function defaultAlertNotifierConfig(): AlertNotifierConfig {
  return { queueCapacity: 10_000, maxBatchSize: 64, timeoutMs: 10_000 };
}

/**
 * Prometheus's notifier, one queue per tenant as in Mimir: `send` only queues (evaluation never
 * waits on an Alertmanager), a per-tenant loop posts batches of at most `maxBatchSize` to every
 * target at once, each send bounded by `timeoutMs` and never retried (firing alerts are resent
 * every resend delay anyway). When a queue is full the oldest alerts are dropped and counted.
 * Resend delay and `endsAt` are the rule group's business (`AlertingRule.alertsToSend`).
 *
 * Invariant: at most one send loop per tenant, so a tenant's batches leave in queue order.
 */
export class AlertNotifier implements Notifier {
  private readonly queues = new Map<string, NotifierAlert[]>();
  private readonly loops = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private stopped = false;
  private readonly sent: Counter<'tenant'>;
  private readonly errors: Counter<'tenant'>;
  private readonly dropped: Counter<'tenant'>;
  private readonly queueLength: Gauge<'tenant'>;

  constructor(
    private readonly config: AlertNotifierConfig,
    private readonly senders: readonly AlertSender[],
    private readonly logger: Logger,
    registry: Registry,
  ) {
    // Every send in flight (one per tenant and target) listens on it.
    setMaxListeners(0, this.abort.signal);
    this.sent = new Counter({
      name: 'panoptes_ruler_notifications_sent_total',
      help: 'Alerts sent to Alertmanagers, counted once per target that accepted them.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'panoptes_ruler_notifications_errors_total',
      help: 'Alerts a target did not accept (error answer, timeout, unreachable), counted once per target.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.dropped = new Counter({
      name: 'panoptes_ruler_notifications_dropped_total',
      help: 'Alerts dropped before sending: queue full, no Alertmanager configured, or the ruler stopping.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.queueLength = new Gauge({
      name: 'panoptes_ruler_notifications_queue_length',
      help: 'Alerts waiting to be sent, per tenant.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    new Gauge({
      name: 'panoptes_ruler_notifications_queue_capacity',
      help: 'Alerts the queue of each tenant holds at most.',
      registers: [registry],
    }).set(config.queueCapacity);
  }

  send(tenant: string, alerts: readonly NotifierAlert[]): void {
    if (alerts.length === 0) return;
    if (this.stopped || this.senders.length === 0) {
      this.dropped.inc({ tenant }, alerts.length);
      return;
    }
    let q = this.queues.get(tenant);
    if (!q) {
      q = [];
      this.queues.set(tenant, q);
    }
    q.push(...alerts);
    const over = q.length - this.config.queueCapacity;
    if (over > 0) {
      q.splice(0, over);
      this.dropped.inc({ tenant }, over);
      this.logger.warn('alert notification queue full, dropped the oldest alerts', { tenant, dropped: over, capacity: this.config.queueCapacity });
    }
    this.queueLength.set({ tenant }, q.length);
    if (!this.loops.has(tenant)) {
      const loop = this.drain(tenant).finally(() => this.loops.delete(tenant));
      this.loops.set(tenant, loop);
    }
  }

  /** Alerts waiting for a tenant (tests, status). */
  queued(tenant: string): number {
    return this.queues.get(tenant)?.length ?? 0;
  }

  private async drain(tenant: string): Promise<void> {
    // Let the evaluation that queued these finish queueing before the first batch leaves.
    await Promise.resolve();
    const q = this.queues.get(tenant)!;
    while (q.length > 0) {
      if (this.abort.signal.aborted) {
        this.dropped.inc({ tenant }, q.length);
        q.length = 0;
        break;
      }
      const batch = q.splice(0, this.config.maxBatchSize);
      this.queueLength.set({ tenant }, q.length);
      await Promise.all(this.senders.map((s) => this.sendOne(s, tenant, batch)));
    }
    this.queues.delete(tenant);
    this.queueLength.remove({ tenant });
  }

  private async sendOne(sender: AlertSender, tenant: string, batch: readonly NotifierAlert[]): Promise<void> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.config.timeoutMs)]);
    try {
      await sender.send(tenant, batch, signal);
      this.sent.inc({ tenant }, batch.length);
    } catch (err) {
      this.errors.inc({ tenant }, batch.length);
      this.logger.warn('sending alerts to alertmanager failed', { tenant, alertmanager: sender.name, alerts: batch.length, err: errorMessage(err) });
    }
  }

  /** Refuses new alerts, lets the queued ones go out (each send within its timeout), then returns. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.loops.values()]);
  }

  /** Drops what is queued and aborts sends in flight. */
  async close(): Promise<void> {
    this.stopped = true;
    this.abort.abort(new Error('notifier closed'));
    await Promise.all([...this.loops.values()]);
  }
}

/**
 * An Alertmanager reached over HTTP: `POST <baseUrl>/api/v2/alerts` with the tenant in
 * `X-Scope-OrgID` (an Alertmanager ignores it; the alert-router and Mimir need it).
 */
export function httpAlertSender(baseUrl: string, fetchFn: typeof fetch = fetch): AlertSender {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`;
  return {
    name: url,
    async send(tenant, alerts, signal) {
      let res: Response;
      try {
        res = await fetchFn(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'Panoptes-ruler', 'X-Scope-OrgID': tenant },
          body: postableAlertsJson(alerts),
          signal,
        });
      } catch (err) {
        throw new UnavailableError('alertmanager_unreachable', `posting alerts to ${url} failed: ${errorMessage(err)}; check -ruler.alertmanager-url`, { tenant, cause: err });
      }
      const text = await res.text();
      if (res.status < 200 || res.status >= 300) {
        throw new UnavailableError('alertmanager_refused', `posting alerts to ${url} answered ${res.status}: ${text.trim()}`, { tenant });
      }
    },
  };
}
