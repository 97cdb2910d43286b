import type { IntegrationConfig, ReceiverConfig, WebhookConfig } from '../config/receivers';
import { type Integration, IntegrationNotImplementedError, type Notifier } from './types';
import { WebhookNotifier, type WebhookOptions } from './webhook';

/** Builds the integrations of one receiver; injectable so tests can record instead of send. */
export type IntegrationFactory = (receiver: ReceiverConfig) => Integration[];

/** Alertmanager's BuildReceiverIntegrations order: YAML key and integration name. */
const ORDER: readonly [string, string][] = [
  ['webhook_configs', 'webhook'],
  ['email_configs', 'email'],
  ['pagerduty_configs', 'pagerduty'],
  ['opsgenie_configs', 'opsgenie'],
  ['wechat_configs', 'wechat'],
  ['slack_configs', 'slack'],
  ['victorops_configs', 'victorops'],
  ['pushover_configs', 'pushover'],
  ['sns_configs', 'sns'],
  ['telegram_configs', 'telegram'],
  ['discord_configs', 'discord'],
  ['webex_configs', 'webex'],
  ['msteams_configs', 'msteams'],
  ['msteamsv2_configs', 'msteamsv2'],
];

/** Fails every send with IntegrationNotImplementedError (not retried, counted as failed). */
class NotImplementedNotifier implements Notifier {
  constructor(
    private readonly integration: string,
    private readonly receiver: string,
  ) {}

  notify(): Promise<void> {
    return Promise.reject(new IntegrationNotImplementedError(this.integration, this.receiver));
  }
}

/**
 * Walks a receiver's integration configs in Alertmanager's order and builds one Integration per
 * config, each made by `make` (which receives the type name, the config and its index).
 */
export function eachIntegration(receiver: ReceiverConfig, make: (name: string, cfg: IntegrationConfig, index: number) => Notifier): Integration[] {
  const out: Integration[] = [];
  for (const [key, name] of ORDER) {
    const configs = (receiver[key] ?? []) as IntegrationConfig[];
    configs.forEach((cfg, index) => out.push({ receiver: receiver.name, name, index, sendResolved: cfg.send_resolved, notifier: make(name, cfg, index) }));
  }
  return out;
}

/** The production factory: webhooks send for real; other types fail at send time until implemented. */
export function defaultIntegrationFactory(options: WebhookOptions): IntegrationFactory {
  return (receiver) =>
    eachIntegration(receiver, (name, cfg) => (name === 'webhook' ? new WebhookNotifier(cfg as WebhookConfig, options) : new NotImplementedNotifier(name, receiver.name)));
}
