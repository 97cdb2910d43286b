import type { Alert } from '../alerts/alert';
import type { IntegrationConfig } from '../config/receivers';
import { checkStatus, goJsonLine, post, readSecretFile, truncateRunes } from './http';
import { type NotifierOptions, Renderer } from './render';
import { type Notifier, type NotifyContext, NotifyError } from './types';

/** Slack's limit on an attachment title, runes. */
const MAX_TITLE_RUNES = 1024;

interface SlackField {
  title?: string;
  value?: string;
  short?: boolean;
}

interface SlackAction {
  type?: string;
  text?: string;
  url?: string;
  style?: string;
  name?: string;
  value?: string;
  confirm?: { text?: string; title?: string; ok_text?: string; dismiss_text?: string };
}

/** Sets `key` only when `value` is not empty (Go's `omitempty`). */
function omitEmpty(o: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== '' && value !== false && value !== undefined && !(Array.isArray(value) && value.length === 0)) o[key] = value;
}

/**
 * Alertmanager 0.25's Slack integration (incoming webhook or chat.postMessage via `api_url`): one
 * attachment with the templated title (cut at 1024 runes), text, fields and actions. 2xx succeeds
 * whatever the body says (0.25 does not read it), 5xx and network errors are retried.
 */
export class SlackNotifier implements Notifier {
  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: NotifierOptions,
  ) {}

  /** The request body as it goes on the wire. */
  async payload(alerts: readonly Alert[], ctx: NotifyContext): Promise<string> {
    const c = this.config as Record<string, unknown>;
    const r = new Renderer(alerts, ctx, this.options);
    const text = (key: string): Promise<string> => r.text(c[key] as string | undefined);
    const attachment: Record<string, unknown> = {};
    omitEmpty(attachment, 'title', truncateRunes(await text('title'), MAX_TITLE_RUNES).text);
    omitEmpty(attachment, 'title_link', await text('title_link'));
    omitEmpty(attachment, 'pretext', await text('pretext'));
    attachment.text = await text('text');
    attachment.fallback = await text('fallback');
    attachment.callback_id = await text('callback_id');
    const fields = (c.fields ?? []) as SlackField[];
    if (fields.length > 0) {
      const out: SlackField[] = [];
      for (const f of fields) out.push({ title: await r.text(f.title), value: await r.text(f.value), short: f.short ?? (c.short_fields as boolean) });
      attachment.fields = out;
    }
    const actions = (c.actions ?? []) as SlackAction[];
    if (actions.length > 0) {
      const out: Record<string, unknown>[] = [];
      for (const a of actions) {
        const action: Record<string, unknown> = { type: await r.text(a.type), text: await r.text(a.text) };
        omitEmpty(action, 'url', await r.text(a.url));
        omitEmpty(action, 'style', await r.text(a.style));
        omitEmpty(action, 'name', await r.text(a.name));
        omitEmpty(action, 'value', await r.text(a.value));
        if (a.confirm) {
          const confirm: Record<string, unknown> = { text: await r.text(a.confirm.text) };
          omitEmpty(confirm, 'title', await r.text(a.confirm.title));
          omitEmpty(confirm, 'ok_text', await r.text(a.confirm.ok_text));
          omitEmpty(confirm, 'dismiss_text', await r.text(a.confirm.dismiss_text));
          action.confirm = confirm;
        }
        out.push(action);
      }
      attachment.actions = out;
    }
    omitEmpty(attachment, 'image_url', await text('image_url'));
    omitEmpty(attachment, 'thumb_url', await text('thumb_url'));
    attachment.footer = await text('footer');
    omitEmpty(attachment, 'color', await text('color'));
    const mrkdwnIn = (c.mrkdwn_in ?? []) as string[];
    attachment.mrkdwn_in = mrkdwnIn.length > 0 ? mrkdwnIn : ['fallback', 'pretext', 'text'];
    const request: Record<string, unknown> = {};
    omitEmpty(request, 'channel', await text('channel'));
    omitEmpty(request, 'username', await text('username'));
    omitEmpty(request, 'icon_emoji', await text('icon_emoji'));
    omitEmpty(request, 'icon_url', await text('icon_url'));
    omitEmpty(request, 'link_names', c.link_names);
    request.attachments = [attachment];
    return goJsonLine(request);
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const body = await this.payload(alerts, ctx);
    const c = this.config;
    let url: string;
    try {
      url = c.api_url ? String(c.api_url) : readSecretFile(String(c.api_url_file));
    } catch (err) {
      throw new NotifyError(`read api_url_file: ${(err as Error).message}`, false, 'unsupported_config');
    }
    checkStatus(await post(url, body, { userAgent: this.options.userAgent, httpConfig: c.http_config, signal: ctx.signal }));
  }
}
