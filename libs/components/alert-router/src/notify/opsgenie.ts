import { createHash } from 'node:crypto';
import { type Alert, alertsStatus } from '../alerts/alert';
import type { IntegrationConfig } from '../config/receivers';
import { checkStatus, goJsonLine, goUrl, post, readSecretFile, sortedRecord, truncateRunes } from './http';
import { type NotifierOptions, Renderer } from './render';
import { common } from './template-data';
import { type Notifier, type NotifyContext, NotifyError } from './types';

/** OpsGenie's limit on an alert message, runes. */
const MAX_MESSAGE_RUNES = 130;

interface Responder {
  id?: string;
  name?: string;
  username?: string;
  type?: string;
}

/** One request of a notification. */
export interface OpsgenieRequest {
  method: 'POST' | 'PUT';
  url: string;
  body: string;
  /** `GenieKey <api_key>`. */
  authorization: string;
}

/** Splits on `sep` after trimming the whole string, dropping empty parts (parts keep their own spaces). */
function splitNonEmpty(s: string, sep: string): string[] {
  return s
    .trim()
    .split(sep)
    .filter((x) => x !== '');
}

/**
 * Alertmanager 0.25's OpsGenie integration (Alert API v2, `Authorization: GenieKey <api_key>`).
 * While any alert fires: POST `<api_url>v2/alerts` creating the alert with alias = SHA-256 of the
 * group key, the message cut at 130 runes, the group's common labels plus the templated `details`,
 * responders (a `teams` responder becomes one `team` per comma-separated name; empty ones are
 * dropped), comma-separated `tags` and `actions`; with `update_alerts`, then PUT the message and the
 * description of that alias. Once all resolved: POST `<api_url>v2/alerts/<alias>/close`. Requests
 * go one after the other, the first failure ends the notification; 429 and 5xx are retried.
 */
export class OpsgenieNotifier implements Notifier {
  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: NotifierOptions,
  ) {}

  /** The requests of one notification, in sending order, bodies as they go on the wire. */
  async requests(alerts: readonly Alert[], ctx: NotifyContext): Promise<OpsgenieRequest[]> {
    const r = new Renderer(alerts, ctx, this.options);
    const unsigned = await this.unsigned(r, alerts, ctx);
    const authorization = `GenieKey ${await r.text(this.apiKeySource(), 'api_key')}`;
    return unsigned.map((req) => ({ ...req, authorization }));
  }

  /** `api_key`, or the content of `api_key_file` (trimmed); a template either way. */
  private apiKeySource(): string {
    const c = this.config;
    if (c.api_key) return String(c.api_key);
    try {
      return readSecretFile(String(c.api_key_file));
    } catch (err) {
      throw new NotifyError(`read key_file error: ${(err as Error).message}`, false, 'unsupported_config');
    }
  }

  private async unsigned(r: Renderer, alerts: readonly Alert[], ctx: NotifyContext): Promise<Omit<OpsgenieRequest, 'authorization'>[]> {
    const c = this.config as Record<string, unknown>;
    const base = String(c.api_url);
    const alias = createHash('sha256').update(ctx.groupKey).digest('hex');
    const byAlias = { identifierType: 'alias' };
    const details = new Map(Object.entries(common(alerts.map((a) => a.labels))));
    for (const [k, v] of Object.entries((c.details ?? {}) as Record<string, string>)) details.set(k, await r.text(v, `${JSON.stringify(k)} details`));
    if (alertsStatus(alerts, this.options.now()) === 'resolved') {
      return [{ method: 'POST', url: goUrl(base, `v2/alerts/${alias}/close`, byAlias), body: goJsonLine({ source: await r.text(c.source as string, 'source') }) }];
    }
    const message = truncateRunes(await r.text(c.message as string, 'message'), MAX_MESSAGE_RUNES).text;
    const responders: Responder[] = [];
    for (const cfg of (c.responders ?? []) as Responder[]) {
      const one: Responder = { id: await r.text(cfg.id), name: await r.text(cfg.name), username: await r.text(cfg.username), type: await r.text(cfg.type) };
      if (!one.id && !one.name && !one.username && !one.type) continue;
      if (one.type === 'teams') {
        for (const team of splitNonEmpty(one.name ?? '', ',')) responders.push({ name: await r.text(team), type: 'team' });
        continue;
      }
      responders.push(one);
    }
    // Field order and omitted empty fields are those of Alertmanager's JSON.
    const msg: Record<string, unknown> = { alias, message };
    const description = await r.text(c.description as string, 'description');
    if (description) msg.description = description;
    msg.details = sortedRecord(details);
    msg.source = await r.text(c.source as string, 'source');
    if (responders.length > 0) {
      msg.responders = responders.map((x) => ({ ...(x.id ? { id: x.id } : {}), ...(x.name ? { name: x.name } : {}), ...(x.username ? { username: x.username } : {}), type: x.type ?? '' }));
    }
    const tags = splitNonEmpty(await r.text(c.tags as string, 'tags'), ',');
    if (tags.length > 0) msg.tags = tags;
    for (const f of ['note', 'priority', 'entity']) {
      const v = await r.text(c[f] as string, f);
      if (v) msg[f] = v;
    }
    const actions = splitNonEmpty(await r.text(c.actions as string, 'actions'), ',');
    if (actions.length > 0) msg.actions = actions;
    const out: Omit<OpsgenieRequest, 'authorization'>[] = [{ method: 'POST', url: goUrl(base, 'v2/alerts'), body: goJsonLine(msg) }];
    if (c.update_alerts) {
      out.push({ method: 'PUT', url: goUrl(base, `v2/alerts/${alias}/message`, byAlias), body: goJsonLine(message ? { message } : {}) });
      out.push({ method: 'PUT', url: goUrl(base, `v2/alerts/${alias}/description`, byAlias), body: goJsonLine(description ? { description } : {}) });
    }
    return out;
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    for (const req of await this.requests(alerts, ctx)) {
      const res = await post(req.url, req.body, { method: req.method, headers: { Authorization: req.authorization }, userAgent: this.options.userAgent, httpConfig: this.config.http_config, signal: ctx.signal });
      checkStatus(res, [429]);
    }
  }
}
