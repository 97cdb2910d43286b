import { type HttpConfig, httpConfigCodec, httpUrl, secretUrl, tlsConfigCodec } from './http-config';
import { opsgenieCodec, pagerdutyCodec, slackCodec, snsCodec, victoropsCodec, webexCodec, wechatCodec, pushoverCodec } from './receivers-more';
import { parseHostPort } from './values';
import { type Codec, bool, dict, field, int64, list, object, parsed, secret, str, uint64 } from './yaml-decode';

/**
 * The receiver integrations of Alertmanager 0.25 (`config/notifiers.go`): their fields, defaults
 * and checks, plus `msteams_configs` and `msteamsv2_configs` from Alertmanager 0.26 / 0.28 (which
 * amtool 0.25 does not know). Every integration config carries `send_resolved`.
 */
export interface IntegrationConfig {
  send_resolved: boolean;
  http_config?: HttpConfig;
  [key: string]: unknown;
}

export interface WebhookConfig extends IntegrationConfig {
  url: string;
  max_alerts: number;
}

const t = (name: string): string => `{{ template "${name}" . }}`;

const hostPort = parsed('config.HostPort', parseHostPort, (v) => v, (v) => !v);
const sendResolved = field('send_resolved', bool, false);
const httpConfig = field('http_config', httpConfigCodec);

function required(...checks: [boolean, string][]): string | undefined {
  for (const [bad, message] of checks) if (bad) return message;
  return undefined;
}

export const webhookCodec = object<WebhookConfig>('config.WebhookConfig', [sendResolved, httpConfig, field('url', httpUrl, false), field('max_alerts', uint64, false)], {
  defaults: () => ({ send_resolved: true, max_alerts: 0 }),
  validate: (c) => required([!c.url, 'missing URL in webhook config']),
});

const emailCodec = object<IntegrationConfig>(
  'config.EmailConfig',
  [
    sendResolved,
    field('to', str),
    field('from', str),
    field('hello', str),
    field('smarthost', hostPort),
    field('auth_username', str),
    field('auth_password', secret),
    field('auth_password_file', str),
    field('auth_secret', secret),
    field('auth_identity', str),
    field('headers', dict(str)),
    field('html', str),
    field('text', str),
    field('require_tls', bool),
    field('tls_config', tlsConfigCodec, false),
  ],
  {
    defaults: () => ({ send_resolved: false, html: t('email.default.html'), tls_config: { insecure_skip_verify: false } }),
    validate: (c) => {
      if (!c.to) return 'missing to address in email config';
      const headers = (c.headers ?? {}) as Record<string, string>;
      const normalized: Record<string, string> = {};
      for (const [h, v] of Object.entries(headers)) {
        const canonical = h.toLowerCase().replace(/(^|-)([a-z])/g, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
        if (canonical in normalized) return `duplicate header ${JSON.stringify(canonical)} in email config`;
        normalized[canonical] = v;
      }
      c.headers = normalized;
      return undefined;
    },
  },
);

const discordCodec = object<IntegrationConfig>('config.DiscordConfig', [sendResolved, httpConfig, field('webhook_url', secretUrl), field('title', str), field('message', str)], {
  defaults: () => ({ send_resolved: true, title: t('discord.default.title'), message: t('discord.default.message') }),
  validate: (c) => required([!c.webhook_url, 'no discord webhook URL provided']),
});

const telegramCodec = object<IntegrationConfig>(
  'config.TelegramConfig',
  [
    sendResolved,
    httpConfig,
    field('api_url', httpUrl, false),
    field('bot_token', secret),
    field('chat_id', int64),
    field('message', str),
    field('disable_notifications', bool),
    field('parse_mode', str),
  ],
  {
    defaults: () => ({ send_resolved: true, disable_notifications: false, message: t('telegram.default.message'), parse_mode: 'HTML' }),
    validate: (c) =>
      required(
        [!c.bot_token, 'missing bot_token on telegram_config'],
        [!c.chat_id, 'missing chat_id on telegram_config'],
        [!['', 'Markdown', 'MarkdownV2', 'HTML'].includes(String(c.parse_mode ?? '')), 'unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string'],
      ),
  },
);

// Microsoft Teams: Alertmanager 0.26 (msteams) and 0.28 (msteamsv2, Power Automate workflows).
function teams(goType: string, fields: string[], defaults: Record<string, string>): Codec<IntegrationConfig> {
  return object<IntegrationConfig>(goType, [sendResolved, httpConfig, field('webhook_url', secretUrl), field('webhook_url_file', str), ...fields.map((f) => field(f, str))], {
    defaults: () => ({ send_resolved: true, ...defaults }),
    validate: (c) =>
      required(
        [!c.webhook_url && !c.webhook_url_file, 'one of webhook_url or webhook_url_file must be configured'],
        [!!c.webhook_url && !!c.webhook_url_file, 'at most one of webhook_url & webhook_url_file must be configured'],
      ),
  });
}

const msteamsCodec = teams('config.MSTeamsConfig', ['title', 'summary', 'text'], {
  title: t('msteams.default.title'),
  summary: t('msteams.default.summary'),
  text: t('msteams.default.text'),
});
const msteamsV2Codec = teams('config.MSTeamsV2Config', ['title', 'text'], { title: t('msteamsv2.default.title'), text: t('msteamsv2.default.text') });

/** Receiver fields in Alertmanager's order: YAML key → integration name (as in metrics and the notification log). */
export const INTEGRATIONS: readonly { key: string; name: string; codec: Codec<IntegrationConfig> }[] = [
  { key: 'email_configs', name: 'email', codec: emailCodec },
  { key: 'pagerduty_configs', name: 'pagerduty', codec: pagerdutyCodec },
  { key: 'slack_configs', name: 'slack', codec: slackCodec },
  { key: 'webhook_configs', name: 'webhook', codec: webhookCodec as Codec<IntegrationConfig> },
  { key: 'opsgenie_configs', name: 'opsgenie', codec: opsgenieCodec },
  { key: 'wechat_configs', name: 'wechat', codec: wechatCodec },
  { key: 'pushover_configs', name: 'pushover', codec: pushoverCodec },
  { key: 'victorops_configs', name: 'victorops', codec: victoropsCodec },
  { key: 'sns_configs', name: 'sns', codec: snsCodec },
  { key: 'telegram_configs', name: 'telegram', codec: telegramCodec },
  { key: 'discord_configs', name: 'discord', codec: discordCodec },
  { key: 'webex_configs', name: 'webex', codec: webexCodec },
  { key: 'msteams_configs', name: 'msteams', codec: msteamsCodec },
  { key: 'msteamsv2_configs', name: 'msteamsv2', codec: msteamsV2Codec },
];

export interface ReceiverConfig {
  name: string;
  /** Integration configs by YAML key (`webhook_configs` …), in file order within each key. */
  [key: string]: IntegrationConfig[] | string;
}

export const receiverCodec = object<ReceiverConfig>(
  'config.Receiver',
  [field('name', str, false), ...INTEGRATIONS.map((i) => field(i.key, list(i.codec)))],
  { validate: (r) => required([!r.name, 'missing name in receiver']) },
);
