import { type Clock, errorMessage, isPanoptesError, reasonOf } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { type Alert, fingerprint, resolvedAt } from '../alerts/alert';
import type { AlertStore } from '../alerts/alert-store';
import { type TimeInterval, inIntervals } from '../config/time-intervals';
import type { Inhibitor } from '../inhibit/inhibitor';
import type { AlertRouterMetrics } from '../metrics';
import type { NflogEntry, NotificationLog } from '../nflog/nflog';
import type { Silences } from '../silences/silences';
import { type Integration, type NotifyContext, NotifyError } from './types';

export interface RetryConfig {
  /** First wait after a failed attempt, ms. */
  initialBackoffMs: number;
  /** Longest wait between attempts, ms. */
  maxBackoffMs: number;
  /** Each wait is the previous one times this. */
  multiplier: number;
  /** Random spread of each wait, as a fraction (0.5 = ±50 %); 0 makes waits exact. */
  jitter: number;
}

/** Alertmanager's backoff (cenkalti/backoff defaults): 0.5 s, ×1.5, up to 60 s, ±50 %. */
export function defaultRetryConfig(): RetryConfig {
  return { initialBackoffMs: 500, maxBackoffMs: 60_000, multiplier: 1.5, jitter: 0.5 };
}

export interface PipelineDeps {
  tenant: string;
  store: AlertStore;
  inhibitor: Inhibitor;
  silences: Silences;
  nflog: NotificationLog;
  /** Named time intervals (time_intervals and mute_time_intervals together). */
  timeIntervals: ReadonlyMap<string, readonly TimeInterval[]>;
  /** Integrations by receiver name. */
  integrations: ReadonlyMap<string, readonly Integration[]>;
  clock: Clock;
  retry: RetryConfig;
  metrics: AlertRouterMetrics;
  logger: Logger;
}

/**
 * The notification pipeline of one tenant (Alertmanager's notify.BuildPipeline), run by an
 * aggregation group at each flush:
 *
 *   inhibition → active time intervals → mute time intervals → silences
 *     → per integration, in parallel: dedup against the notification log → send with retries → log
 *
 * A stage that leaves no alerts ends the run. `run` resolves true when every integration either
 * had nothing new to send or sent successfully.
 */
