import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { Registry } from 'prom-client';
import { type Alert, type PostableAlert, receiveAlert } from '../alerts/alert';
import { loadConfig } from '../config/config';
import { AlertRouterMetrics } from '../metrics';
import { eachIntegration } from '../notify/integrations';
import { type NotifyContext, NotifyError } from '../notify/types';
import { AlertRouterTenant, type TenantConfig, defaultTenantConfig } from '../tenant';

/** One notification a recording integration received. */
export interface Sent {
  receiver: string;
  integration: string;
  index: number;
  at: number;
  groupKey: string;
  alerts: { labels: Record<string, string>; status: 'firing' | 'resolved' }[];
}

/** Test-only: a tenant on a FakeClock whose integrations record instead of sending. */
export class TenantHarness {
  readonly clock: FakeClock;
  readonly sent: Sent[] = [];
  readonly registry = new Registry();
  readonly metrics = new AlertRouterMetrics(this.registry);
  readonly tenant: AlertRouterTenant;
  /** Scripted failures: the next N sends of an integration type throw this. */
  failures: { integration: string; count: number; retry: boolean }[] = [];

  constructor(yaml: string, options: { start?: number; config?: Partial<TenantConfig> } = {}) {
    this.clock = new FakeClock(options.start ?? Date.UTC(2024, 0, 1, 12, 0, 0));
    const config = { ...defaultTenantConfig(), ...options.config, retry: { initialBackoffMs: 500, maxBackoffMs: 60_000, multiplier: 1.5, jitter: 0 } };
    this.tenant = new AlertRouterTenant('t1', config, { config: loadConfig(yaml), templateFiles: {}, fallback: false }, {
      clock: this.clock,
      metrics: this.metrics,
      logger: nopLogger,
      integrationFactory: (receiver) =>
        eachIntegration(receiver, (name, _cfg, index) => ({
          notify: async (alerts: readonly Alert[], ctx: NotifyContext) => {
            const failure = this.failures.find((f) => f.integration === name && f.count > 0);
            if (failure) {
              failure.count--;
              throw new NotifyError('scripted failure', failure.retry, failure.retry ? 'http_5xx' : 'http_4xx');
            }
            const now = this.clock.now();
            this.sent.push({
              receiver: ctx.receiver,
              integration: name,
              index,
              at: now,
              groupKey: ctx.groupKey,
              alerts: alerts.map((a) => ({ labels: { ...a.labels }, status: a.endsAt !== 0 && a.endsAt <= now ? 'resolved' : 'firing' })),
            });
          },
        })),
    });
    this.tenant.start();
  }

  /** Posts alerts as the API would (resolve_timeout from the config). */
  post(...alerts: PostableAlert[]): void {
    const now = this.clock.now();
    this.tenant.putAlerts(alerts.map((a) => receiveAlert(a, now, this.tenant.loaded.config.global.resolve_timeout)));
  }

  /** Moves the fake time forward in small steps so timers and async sends interleave as in real time. */
  async advance(ms: number, stepMs = 1000): Promise<void> {
    let left = ms;
    while (left > 0) {
      const step = Math.min(stepMs, left);
      await this.clock.advance(step);
      await settle();
      left -= step;
    }
    await settle();
  }

  /** Sends recorded so far, as `receiver@seconds-since-start:label=value,…` strings, for compact assertions. */
  summary(start = Date.UTC(2024, 0, 1, 12, 0, 0)): string[] {
    return this.sent.map((s) => `${s.receiver}@${(s.at - start) / 1000}s:${s.alerts.map((a) => `${Object.values(a.labels).join('/')}=${a.status}`).join(',')}`);
  }

  async stop(): Promise<void> {
    await this.tenant.stop();
  }
}

/** Lets pending promise chains and immediates run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
