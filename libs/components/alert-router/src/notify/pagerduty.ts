import { createHash } from 'node:crypto';
import { type Alert, alertsStatus } from '../alerts/alert';
import type { IntegrationConfig } from '../config/receivers';
import { type HttpResponse, checkStatus, goJsonLine, post, readSecretFile, sortedRecord, truncateRunes } from './http';
import { type NotifierOptions, Renderer } from './render';
import { type Notifier, type NotifyContext, NotifyError } from './types';

/** Events API v1, which Alertmanager 0.25 always uses for `service_key` configs (their `url` is not used). */
export const PAGERDUTY_V1_URL = 'https://events.pagerduty.com/generic/2010-04-15/create_event.json';

/** PagerDuty's limit on a summary or description, runes. */
const MAX_SUMMARY_RUNES = 1024;

export interface PagerdutyOptions extends NotifierOptions {
  /** Where v1 events go; PagerDuty's endpoint unless a test points it elsewhere. */
  v1Url?: string;
}

/** PagerDuty's JSON error answer, as Alertmanager quotes it. */
function errorDetails(res: HttpResponse): string | undefined {
  if (res.status !== 400 || !res.body) return undefined;
  try {
    const e = JSON.parse(res.body) as { status?: string; message?: string; errors?: string[] };
    return `${e.status ?? ''}: ${e.message ?? ''}${e.errors?.length ? ` (${e.errors.join(', ')})` : ''}`;
  } catch {
    return undefined;
  }
}

/**
 * Alertmanager 0.25's PagerDuty integration. `routing_key`: Events API v2 to `url`, `trigger`
 * while any alert fires and `resolve` after, `dedup_key` = SHA-256 of the group key, summary cut at
 * 1024 runes, details as `custom_details`; 429 and 5xx are retried. `service_key`: Events API v1
 * (`incident_key`, `description`, `details`), 403 and 5xx retried.
 */
export class PagerdutyNotifier implements Notifier {
  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: PagerdutyOptions,
  ) {}

  private get v1(): boolean {
    return !!(this.config.service_key || this.config.service_key_file);
  }

  /** The request body as it goes on the wire. */
  async payload(alerts: readonly Alert[], ctx: NotifyContext): Promise<string> {
    const c = this.config as Record<string, unknown>;
    const r = new Renderer(alerts, ctx, this.options);
    const now = this.options.now();
    const resolved = alertsStatus(alerts, now) === 'resolved';
    const key = createHash('sha256').update(ctx.groupKey).digest('hex');
    const details = new Map<string, string>();
    for (const [k, v] of Object.entries((c.details ?? {}) as Record<string, string>)) details.set(k, await r.text(v, `${JSON.stringify(k)} details`));
    const secret = async (value: unknown, file: unknown): Promise<string> => r.text(file ? readSecretFile(String(file)) : String(value ?? ''));
    if (this.v1) {
      const msg: Record<string, unknown> = {
        service_key: await secret(c.service_key, c.service_key_file),
        incident_key: key,
        event_type: resolved ? 'resolve' : 'trigger',
      };
      const description = truncateRunes(await r.text(c.description as string), MAX_SUMMARY_RUNES).text;
      if (description) msg.description = description;
      msg.event_action = '';
      msg.payload = null;
      if (!resolved) {
        const client = await r.text(c.client as string);
        const clientUrl = await r.text(c.client_url as string);
        if (client) msg.client = client;
        if (clientUrl) msg.client_url = clientUrl;
      }
      if (details.size > 0) msg.details = sortedRecord(details);
      return goJsonLine(msg);
    }
    const payload: Record<string, unknown> = {
      summary: truncateRunes(await r.text(c.description as string), MAX_SUMMARY_RUNES).text,
      source: await r.text(c.source as string),
      severity: await r.text(c.severity as string),
    };
    for (const f of ['class', 'component', 'group']) {
      const v = await r.text(c[f] as string | undefined);
      if (v) payload[f] = v;
    }
    if (details.size > 0) payload.custom_details = sortedRecord(details);
    const msg: Record<string, unknown> = {
      routing_key: await secret(c.routing_key, c.routing_key_file),
      dedup_key: key,
      event_action: resolved ? 'resolve' : 'trigger',
      payload,
    };
    const client = await r.text(c.client as string);
    const clientUrl = await r.text(c.client_url as string);
    if (client) msg.client = client;
    if (clientUrl) msg.client_url = clientUrl;
    const images: Record<string, string>[] = [];
    for (const i of (c.images ?? []) as { src?: string; alt?: string; href?: string }[]) {
      const src = await r.text(i.src);
      const alt = await r.text(i.alt);
      const href = await r.text(i.href);
      if (src) images.push({ src, alt, href });
    }
    if (images.length > 0) msg.images = images;
    const links: Record<string, string>[] = [];
    for (const l of (c.links ?? []) as { href?: string; text?: string }[]) {
      const href = await r.text(l.href);
      const text = await r.text(l.text);
      if (href) links.push({ href, text });
    }
    if (links.length > 0) msg.links = links;
    return goJsonLine(msg);
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    let body: string;
    try {
      body = await this.payload(alerts, ctx);
    } catch (err) {
      if (err instanceof NotifyError) throw err;
      throw new NotifyError(`cannot read a PagerDuty key file: ${(err as Error).message}`, false, 'unsupported_config');
    }
    const url = this.v1 ? (this.options.v1Url ?? PAGERDUTY_V1_URL) : String(this.config.url);
    const res = await post(url, body, { userAgent: this.options.userAgent, httpConfig: this.config.http_config, signal: ctx.signal });
    checkStatus(res, this.v1 ? [403] : [429], errorDetails);
  }
}
