import { ValidationError } from '@panoptes/common';
import { stringify } from 'yaml';
import { type GlobalConfig, type InhibitRuleConfig, type RawConfig, type RouteConfig, defaultGlobalConfig, rawConfigCodec } from './config-codecs';
import type { IntegrationConfig, ReceiverConfig } from './receivers';
import type { NamedTimeInterval } from './time-intervals';
import { type ConfigIssue, decodeYaml } from './yaml-decode';

/** A loaded, validated Alertmanager configuration (globals applied to every receiver). */
export interface AlertmanagerConfig {
  global: GlobalConfig;
  route: RouteConfig;
  inhibit_rules: InhibitRuleConfig[];
  receivers: ReceiverConfig[];
  /** Template file paths or globs, as written; stored, not read (Panoptes keeps templates in the tenant config). */
  templates: string[];
  mute_time_intervals: NamedTimeInterval[];
  time_intervals: NamedTimeInterval[];
  /** The YAML text it was loaded from. */
  original: string;
}

/** A config Alertmanager would reject; `issues` lists every problem with its line and path. */
export class ConfigValidationError extends ValidationError {
  constructor(readonly issues: ConfigIssue[]) {
    super('invalid_alertmanager_config', formatIssues(issues));
  }
}

function formatIssues(issues: ConfigIssue[]): string {
  const lines = issues.map((i) => `${i.line ? `line ${i.line}: ` : ''}${i.path ? `${i.path}: ` : ''}${i.message}`);
  return `invalid Alertmanager configuration: ${lines.join('; ')}`;
}

/**
 * Loads an Alertmanager configuration file the way `amtool check-config` (Alertmanager 0.25)
 * does, reporting every problem at once. Throws ConfigValidationError.
 */
export function loadConfig(text: string): AlertmanagerConfig {
  const { value, issues } = decodeYaml(text, rawConfigCodec);
  if (issues.length > 0) throw new ConfigValidationError(issues);
  const raw: RawConfig = value ?? {};
  const problems: ConfigIssue[] = [];
  const fail = (path: string, message: string): void => void problems.push({ path, message });
  if (!raw.route) {
    fail('route', value === undefined ? 'no route provided in config' : 'no routes provided');
    throw new ConfigValidationError(problems);
  }
  const global = raw.global ?? defaultGlobalConfig();
  const receivers = raw.receivers ?? [];
  checkGlobals(global, fail);
  const names = new Set<string>();
  receivers.forEach((r, i) => {
    if (names.has(r.name)) fail(`receivers[${i}].name`, `notification config name ${JSON.stringify(r.name)} is not unique`);
    names.add(r.name);
    applyGlobals(r, global, `receivers[${i}]`, fail);
  });
  const route = raw.route;
  if (route.continue) fail('route.continue', 'cannot have continue in root route');
  if (!route.receiver) fail('route.receiver', 'root route must specify a default receiver');
  if (Object.keys(route.match ?? {}).length || Object.keys(route.match_re ?? {}).length || route.matchers?.length) fail('route', 'root route must not have any matchers');
  if (route.mute_time_intervals?.length) fail('route.mute_time_intervals', 'root route must not have any mute time intervals');
  if (route.active_time_intervals?.length) fail('route.active_time_intervals', 'root route must not have any active time intervals');
  const intervals = new Set<string>();
  for (const [key, list, what] of [
    ['mute_time_intervals', raw.mute_time_intervals ?? [], 'mute time interval'],
    ['time_intervals', raw.time_intervals ?? [], 'time interval'],
  ] as const) {
    list.forEach((ti, i) => {
      if (intervals.has(ti.name)) fail(`${key}[${i}].name`, `${what === 'mute time interval' ? 'mute time interval' : 'time interval'} ${JSON.stringify(ti.name)} is not unique`);
      intervals.add(ti.name);
    });
  }
  walkRoutes(route, 'route', (r, path) => {
    if (r.receiver && !names.has(r.receiver)) fail(`${path}.receiver`, `undefined receiver ${JSON.stringify(r.receiver)} used in route`);
    for (const ti of [...(r.active_time_intervals ?? []), ...(r.mute_time_intervals ?? [])]) {
      if (!intervals.has(ti)) fail(path, `undefined time interval ${JSON.stringify(ti)} used in route`);
    }
  });
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return {
    global,
    route,
    inhibit_rules: raw.inhibit_rules ?? [],
    receivers,
    templates: raw.templates ?? [],
    mute_time_intervals: raw.mute_time_intervals ?? [],
    time_intervals: raw.time_intervals ?? [],
    original: text,
  };
}

function walkRoutes(r: RouteConfig, path: string, fn: (r: RouteConfig, path: string) => void): void {
  (r.routes ?? []).forEach((c, i) => walkRoutes(c, `${path}.routes[${i}]`, fn));
  fn(r, path);
}

function checkGlobals(g: GlobalConfig, fail: (path: string, message: string) => void): void {
  const pairs: [keyof GlobalConfig, keyof GlobalConfig][] = [
    ['slack_api_url', 'slack_api_url_file'],
    ['opsgenie_api_key', 'opsgenie_api_key_file'],
    ['victorops_api_key', 'victorops_api_key_file'],
  ];
  for (const [a, b] of pairs) if (g[a] && g[b]) fail(`global.${String(a)}`, `at most one of ${String(a)} & ${String(b)} must be configured`);
}

