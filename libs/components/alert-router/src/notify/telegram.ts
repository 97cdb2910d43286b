import type { Alert } from '../alerts/alert';
import type { IntegrationConfig } from '../config/receivers';
import { GO_HTTP_USER_AGENT, goJsonLine, post, truncateRunes } from './http';
import { type NotifierOptions, Renderer } from './render';
import { type Notifier, type NotifyContext, NotifyError } from './types';

/** Telegram's limit on a message, runes. */
const MAX_MESSAGE_RUNES = 4096;

/**
 * Alertmanager 0.25's Telegram integration (it sends through the telebot library): POST
 * `<api_url>/bot<token>/sendMessage` with every parameter as a JSON string (`chat_id`, `text`,
 * `parse_mode` when set, `disable_web_page_preview`, `disable_notification` when set), the
 * message cut at 4096 runes and rendered with html/template's escaping when `parse_mode` is HTML.
 * Success is Telegram's `{"ok": true}`; every failure is retried, an error answer included.
 */
export class TelegramNotifier implements Notifier {
  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: NotifierOptions,
  ) {}

  /** The request body as it goes on the wire. */
  async payload(alerts: readonly Alert[], ctx: NotifyContext): Promise<string> {
    const c = this.config;
    const r = new Renderer(alerts, ctx, this.options);
    const rendered = c.parse_mode === 'HTML' ? await r.html(c.message as string) : await r.text(c.message as string);
    // telebot sends a map[string]string, which Go's encoder writes in key order.
    const params: Record<string, string> = { chat_id: String(c.chat_id) };
    if (c.disable_notifications) params.disable_notification = 'true';
    params.disable_web_page_preview = 'true';
    if (c.parse_mode) params.parse_mode = String(c.parse_mode);
    params.text = truncateRunes(rendered, MAX_MESSAGE_RUNES).text;
    return goJsonLine(params);
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const body = await this.payload(alerts, ctx);
    const base = String(this.config.api_url ?? 'https://api.telegram.org');
    const url = `${base}/bot${String(this.config.bot_token)}/sendMessage`;
    let res;
    try {
      res = await post(url, body, { userAgent: GO_HTTP_USER_AGENT, httpConfig: this.config.http_config, signal: ctx.signal });
    } catch (err) {
      // The bot token is part of the path: keep it out of the message.
      if (err instanceof NotifyError) throw new NotifyError(err.message.replace(String(this.config.bot_token), '<secret>'), err.retry, err.reason);
      throw err;
    }
    let answer: { ok?: boolean; error_code?: number; description?: string };
    try {
      answer = JSON.parse(res.body) as typeof answer;
    } catch (err) {
      throw new NotifyError(`telegram: status ${res.status}: cannot parse the answer: ${(err as Error).message}`, true, res.status >= 500 ? 'http_5xx' : 'bad_response');
    }
    if (answer.ok !== true) {
      throw new NotifyError(`telegram: ${answer.description ?? 'request failed'} (${answer.error_code ?? res.status})`, true, res.status >= 500 ? 'http_5xx' : 'http_4xx');
    }
  }
}
