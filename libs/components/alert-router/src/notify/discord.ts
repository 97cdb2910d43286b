import { type Alert, alertsStatus } from '../alerts/alert';
import type { IntegrationConfig } from '../config/receivers';
import { checkStatus, goJsonLine, post } from './http';
import { type NotifierOptions, Renderer } from './render';
import type { Notifier, NotifyContext } from './types';

/** Embed colours: firing red, resolved green. */
const COLOR_FIRING = 0x992d22;
const COLOR_RESOLVED = 0x2ecc71;

/**
 * Alertmanager 0.25's Discord integration: one embed with the templated title and message,
 * coloured by status, and an empty `content`. 0.25 does not cut the title or message to Discord's
 * limits. 5xx and network errors are retried.
 */
export class DiscordNotifier implements Notifier {
  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: NotifierOptions,
  ) {}

  /** The request body as it goes on the wire. */
  async payload(alerts: readonly Alert[], ctx: NotifyContext): Promise<string> {
    const r = new Renderer(alerts, ctx, this.options);
    const now = this.options.now();
    const title = await r.text(this.config.title as string);
    const description = await r.text(this.config.message as string);
    const color = alertsStatus(alerts, now) === 'firing' ? COLOR_FIRING : COLOR_RESOLVED;
    return goJsonLine({ content: '', embeds: [{ title, description, color }] });
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const body = await this.payload(alerts, ctx);
    checkStatus(await post(String(this.config.webhook_url), body, { userAgent: this.options.userAgent, httpConfig: this.config.http_config, signal: ctx.signal }));
  }
}