function withSlash(u: string): string {
  const m = /^([^?#]*)(.*)$/s.exec(u)!;
  return m[1].endsWith('/') ? u : `${m[1]}/${m[2]}`;
}

/** Alertmanager's Config.UnmarshalYAML: fills each integration from `global`, or fails when it cannot. */
function applyGlobals(r: ReceiverConfig, g: GlobalConfig, path: string, fail: (path: string, message: string) => void): void {
  const each = (key: string, fn: (c: IntegrationConfig, p: string) => void): void => {
    const list = (r[key] ?? []) as IntegrationConfig[];
    list.forEach((c, i) => {
      if (!c.http_config && key !== 'email_configs') c.http_config = g.http_config;
      fn(c, `${path}.${key}[${i}]`);
    });
  };
  each('email_configs', (c, p) => {
    if (!c.smarthost) {
      if (!g.smtp_smarthost) return fail(p, 'no global SMTP smarthost set');
      c.smarthost = g.smtp_smarthost;
    }
    if (!c.from) {
      if (!g.smtp_from) return fail(p, 'no global SMTP from set');
      c.from = g.smtp_from;
    }
    c.hello ||= g.smtp_hello;
    c.auth_username ||= g.smtp_auth_username;
    if (!c.auth_password && !c.auth_password_file) {
      c.auth_password = g.smtp_auth_password;
      c.auth_password_file = g.smtp_auth_password_file;
    }
    c.auth_secret ||= g.smtp_auth_secret;
    c.auth_identity ||= g.smtp_auth_identity;
    if (c.require_tls === undefined) c.require_tls = g.smtp_require_tls;
  });
  each('slack_configs', (c, p) => {
    if (!c.api_url && !c.api_url_file) {
      if (!g.slack_api_url && !g.slack_api_url_file) return fail(p, 'no global Slack API URL set either inline or in a file');
      c.api_url = g.slack_api_url;
      c.api_url_file = g.slack_api_url_file;
    }
  });
  each('pagerduty_configs', (c, p) => {
    if (!c.url) {
      if (!g.pagerduty_url) return fail(p, 'no global PagerDuty URL set');
      c.url = g.pagerduty_url;
    }
  });
  each('opsgenie_configs', (c, p) => {
    if (!c.api_url) {
      if (!g.opsgenie_api_url) return fail(p, 'no global OpsGenie URL set');
      c.api_url = g.opsgenie_api_url;
    }
    c.api_url = withSlash(String(c.api_url));
    if (!c.api_key && !c.api_key_file) {
      if (!g.opsgenie_api_key && !g.opsgenie_api_key_file) return fail(p, 'no global OpsGenie API Key set either inline or in a file');
      c.api_key = g.opsgenie_api_key;
      c.api_key_file = g.opsgenie_api_key_file;
    }
  });
  each('wechat_configs', (c, p) => {
    if (!c.api_url) {
      if (!g.wechat_api_url) return fail(p, 'no global Wechat URL set');
      c.api_url = g.wechat_api_url;
    }
    if (!c.api_secret) {
      if (!g.wechat_api_secret) return fail(p, 'no global Wechat ApiSecret set');
      c.api_secret = g.wechat_api_secret;
    }
    if (!c.corp_id) {
      if (!g.wechat_api_corp_id) return fail(p, 'no global Wechat CorpID set');
      c.corp_id = g.wechat_api_corp_id;
    }
    c.api_url = withSlash(String(c.api_url));
  });
  each('victorops_configs', (c, p) => {
    if (!c.api_url) {
      if (!g.victorops_api_url) return fail(p, 'no global VictorOps URL set');
      c.api_url = g.victorops_api_url;
    }
    c.api_url = withSlash(String(c.api_url));
    if (!c.api_key && !c.api_key_file) {
      if (!g.victorops_api_key && !g.victorops_api_key_file) return fail(p, 'no global VictorOps API Key set');
      c.api_key = g.victorops_api_key;
      c.api_key_file = g.victorops_api_key_file;
    }
  });
  each('telegram_configs', (c) => {
    c.api_url ||= g.telegram_api_url;
  });
  each('webex_configs', (c, p) => {
    if (!c.api_url) {
      if (!g.webex_api_url) return fail(p, 'no global Webex URL set');
      c.api_url = g.webex_api_url;
    }
  });
  for (const key of ['webhook_configs', 'pushover_configs', 'sns_configs', 'discord_configs', 'msteams_configs', 'msteamsv2_configs']) each(key, () => undefined);
}

/**
 * The configuration as Alertmanager prints it (`/api/v2/status` `config.original`, `amtool config
 * show`): every field with its defaults, in Alertmanager's field order, secrets as `<secret>`.
 */
export function configToYaml(cfg: AlertmanagerConfig): string {
  const plain = rawConfigCodec.encode({
    global: cfg.global,
    route: cfg.route,
    inhibit_rules: cfg.inhibit_rules,
    receivers: cfg.receivers,
    templates: cfg.templates,
    mute_time_intervals: cfg.mute_time_intervals,
    time_intervals: cfg.time_intervals,
  });
  return stringify(plain, { lineWidth: 0, indentSeq: false });
}
