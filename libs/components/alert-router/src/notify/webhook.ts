import type { Alert } from '../alerts/alert';
import type { WebhookConfig } from '../config/receivers';
import { checkStatus, post } from './http';
import type { NotifierOptions } from './render';
import { goJson, templateData } from './template-data';
import type { Notifier, NotifyContext } from './types';

/** What the webhook integration needs besides its config (the same as every integration). */
export type WebhookOptions = NotifierOptions;

/**
 * Alertmanager's webhook integration: POSTs the version "4" JSON payload (template data plus
 * `version`, `groupKey`, `truncatedAlerts`). 2xx succeeds, 5xx and network errors are retried,
 * other statuses fail for good.
 */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly config: WebhookConfig,
    private readonly options: WebhookOptions,
  ) {}

  /** The payload exactly as it goes on the wire (Go's JSON encoder, trailing newline included). */
  payload(alerts: readonly Alert[], ctx: NotifyContext): string {
    const max = this.config.max_alerts;
    const sent = max > 0 ? alerts.slice(0, max) : alerts;
    const data = templateData(ctx.receiver, ctx.groupLabels, sent, this.options.now(), this.options.externalUrl);
    return `${goJson({ ...data, version: '4', groupKey: ctx.groupKey, truncatedAlerts: alerts.length - sent.length })}\n`;
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const res = await post(this.config.url, this.payload(alerts, ctx), { userAgent: this.options.userAgent, httpConfig: this.config.http_config, signal: ctx.signal });
    checkStatus(res);
  }
}