export class NotificationPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  async run(ctx: NotifyContext, alerts: readonly Alert[]): Promise<boolean> {
    const { inhibitor, silences, store } = this.deps;
    let pending = alerts.filter((a) => !inhibitor.mutes(a.labels));
    if (pending.length === 0) return true;
    if (ctx.activeTimeIntervals.length > 0 && !this.within(ctx.activeTimeIntervals, ctx.now)) {
      this.deps.logger.debug('notifications not sent, route is not within active time', { tenant: ctx.tenant, group: ctx.groupKey });
      return true;
    }
    if (ctx.muteTimeIntervals.length > 0 && this.within(ctx.muteTimeIntervals, ctx.now)) {
      this.deps.logger.debug('notifications not sent, route is within mute time', { tenant: ctx.tenant, group: ctx.groupKey });
      return true;
    }
    pending = pending.filter((a) => !silences.mutes(a.labels, store));
    if (pending.length === 0) return true;
    const integrations = this.deps.integrations.get(ctx.receiver) ?? [];
    const results = await Promise.all(integrations.map((i) => this.notifyIntegration(i, ctx, pending)));
    return results.every(Boolean);
  }

  private within(names: readonly string[], now: number): boolean {
    return names.some((n) => inIntervals(this.deps.timeIntervals.get(n) ?? [], now));
  }

  private async notifyIntegration(integration: Integration, ctx: NotifyContext, alerts: readonly Alert[]): Promise<boolean> {
    const receiver = { groupName: ctx.receiver, integration: integration.name, idx: integration.index };
    const now = this.deps.clock.now();
    const firing: string[] = [];
    const resolved: string[] = [];
    for (const a of alerts) (resolvedAt(a, now) ? resolved : firing).push(fingerprint(a.labels));
    const entry = this.deps.nflog.query(receiver, ctx.groupKey);
    if (!needsUpdate(entry, firing, resolved, integration.sendResolved, ctx.repeatIntervalMs, now)) return true;
    let sent: readonly Alert[] = alerts;
    if (!integration.sendResolved) {
      // Only resolved alerts and send_resolved off: nothing to send, but log them so dedup knows.
      if (firing.length > 0) sent = alerts.filter((a) => !resolvedAt(a, now));
      else sent = [];
    }
    if (sent.length > 0 && !(await this.sendWithRetry(integration, ctx, sent))) return false;
    this.deps.nflog.log(receiver, ctx.groupKey, firing, resolved);
    return true;
  }

  private async sendWithRetry(integration: Integration, ctx: NotifyContext, alerts: readonly Alert[]): Promise<boolean> {
    const { clock, metrics, tenant, retry } = this.deps;
    const labels = { tenant, integration: integration.name };
    metrics.notifications.inc(labels);
    let backoff = retry.initialBackoffMs;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      if (ctx.signal.aborted) break;
      const started = clock.now();
      const attemptAbort = new AbortController();
      const stopTimer = new AbortController();
      const onAbort = (): void => attemptAbort.abort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      clock.sleep(Math.max(0, ctx.deadline - started), stopTimer.signal).then(onAbort, () => undefined);
      try {
        metrics.notificationRequests.inc(labels);
        await integration.notifier.notify(alerts, { ...ctx, signal: attemptAbort.signal });
        if (attempt > 1) this.deps.logger.info('notify success', { tenant, receiver: ctx.receiver, integration: integration.name, attempts: attempt });
        return true;
      } catch (err) {
        lastError = err;
        const retryable = err instanceof NotifyError ? err.retry : !isPanoptesError(err);
        metrics.notificationRequestsFailed.inc({ ...labels, reason: failureReason(err) });
        if (!retryable) break;
      } finally {
        metrics.notificationLatency.observe({ integration: integration.name }, Math.max(0, clock.now() - started) / 1000);
        stopTimer.abort();
        ctx.signal.removeEventListener('abort', onAbort);
      }
      const wait = Math.min(jittered(backoff, retry.jitter), ctx.deadline - clock.now());
      if (wait <= 0) break;
      try {
        await clock.sleep(wait, ctx.signal);
      } catch {
        break;
      }
      backoff = Math.min(backoff * retry.multiplier, retry.maxBackoffMs);
    }
    metrics.notificationsFailed.inc({ ...labels, reason: failureReason(lastError) });
    this.deps.logger.error('notify failed', { tenant, receiver: ctx.receiver, integration: integration.name, group: ctx.groupKey, err: errorMessage(lastError ?? 'stopped before sending') });
    return false;
  }
}

function jittered(ms: number, jitter: number): number {
  return jitter > 0 ? ms * (1 - jitter + Math.random() * 2 * jitter) : ms;
}

function failureReason(err: unknown): string {
  if (err instanceof NotifyError) return err.reason;
  if (isPanoptesError(err)) return reasonOf(err);
  return err === undefined ? 'timeout' : 'error';
}

/**
 * Alertmanager's DedupStage.needsUpdate: send when something fired that was not notified, when
 * everything notified as firing has resolved, when resolved alerts changed (send_resolved), or
 * when the repeat interval has passed since the last notification.
 */
export function needsUpdate(entry: NflogEntry | undefined, firing: string[], resolved: string[], sendResolved: boolean, repeatIntervalMs: number, now: number): boolean {
  if (!entry) return firing.length > 0;
  const notifiedFiring = new Set(entry.firingAlerts);
  if (!firing.every((f) => notifiedFiring.has(f))) return true;
  if (firing.length === 0) return entry.firingAlerts.length > 0;
  const notifiedResolved = new Set(entry.resolvedAlerts);
  if (sendResolved && !resolved.every((r) => notifiedResolved.has(r))) return true;
  return entry.timestamp < now - repeatIntervalMs;
}
