import { createHash } from 'node:crypto';
import { type Alert, alertsStatus } from '../alerts/alert';
import type { IntegrationConfig } from '../config/receivers';
import { checkStatus, goJsonLine, goUrl, post, readSecretFile, sortedRecord, truncateRunes } from './http';
import { type NotifierOptions, Renderer } from './render';
import { type Notifier, type NotifyContext, NotifyError } from './types';

/** VictorOps' limit on a state message, runes. */
const MAX_STATE_MESSAGE_RUNES = 20480;

/** Message types a firing group may send; any other becomes CRITICAL. */
const FIRING_TYPES = new Set(['INFO', 'WARNING', 'CRITICAL']);

/**
 * Alertmanager 0.25's VictorOps (Splunk On-Call) integration: POST
 * `<api_url><api_key>/<routing_key>` (routing key templated) with one flat JSON object, keys
 * sorted: `message_type` (the templated type while firing, CRITICAL unless INFO, WARNING or
 * CRITICAL; RECOVERY once resolved), `entity_id` = SHA-256 of the group key, the templated
 * `entity_display_name`, `state_message` (cut at 20480 runes), `monitoring_tool` and
 * `custom_fields`. 5xx and network errors are retried.
 */
export class VictoropsNotifier implements Notifier {
  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: NotifierOptions,
  ) {}

  /** The request body as it goes on the wire. */
  async payload(alerts: readonly Alert[], ctx: NotifyContext): Promise<string> {
    const c = this.config as Record<string, unknown>;
    const r = new Renderer(alerts, ctx, this.options);
    let messageType = await r.text(c.message_type as string, 'message_type');
    const stateMessage = await r.text(c.state_message as string, 'state_message');
    if (alertsStatus(alerts, this.options.now()) === 'resolved') messageType = 'RECOVERY';
    else if (!FIRING_TYPES.has(messageType)) messageType = 'CRITICAL';
    const msg = new Map<string, string>([
      ['message_type', messageType],
      ['entity_id', createHash('sha256').update(ctx.groupKey).digest('hex')],
      ['entity_display_name', await r.text(c.entity_display_name as string, 'entity_display_name')],
      ['state_message', truncateRunes(stateMessage, MAX_STATE_MESSAGE_RUNES).text],
      ['monitoring_tool', await r.text(c.monitoring_tool as string, 'monitoring_tool')],
    ]);
    for (const [k, v] of Object.entries((c.custom_fields ?? {}) as Record<string, string>)) msg.set(k, await r.text(v, `${JSON.stringify(k)} custom_fields`));
    return goJsonLine(sortedRecord(msg));
  }

  /** `<api_url><api_key>/<routing_key>`, escaped as Go writes a URL path. */
  async url(alerts: readonly Alert[], ctx: NotifyContext): Promise<string> {
    const c = this.config;
    let apiKey: string;
    try {
      apiKey = c.api_key ? String(c.api_key) : readSecretFile(String(c.api_key_file));
    } catch (err) {
      throw new NotifyError(`cannot read the VictorOps api_key_file: ${(err as Error).message}`, false, 'unsupported_config');
    }
    const routingKey = await new Renderer(alerts, ctx, this.options).text(c.routing_key as string, 'routing_key');
    return goUrl(String(c.api_url), `${apiKey}/${routingKey}`);
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const url = await this.url(alerts, ctx);
    const body = await this.payload(alerts, ctx);
    let res;
    try {
      res = await post(url, body, { userAgent: this.options.userAgent, httpConfig: this.config.http_config, signal: ctx.signal });
    } catch (err) {
      // The API key is part of the path: keep it out of the message.
      const key = String(this.config.api_key ?? '');
      if (err instanceof NotifyError && key) throw new NotifyError(err.message.split(key).join('<secret>'), err.retry, err.reason);
      throw err;
    }
    checkStatus(res);
  }
}
