import { type Matcher, compareMatchers, parseMatchers } from '../matchers';
import { type HttpConfig, httpConfigCodec, httpUrl, secretUrl, defaultHttpConfig } from './http-config';
import { type ReceiverConfig, receiverCodec } from './receivers';
import { compileAnchored } from './regex';
import { type NamedTimeInterval, muteTimeIntervalCodec, timeIntervalsCodec } from './time-intervals';
import { formatModelDuration, isValidLabelName, parseHostPort, parseModelDuration } from './values';
import { type Codec, bool, dict, field, isNull, lazy, list, object, parsed, secret, str } from './yaml-decode';

/** The parts of Alertmanager's configuration file, keyed and ordered as its Go structs. */
export interface GlobalConfig {
  /** Milliseconds after which an alert without `endsAt` counts as resolved if not updated. */
  resolve_timeout: number;
  http_config: HttpConfig;
  smtp_from?: string;
  smtp_hello: string;
  smtp_smarthost?: string;
  smtp_auth_username?: string;
  smtp_auth_password?: string;
  smtp_auth_password_file?: string;
  smtp_auth_secret?: string;
  smtp_auth_identity?: string;
  smtp_require_tls: boolean;
  slack_api_url?: string;
  slack_api_url_file?: string;
  pagerduty_url?: string;
  opsgenie_api_url?: string;
  opsgenie_api_key?: string;
  opsgenie_api_key_file?: string;
  wechat_api_url?: string;
  wechat_api_secret?: string;
  wechat_api_corp_id?: string;
  victorops_api_url?: string;
  victorops_api_key?: string;
  victorops_api_key_file?: string;
  telegram_api_url?: string;
  webex_api_url?: string;
}

export interface RouteConfig {
  receiver?: string;
  /** As written, `...` included. */
  group_by?: string[];
  match?: Record<string, string>;
  /** Regexes as written (unanchored). */
  match_re?: Record<string, string>;
  /** Parsed and sorted, as Alertmanager keeps them. */
  matchers?: Matcher[];
  mute_time_intervals?: string[];
  active_time_intervals?: string[];
  continue: boolean;
  routes?: RouteConfig[];
  group_wait?: number;
  group_interval?: number;
  repeat_interval?: number;
}

export interface InhibitRuleConfig {
  source_match?: Record<string, string>;
  source_match_re?: Record<string, string>;
  source_matchers?: Matcher[];
  target_match?: Record<string, string>;
  target_match_re?: Record<string, string>;
  target_matchers?: Matcher[];
  equal?: string[];
}

export interface RawConfig {
  global?: GlobalConfig;
  route?: RouteConfig;
  inhibit_rules?: InhibitRuleConfig[];
  receivers?: ReceiverConfig[];
  templates?: string[];
  mute_time_intervals?: NamedTimeInterval[];
  time_intervals?: NamedTimeInterval[];
}

export function defaultGlobalConfig(): GlobalConfig {
  return {
    resolve_timeout: 5 * 60_000,
    http_config: defaultHttpConfig(),
    smtp_hello: 'localhost',
    smtp_require_tls: true,
    pagerduty_url: 'https://events.pagerduty.com/v2/enqueue',
    opsgenie_api_url: 'https://api.opsgenie.com/',
    wechat_api_url: 'https://qyapi.weixin.qq.com/cgi-bin/',
    victorops_api_url: 'https://alert.victorops.com/integrations/generic/20131114/alert/',
    telegram_api_url: 'https://api.telegram.org',
    webex_api_url: 'https://webexapis.com/v1/messages',
  };
}

const duration = parsed('model.Duration', parseModelDuration, formatModelDuration);
const hostPort = parsed('config.HostPort', parseHostPort, (v) => v, (v) => !v);

/** `matchers: ["a=b", "c=~d"]`: each line may hold several matchers; all sorted. */
const matcherLines: Codec<Matcher[]> = {
  goType: 'config.Matchers',
  encode: (ms) => ms.map((m) => m.toString()),
  isEmpty: (ms) => !ms || ms.length === 0,
  decode(node, at) {
    const lines = list(str).decode(node, at);
    if (!lines) return undefined;
    const out: Matcher[] = [];
    for (const line of lines) {
      try {
        out.push(...parseMatchers(line));
      } catch (err) {
        return at.fail((err as Error).message, node);
      }
    }
    return out.sort(compareMatchers);
  },
};

/** `match: {label: value}` (deprecated form): label names checked. */
const matchMap: Codec<Record<string, string>> = {
  ...dict(str),
  decode(node, at) {
    const m = dict(str).decode(node, at);
    if (!m) return undefined;
    for (const k of Object.keys(m)) if (!isValidLabelName(k)) return at.fail(`invalid label name ${JSON.stringify(k)}`, node);
    return m;
  },
};

