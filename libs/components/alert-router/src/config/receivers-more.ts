import { httpConfigCodec, httpUrl, secretUrl } from './http-config';
import type { IntegrationConfig } from './receivers';
import { formatGoDuration, parseGoDuration } from './values';
import { bool, dict, field, list, object, parsed, secret, str } from './yaml-decode';

/**
 * The receiver integrations of Alertmanager 0.25 besides webhook, email, Discord, Telegram and
 * Teams (see receivers.ts): their fields, defaults and checks, as `config/notifiers.go` has them.
 */
const t = (name: string): string => `{{ template "${name}" . }}`;
const goDuration = parsed('config.duration', parseGoDuration, (v) => formatGoDuration(v));
const sendResolved = field('send_resolved', bool, false);
const httpConfig = field('http_config', httpConfigCodec);

function required(...checks: [boolean, string][]): string | undefined {
  for (const [bad, message] of checks) if (bad) return message;
  return undefined;
}

export const pagerdutyCodec = object<IntegrationConfig>(
  'config.PagerdutyConfig',
  [
    sendResolved,
    httpConfig,
    field('service_key', secret),
    field('service_key_file', str),
    field('routing_key', secret),
    field('routing_key_file', str),
    field('url', httpUrl),
    field('client', str),
    field('client_url', str),
    field('description', str),
    field('details', dict(str)),
    field('images', list(object('config.PagerdutyImage', [field('src', str), field('alt', str), field('href', str)]))),
    field('links', list(object('config.PagerdutyLink', [field('href', str), field('text', str)]))),
    field('source', str),
    field('severity', str),
    field('class', str),
    field('component', str),
    field('group', str),
  ],
  {
    // Alertmanager 0.25 writes this default without the space before `}}`; kept so configs print the same.
    defaults: () => ({ send_resolved: true, description: '{{ template "pagerduty.default.description" .}}', client: t('pagerduty.default.client'), client_url: t('pagerduty.default.clientURL') }),
    validate: (c) => {
      const problem = required(
        [!c.routing_key && !c.service_key && !c.routing_key_file && !c.service_key_file, 'missing service or routing key in PagerDuty config'],
        [!!c.routing_key && !!c.routing_key_file, 'at most one of routing_key & routing_key_file must be configured'],
        [!!c.service_key && !!c.service_key_file, 'at most one of service_key & service_key_file must be configured'],
      );
      if (problem) return problem;
      const details = { ...((c.details ?? {}) as Record<string, string>) };
      const defaults: Record<string, string> = {
        firing: '{{ template "pagerduty.default.instances" .Alerts.Firing }}',
        resolved: '{{ template "pagerduty.default.instances" .Alerts.Resolved }}',
        num_firing: '{{ .Alerts.Firing | len }}',
        num_resolved: '{{ .Alerts.Resolved | len }}',
      };
      for (const [k, v] of Object.entries(defaults)) if (!(k in details)) details[k] = v;
      c.details = details;
      if (!c.source) c.source = c.client;
      // Events API v2 needs a severity; 0.25 fills in "error" for routing-key configs only.
      if ((c.routing_key || c.routing_key_file) && !c.severity) c.severity = 'error';
      return undefined;
    },
  },
);

const slackConfirm = object<{ text?: string }>('config.SlackConfirmationField', [field('text', str), field('title', str), field('ok_text', str), field('dismiss_text', str)], {
  validate: (c) => required([!c.text, 'missing text in Slack confirmation configuration']),
});

const slackAction = object<Record<string, unknown>>(
  'config.SlackAction',
  [field('type', str), field('text', str), field('url', str), field('style', str), field('name', str), field('value', str), field('confirm', slackConfirm)],
  {
    validate: (c) => {
      const problem = required([!c.type, 'missing type in Slack action configuration'], [!c.text, 'missing text in Slack action configuration']);
      if (problem) return problem;
      if (c.url) {
        delete c.name;
        delete c.value;
        delete c.confirm;
      } else if (!c.name) return 'missing name or url in Slack action configuration';
      return undefined;
    },
  },
);

