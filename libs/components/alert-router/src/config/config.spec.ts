import { ConfigValidationError, configToYaml, loadConfig } from './config';

function issues(yaml: string): string[] {
  try {
    loadConfig(yaml);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.issues.map((i) => `${i.line ?? '-'}:${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('reports every unknown field with its line and path at once', () => {
    expect(
      issues(`route:
  receiver: r
  routes:
    - receivr: r
receivers:
  - name: r
    webhook_configs:
      - url: http://x
        sendresolved: true
`),
    ).toEqual(['4:route.routes[0].receivr: field receivr not found in type config.Route', '9:receivers[0].webhook_configs[0].sendresolved: field sendresolved not found in type config.WebhookConfig']);
  });

  it('applies Alertmanager defaults: global, send_resolved, http_config', () => {
    const cfg = loadConfig('route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{url: "http://x"}], slack_configs: [{api_url: "http://s"}]}]');
    expect(cfg.global.resolve_timeout).toBe(300_000);
    expect(cfg.receivers[0].webhook_configs).toEqual([expect.objectContaining({ send_resolved: true, max_alerts: 0, http_config: expect.objectContaining({ follow_redirects: true }) })]);
    expect(cfg.receivers[0].slack_configs).toEqual([expect.objectContaining({ send_resolved: false })]);
  });

  it('fills email settings from global smtp_* fields', () => {
    const cfg = loadConfig('global: {smtp_smarthost: "h:25", smtp_from: "a@b"}\nroute: {receiver: r}\nreceivers: [{name: r, email_configs: [{to: "c@d"}]}]');
    expect(cfg.receivers[0].email_configs).toEqual([expect.objectContaining({ smarthost: 'h:25', from: 'a@b', hello: 'localhost', require_tls: true })]);
  });

  it.each([
    ['duplicate time interval', 'time_intervals: [{name: x}, {name: x}]', 'time interval "x" is not unique'],
    ['mute and time interval with one name', 'time_intervals: [{name: x}]\nmute_time_intervals: [{name: x}]', 'time interval "x" is not unique'],
    ['bad weekday', 'time_intervals: [{name: x, time_intervals: [{weekdays: [mon]}]}]', 'mon is not a valid weekday'],
    ['bad location', 'time_intervals: [{name: x, time_intervals: [{location: Nope/Zone}]}]', 'unknown time zone Nope/Zone'],
    ['lower-case zone (Go zone names are case-sensitive)', 'time_intervals: [{name: x, time_intervals: [{location: europe/berlin}]}]', 'unknown time zone europe/berlin'],
    ['inhibit equal label', 'inhibit_rules: [{equal: ["a-b"]}]', '"a-b" is not a valid label name'],
    ['match_re with a null regex', 'inhibit_rules: [{source_match_re: {a: null}}]', 'invalid regexp value for "a"'],
  ])('rejects %s', (_name, extra, message) => {
    expect(issues(`route: {receiver: r}\nreceivers: [{name: r}]\n${extra}\n`).join('\n')).toContain(message);
  });

  it('prints a config Alertmanager can load again, with secrets hidden', () => {
    const cfg = loadConfig(`global: {slack_api_url: "https://hooks.slack.com/x"}
route:
  receiver: r
  group_wait: 1m
  routes: [{match_re: {a: "b|c"}, receiver: r, group_by: ['...']}]
receivers:
  - name: r
    webhook_configs: [{url: "http://x", http_config: {basic_auth: {username: u, password: p}}}]
    slack_configs: [{}]
`);
    const yaml = configToYaml(cfg);
    expect(yaml).toContain('password: <secret>');
    expect(yaml).toContain('api_url: <secret>');
    expect(yaml).toContain('group_wait: 1m');
    expect(yaml).not.toContain('hooks.slack.com');
    const again = loadConfig(yaml.replace(/<secret>/g, 'https://restored.example'));
    expect(again.route.routes?.[0].match_re).toEqual({ a: 'b|c' });
  });
});
