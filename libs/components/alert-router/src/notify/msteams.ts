import { type Alert, alertsStatus } from '../alerts/alert';
import type { IntegrationConfig } from '../config/receivers';
import { checkStatus, goJsonLine, post, readSecretFile } from './http';
import { type NotifierOptions, Renderer } from './render';
import { type Notifier, type NotifyContext, NotifyError } from './types';

function webhookUrl(c: IntegrationConfig): string {
  if (c.webhook_url) return String(c.webhook_url);
  try {
    return readSecretFile(String(c.webhook_url_file));
  } catch (err) {
    throw new NotifyError(`read webhook_url_file: ${(err as Error).message}`, false, 'unsupported_config');
  }
}

/**
 * Microsoft Teams through an incoming-webhook connector (`msteams_configs`, Alertmanager 0.26): a
 * MessageCard with the templated title, summary and text, theme colour red while firing and green
 * once resolved. 5xx and network errors are retried.
 */
export class MsTeamsNotifier implements Notifier {
  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: NotifierOptions,
  ) {}

  async payload(alerts: readonly Alert[], ctx: NotifyContext): Promise<string> {
    const r = new Renderer(alerts, ctx, this.options);
    const now = this.options.now();
    const title = await r.text(this.config.title as string);
    const text = await r.text(this.config.text as string);
    const summary = await r.text(this.config.summary as string);
    const themeColor = alertsStatus(alerts, now) === 'firing' ? '8C1A1A' : '2DC72D';
    return goJsonLine({ '@context': 'http://schema.org/extensions', type: 'MessageCard', title, summary, text, themeColor });
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const body = await this.payload(alerts, ctx);
    checkStatus(await post(webhookUrl(this.config), body, { userAgent: this.options.userAgent, httpConfig: this.config.http_config, signal: ctx.signal }));
  }
}

/**
 * Microsoft Teams through a Power Automate workflow (`msteamsv2_configs`, Alertmanager 0.28): an
 * Adaptive Card whose heading (the title) is coloured `Attention` while firing and `Good` once
 * resolved, and whose body is the text. 5xx and network errors are retried.
 */
export class MsTeamsV2Notifier implements Notifier {
  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: NotifierOptions,
  ) {}

  async payload(alerts: readonly Alert[], ctx: NotifyContext): Promise<string> {
    const r = new Renderer(alerts, ctx, this.options);
    const now = this.options.now();
    const title = await r.text(this.config.title as string);
    const text = await r.text(this.config.text as string);
    const color = alertsStatus(alerts, now) === 'firing' ? 'Attention' : 'Good';
    const heading: Record<string, unknown> = { type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true, style: 'heading', color };
    return goJsonLine({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.2',
            body: [heading, { type: 'TextBlock', text, wrap: true }],
            msteams: { width: 'full' },
          },
        },
      ],
    });
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const body = await this.payload(alerts, ctx);
    checkStatus(await post(webhookUrl(this.config), body, { userAgent: this.options.userAgent, httpConfig: this.config.http_config, signal: ctx.signal }));
  }
}