const slackField = object<{ title?: string; value?: string }>('config.SlackField', [field('title', str), field('value', str), field('short', bool)], {
  validate: (c) => required([!c.title, 'missing title in Slack field configuration'], [!c.value, 'missing value in Slack field configuration']),
});

export const slackCodec = object<IntegrationConfig>(
  'config.SlackConfig',
  [
    sendResolved,
    httpConfig,
    field('api_url', secretUrl),
    field('api_url_file', str),
    field('channel', str),
    field('username', str),
    field('color', str),
    field('title', str),
    field('title_link', str),
    field('pretext', str),
    field('text', str),
    field('fields', list(slackField)),
    field('short_fields', bool, false),
    field('footer', str),
    field('fallback', str),
    field('callback_id', str),
    field('icon_emoji', str),
    field('icon_url', str),
    field('image_url', str),
    field('thumb_url', str),
    field('link_names', bool, false),
    field('mrkdwn_in', list(str)),
    field('actions', list(slackAction)),
  ],
  {
    defaults: () => ({
      send_resolved: false,
      color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}',
      username: t('slack.default.username'),
      title: t('slack.default.title'),
      title_link: t('slack.default.titlelink'),
      icon_emoji: t('slack.default.iconemoji'),
      icon_url: t('slack.default.iconurl'),
      pretext: t('slack.default.pretext'),
      text: t('slack.default.text'),
      fallback: t('slack.default.fallback'),
      callback_id: t('slack.default.callbackid'),
      footer: t('slack.default.footer'),
      short_fields: false,
      link_names: false,
    }),
    validate: (c) => required([!!c.api_url && !!c.api_url_file, 'at most one of api_url & api_url_file must be configured']),
  },
);

const OPSGENIE_TYPES = /^(team|teams|user|escalation|schedule)$/;

const opsgenieResponder = object<{ id?: string; name?: string; username?: string; type?: string }>('config.OpsGenieConfigResponder', [
  field('id', str),
  field('name', str),
  field('username', str),
  field('type', str),
]);

export const opsgenieCodec = object<IntegrationConfig>(
  'config.OpsGenieConfig',
  [
    sendResolved,
    httpConfig,
    field('api_key', secret),
    field('api_key_file', str),
    field('api_url', httpUrl),
    field('message', str),
    field('description', str),
    field('source', str),
    field('details', dict(str)),
    field('entity', str),
    field('responders', list(opsgenieResponder)),
    field('actions', str),
    field('tags', str),
    field('note', str),
    field('priority', str),
    field('update_alerts', bool),
  ],
  {
    defaults: () => ({ send_resolved: true, message: t('opsgenie.default.message'), description: t('opsgenie.default.description'), source: t('opsgenie.default.source') }),
    validate: (c) => {
      if (c.api_key && c.api_key_file) return 'at most one of api_key & api_key_file must be configured';
      for (const r of (c.responders ?? []) as { id?: string; name?: string; username?: string; type?: string }[]) {
        if (!r.id && !r.username && !r.name) return `opsGenieConfig responder ${JSON.stringify(r)} has to have at least one of id, username or name specified`;
        if ((r.type ?? '').includes('{{')) continue;
        r.type = (r.type ?? '').toLowerCase();
        if (!OPSGENIE_TYPES.test(r.type)) return `opsGenieConfig responder ${JSON.stringify(r)} type does not match valid options ${OPSGENIE_TYPES.source}`;
      }
      return undefined;
    },
  },
);

export const wechatCodec = object<IntegrationConfig>(
  'config.WechatConfig',
  [
    sendResolved,
    httpConfig,
    field('api_secret', secret),
    field('corp_id', str),
    field('message', str),
    field('api_url', httpUrl),
    field('to_user', str),
    field('to_party', str),
    field('to_tag', str),
    field('agent_id', str),
    field('message_type', str),
  ],
  {
    defaults: () => ({
      send_resolved: false,
      message: t('wechat.default.message'),
      to_user: t('wechat.default.to_user'),
      to_party: t('wechat.default.to_party'),
      to_tag: t('wechat.default.to_tag'),
      agent_id: t('wechat.default.agent_id'),
    }),
    validate: (c) => {
      if (!c.message_type) c.message_type = 'text';
      if (!/^(text|markdown)$/.test(String(c.message_type))) return `weChat message type ${JSON.stringify(c.message_type)} does not match valid options ^(text|markdown)$`;
      return undefined;
    },
  },
);