/** `match_re: {label: regex}` (deprecated form): names checked, regexes compiled anchored. */
const matchReMap: Codec<Record<string, string>> = {
  ...dict(str),
  goType: 'config.MatchRegexps',
  decode(node, at) {
    const m = dict(str).decode(node, at);
    if (!m) return undefined;
    for (const [k, v] of Object.entries(m)) {
      if (!isValidLabelName(k)) return at.fail(`invalid label name ${JSON.stringify(k)}`, node);
      if (v === '' && isNull(at.resolve(findValue(node, k)))) return at.fail(`invalid regexp value for ${JSON.stringify(k)}`, node);
      try {
        compileAnchored(v);
      } catch (err) {
        return at.fail((err as Error).message, node);
      }
    }
    return m;
  },
};

function findValue(node: unknown, key: string): unknown {
  const items = (node as { items?: { key: { value?: unknown }; value: unknown }[] }).items ?? [];
  return items.find((p) => String(p.key?.value) === key)?.value ?? null;
}

function validateRoute(r: RouteConfig): string | undefined {
  const seen = new Set<string>();
  let all = false;
  for (const l of r.group_by ?? []) {
    if (l === '...') {
      all = true;
      continue;
    }
    if (!isValidLabelName(l)) return `invalid label name ${JSON.stringify(l)} in group_by list`;
  }
  const named = (r.group_by ?? []).filter((l) => l !== '...');
  if (all && named.length > 0) return 'cannot have wildcard group_by (`...`) and other other labels at the same time';
  for (const l of named) {
    if (seen.has(l)) return `duplicated label ${JSON.stringify(l)} in group_by`;
    seen.add(l);
  }
  if (r.group_interval === 0) return 'group_interval cannot be zero';
  if (r.repeat_interval === 0) return 'repeat_interval cannot be zero';
  return undefined;
}

export const routeCodec: Codec<RouteConfig> = object<RouteConfig>(
  'config.Route',
  [
    field('receiver', str),
    field('group_by', list(str)),
    field('match', matchMap),
    field('match_re', matchReMap),
    field('matchers', matcherLines),
    field('mute_time_intervals', list(str)),
    field('active_time_intervals', list(str)),
    field('continue', bool, false),
    field('routes', list(lazy(() => routeCodec, 'config.Route'))),
    field('group_wait', duration),
    field('group_interval', duration),
    field('repeat_interval', duration),
  ],
  { defaults: () => ({ continue: false }), validate: validateRoute },
);

const equalList: Codec<string[]> = {
  ...list(str),
  decode(node, at) {
    const l = list(str).decode(node, at);
    if (!l) return undefined;
    for (const n of l) if (!isValidLabelName(n)) return at.fail(`${JSON.stringify(n)} is not a valid label name`, node);
    return l;
  },
};

export const inhibitRuleCodec = object<InhibitRuleConfig>('config.InhibitRule', [
  field('source_match', matchMap),
  field('source_match_re', matchReMap),
  field('source_matchers', matcherLines),
  field('target_match', matchMap),
  field('target_match_re', matchReMap),
  field('target_matchers', matcherLines),
  field('equal', equalList),
]);

export const globalCodec = object<GlobalConfig>(
  'config.GlobalConfig',
  [
    field('resolve_timeout', duration, false),
    field('http_config', httpConfigCodec),
    field('smtp_from', str),
    field('smtp_hello', str),
    field('smtp_smarthost', hostPort),
    field('smtp_auth_username', str),
    field('smtp_auth_password', secret),
    field('smtp_auth_password_file', str),
    field('smtp_auth_secret', secret),
    field('smtp_auth_identity', str),
    field('smtp_require_tls', bool, false),
    field('slack_api_url', secretUrl),
    field('slack_api_url_file', str),
    field('pagerduty_url', httpUrl),
    field('opsgenie_api_url', httpUrl),
    field('opsgenie_api_key', secret),
    field('opsgenie_api_key_file', str),
    field('wechat_api_url', httpUrl),
    field('wechat_api_secret', secret),
    field('wechat_api_corp_id', str),
    field('victorops_api_url', httpUrl),
    field('victorops_api_key', secret),
    field('victorops_api_key_file', str),
    field('telegram_api_url', httpUrl),
    field('webex_api_url', httpUrl),
  ],
  { defaults: defaultGlobalConfig },
);

/** The whole file. Cross-references (receivers, time intervals) are checked by the loader. */
export const rawConfigCodec = object<RawConfig>('config.plain', [
  field('global', globalCodec),
  field('route', routeCodec),
  field('inhibit_rules', list(inhibitRuleCodec)),
  field('receivers', list(receiverCodec)),
  field('templates', list(str), false),
  field('mute_time_intervals', list(muteTimeIntervalCodec)),
  field('time_intervals', list(timeIntervalsCodec)),
]);
