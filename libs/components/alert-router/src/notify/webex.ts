import type { Alert } from '../alerts/alert';
import type { IntegrationConfig } from '../config/receivers';
import { checkStatus, goJsonLine, post, truncateBytes } from './http';
import { type NotifierOptions, Renderer } from './render';
import type { Notifier, NotifyContext } from './types';

/** Webex's limit on a message, bytes. */
const MAX_MESSAGE_BYTES = 7439;

/**
 * Alertmanager 0.25's Webex integration: POST `api_url` (the Messages API) with `{"markdown",
 * "roomId"}`: the templated message cut at 7439 bytes (whole runes, ending in an ellipsis) and
 * `room_id` as written (0.25 does not render it as a template; left out when empty). The bot
 * token comes from `http_config.authorization` (required by the config). 5xx and network errors
 * are retried.
 */
export class WebexNotifier implements Notifier {
  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: NotifierOptions,
  ) {}

  /** The request body as it goes on the wire. */
  async payload(alerts: readonly Alert[], ctx: NotifyContext): Promise<string> {
    const r = new Renderer(alerts, ctx, this.options);
    const markdown = truncateBytes(await r.text(this.config.message as string, 'message'), MAX_MESSAGE_BYTES).text;
    // 0.25 sends room_id as written: it is not a template.
    const roomId = String(this.config.room_id ?? '');
    return goJsonLine(roomId ? { markdown, roomId } : { markdown });
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const body = await this.payload(alerts, ctx);
    checkStatus(await post(String(this.config.api_url), body, { userAgent: this.options.userAgent, httpConfig: this.config.http_config, signal: ctx.signal }));
  }
}