export const pushoverCodec = object<IntegrationConfig>(
  'config.PushoverConfig',
  [
    sendResolved,
    httpConfig,
    field('user_key', secret),
    field('token', secret),
    field('title', str),
    field('message', str),
    field('url', str),
    field('url_title', str),
    field('sound', str),
    field('priority', str),
    field('retry', goDuration),
    field('expire', goDuration),
    field('html', bool, false),
  ],
  {
    defaults: () => ({
      send_resolved: true,
      title: t('pushover.default.title'),
      message: t('pushover.default.message'),
      url: t('pushover.default.url'),
      priority: '{{ if eq .Status "firing" }}2{{ else }}0{{ end }}',
      retry: 60_000,
      expire: 3600_000,
      html: false,
    }),
    validate: (c) => required([!c.user_key, 'missing user key in Pushover config'], [!c.token, 'missing token in Pushover config']),
  },
);

const VICTOROPS_RESERVED = ['routing_key', 'message_type', 'state_message', 'entity_display_name', 'monitoring_tool', 'entity_id', 'entity_state'];

export const victoropsCodec = object<IntegrationConfig>(
  'config.VictorOpsConfig',
  [
    sendResolved,
    httpConfig,
    field('api_key', secret),
    field('api_key_file', str),
    field('api_url', httpUrl, false),
    field('routing_key', str, false),
    field('message_type', str, false),
    field('state_message', str, false),
    field('entity_display_name', str, false),
    field('monitoring_tool', str, false),
    field('custom_fields', dict(str)),
  ],
  {
    defaults: () => ({
      send_resolved: true,
      message_type: 'CRITICAL',
      state_message: t('victorops.default.state_message'),
      entity_display_name: t('victorops.default.entity_display_name'),
      monitoring_tool: t('victorops.default.monitoring_tool'),
    }),
    validate: (c) => {
      if (!c.routing_key) return 'missing Routing key in VictorOps config';
      if (c.api_key && c.api_key_file) return 'at most one of api_key & api_key_file must be configured';
      const custom = (c.custom_fields ?? {}) as Record<string, string>;
      for (const k of VICTOROPS_RESERVED) {
        if (k in custom) return `victorOps config contains custom field ${k} which cannot be used as it conflicts with the fixed/static fields`;
      }
      return undefined;
    },
  },
);

const sigv4Codec = object('sigv4.SigV4Config', [field('region', str), field('access_key', str), field('secret_key', secret), field('profile', str), field('role_arn', str)]);

export const snsCodec = object<IntegrationConfig>(
  'config.SNSConfig',
  [
    sendResolved,
    httpConfig,
    field('api_url', str),
    field('sigv4', sigv4Codec, false),
    field('topic_arn', str),
    field('phone_number', str),
    field('target_arn', str),
    field('subject', str),
    field('message', str),
    field('attributes', dict(str)),
  ],
  {
    defaults: () => ({ send_resolved: true, subject: t('sns.default.subject'), message: t('sns.default.message'), sigv4: {} }),
    // Alertmanager 0.25's own (odd) exclusivity test, kept as is: one or all three targets pass.
    validate: (c) =>
      required([(!c.target_arn !== !c.topic_arn) !== !c.phone_number, 'must provide either a Target ARN, Topic ARN, or Phone Number for SNS config']),
  },
);

export const webexCodec = object<IntegrationConfig>('config.WebexConfig', [sendResolved, httpConfig, field('api_url', httpUrl), field('message', str), field('room_id', str, false)], {
  defaults: () => ({ send_resolved: true, message: t('webex.default.message') }),
  validate: (c) => required([!c.room_id, 'missing room_id on webex_config'], [!c.http_config?.authorization, 'missing webex_configs.http_config.authorization']),
});

