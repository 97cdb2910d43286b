import type { Clock } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { type Alert, compareAlerts, labelSetString, resolvedAt } from '../alerts/alert';
import type { LabelSet } from '../matchers';
import type { NotifyContext } from '../notify/types';
import type { Route } from '../routing/route';

/** Runs the notification pipeline for a group's alerts; resolves true when everything was delivered. */
export type NotifyFn = (ctx: NotifyContext, alerts: readonly Alert[]) => Promise<boolean>;

/** Notification runs get at least this long (retries included) before they are cut off, ms. */
export const MIN_NOTIFY_TIMEOUT_MS = 10_000;

/**
 * The alerts of one route that share the route's group_by labels (Alertmanager's aggrGroup).
 *
 *   created ──group_wait──▶ flush ──group_interval──▶ flush ──group_interval──▶ …   (until stop())
 *
 * The first flush comes group_wait after creation, or at once when an alert arrives that started
 * more than group_wait ago. Every flush hands all its alerts to the pipeline (which dedups against
 * the notification log, so repeats only go out after repeat_interval); resolved alerts are removed
 * once a flush delivered them.
 */
export class AggregationGroup {
  private readonly alerts = new Map<string, Alert>();
  private hasFlushed = false;
  private nextAt: number;
  private wake = new AbortController();
  private readonly stopped = new AbortController();
  private running: Promise<void> | undefined;
  readonly groupKey: string;

  constructor(
    readonly labels: LabelSet,
    readonly route: Route,
    private readonly tenant: string,
    private readonly clock: Clock,
    private readonly notify: NotifyFn,
    private readonly logger: Logger,
  ) {
    this.groupKey = `${route.key()}:${labelSetString(labels)}`;
    this.nextAt = clock.now() + route.opts.groupWaitMs;
  }

  insert(alert: Alert, fp: string): void {
    this.alerts.set(fp, alert);
    if (!this.hasFlushed && alert.startsAt + this.route.opts.groupWaitMs < this.clock.now()) {
      this.nextAt = this.clock.now();
      this.wake.abort();
    }
  }

  isEmpty(): boolean {
    return this.alerts.size === 0;
  }

  list(): [string, Alert][] {
    return [...this.alerts.entries()];
  }

  start(): void {
    this.running ??= this.loop().catch((err: unknown) => this.logger.error('aggregation group failed', { tenant: this.tenant, group: this.groupKey, err }));
  }

  /** Stops the timer loop and waits for a flush in progress to finish. */
  async stop(): Promise<void> {
    this.stopped.abort();
    this.wake.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      const wait = this.nextAt - this.clock.now();
      if (wait > 0) {
        try {
          await this.clock.sleep(wait, this.wake.signal);
        } catch {
          // Woken early: insert() moved nextAt, or stop() was called.
          this.wake = new AbortController();
          continue;
        }
      } else {
        await new Promise((r) => setImmediate(r));
      }
      if (this.stopped.signal.aborted) return;
      if (this.clock.now() < this.nextAt) continue;
      const tick = this.clock.now();
      this.nextAt = tick + this.route.opts.groupIntervalMs;
      this.hasFlushed = true;
      await this.flush(tick);
    }
  }

  private async flush(tick: number): Promise<void> {
    if (this.alerts.size === 0) return;
    const now = this.clock.now();
    // Alerts that are not resolved yet are sent without an end, so they do not resolve on the receiver's side.
    const batch = [...this.alerts.entries()].map(([fp, a]) => ({ fp, sent: resolvedAt(a, now) ? a : { ...a, endsAt: 0 }, stored: a }));
    batch.sort((x, y) => compareAlerts(x.sent, y.sent));
    const opts = this.route.opts;
    const ctx: NotifyContext = {
      tenant: this.tenant,
      now: tick,
      groupKey: this.groupKey,
      groupLabels: this.labels,
      receiver: opts.receiver,
      repeatIntervalMs: opts.repeatIntervalMs,
      muteTimeIntervals: opts.muteTimeIntervals,
      activeTimeIntervals: opts.activeTimeIntervals,
      deadline: tick + Math.max(opts.groupIntervalMs, MIN_NOTIFY_TIMEOUT_MS),
      signal: this.stopped.signal,
    };
    const delivered = await this.notify(
      ctx,
      batch.map((b) => b.sent),
    );
    if (!delivered) return;
    const after = this.clock.now();
    for (const { fp, sent, stored } of batch) {
      // Keep an alert that was updated while the notification was in flight.
      if (resolvedAt(sent, after) && this.alerts.get(fp)?.updatedAt === stored.updatedAt) this.alerts.delete(fp);
    }
  }
}
