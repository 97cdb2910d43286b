import type { IntegrationConfig, ReceiverConfig, WebhookConfig } from '../config/receivers';
import { NotificationTemplates } from '../template/templates';
import { DiscordNotifier } from './discord';
import { EmailNotifier } from './email';
import { MsTeamsNotifier, MsTeamsV2Notifier } from './msteams';
import { OpsgenieNotifier } from './opsgenie';
import { PagerdutyNotifier } from './pagerduty';
import type { NotifierOptions } from './render';
import { SlackNotifier } from './slack';
import { TelegramNotifier } from './telegram';
import { type Integration, IntegrationNotImplementedError, type Notifier } from './types';
import { VictoropsNotifier } from './victorops';
import { WebexNotifier } from './webex';
import { WebhookNotifier } from './webhook';

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

/** The integrations that send; the others (WeChat, Pushover, SNS) fail at send time. */
const NOTIFIERS: Record<string, (cfg: IntegrationConfig, options: NotifierOptions) => Notifier> = {
  webhook: (cfg, o) => new WebhookNotifier(cfg as WebhookConfig, o),
  email: (cfg, o) => new EmailNotifier(cfg, o),
  pagerduty: (cfg, o) => new PagerdutyNotifier(cfg, o),
  opsgenie: (cfg, o) => new OpsgenieNotifier(cfg, o),
  slack: (cfg, o) => new SlackNotifier(cfg, o),
  victorops: (cfg, o) => new VictoropsNotifier(cfg, o),
  telegram: (cfg, o) => new TelegramNotifier(cfg, o),
  discord: (cfg, o) => new DiscordNotifier(cfg, o),
  webex: (cfg, o) => new WebexNotifier(cfg, o),
  msteams: (cfg, o) => new MsTeamsNotifier(cfg, o),
  msteamsv2: (cfg, o) => new MsTeamsV2Notifier(cfg, o),
};

/** Integration types that send notifications. */
export const IMPLEMENTED_INTEGRATIONS: readonly string[] = Object.keys(NOTIFIERS);

export interface IntegrationFactoryOptions extends Omit<NotifierOptions, 'templates'> {
  /** The tenant's template files (name → text); parsed once for all its receivers. */
  templateFiles?: Readonly<Record<string, string>>;
}

/** The production factory: every implemented integration sends; the rest fail at send time. */
export function defaultIntegrationFactory(options: IntegrationFactoryOptions): IntegrationFactory {
  const { templateFiles, ...rest } = options;
  const notifierOptions: NotifierOptions = { ...rest, templates: new NotificationTemplates(templateFiles ?? {}) };
  return (receiver) =>
    eachIntegration(receiver, (name, cfg) => {
      const make = NOTIFIERS[name];
      return make ? make(cfg, notifierOptions) : new NotImplementedNotifier(name, receiver.name);
    });
}
