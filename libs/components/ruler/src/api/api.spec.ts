import { InMemoryBucket } from '@panoptes/bucket';
import { nopLogger } from '@panoptes/log';
import { RuleStore } from '../rule-store';
import type { RuleGroupStatus } from '../status';
import { MIN, groupHarness, lbls } from '../testing/harness';
import type { RulerApiContext } from './context';
import { dispatchRulerApi } from './routes';

const GROUP = `name: node
interval: 1m
rules:
  - record: job:up:sum
    expr: sum by (job) (up)
  - alert: InstanceDown
    expr: up == 0
    for: 5m
    labels:
      severity: page
    annotations:
      summary: "{{ $labels.instance }} down"
`;

function setup(groups: RuleGroupStatus[] = []) {
  const store = new RuleStore(new InMemoryBucket(), nopLogger);
  const changed: string[] = [];
  const ctx: RulerApiContext = { tenant: 't1', store, ruleGroups: () => groups, rulesChanged: (t) => changed.push(t), logger: nopLogger };
  const call = async (method: string, path: string, body?: string) => {
    const [p, qs] = path.split('?');
    const res = await dispatchRulerApi({ method, path: p, query: new URLSearchParams(qs ?? ''), body }, ctx);
    if (!res) throw new Error(`no route for ${method} ${path}`);
    return res;
  };
  return { store, ctx, changed, call };
}

const CONFIG = '/prometheus/config/v1/rules';

describe('rules configuration API', () => {
  it('stores a posted group and serves it back as YAML per group, namespace and tenant', async () => {
    const { call, changed, store } = setup();
    const post = await call('POST', `${CONFIG}/team%2Fa`, GROUP);
    expect(post).toEqual({ status: 202, headers: { 'Content-Type': 'application/json' }, body: '{"status":"success","data":null,"errorType":"","error":""}' });
    expect(changed).toEqual(['t1']);
    expect(await store.listRuleGroups('t1')).toEqual([{ namespace: 'team/a', name: 'node' }]);

    const one = await call('GET', `${CONFIG}/team%2Fa/node`);
    expect(one.status).toBe(200);
    expect(one.headers['Content-Type']).toBe('application/yaml');
    expect(one.body).toBe(
      'name: node\ninterval: 1m\nrules:\n    - record: job:up:sum\n      expr: sum by (job) (up)\n    - alert: InstanceDown\n      expr: up == 0\n      for: 5m\n      labels:\n          severity: page\n      annotations:\n          summary: "{{ $labels.instance }} down"\n',
    );
    const ns = await call('GET', `${CONFIG}/team%2Fa`);
    expect(ns.body.startsWith('team/a:\n    - name: node\n')).toBe(true);
    expect((await call('GET', CONFIG)).body).toBe(ns.body);
    // The Cortex spelling Grafana uses for data sources without a subtype.
    expect((await call('GET', '/prometheus/rules/team%2Fa/node')).body).toBe(one.body);
  });

  it('answers an empty map when the tenant or namespace has no groups, and 404 for a missing group', async () => {
    const { call } = setup();
    expect(await call('GET', CONFIG)).toMatchObject({ status: 200, body: '{}\n' });
    expect(await call('GET', `${CONFIG}/nope`)).toMatchObject({ status: 200, body: '{}\n' });
    // Grafana's probe for a working ruler API.
    expect(await call('GET', `${CONFIG}/test/test`)).toMatchObject({ status: 404, body: 'group does not exist\n' });
  });

  it.each<[string, string, string]>([
    ['bad PromQL', 'name: g\nrules:\n  - alert: A\n    expr: sum(up\n', '4:11: group "g", rule 1, "A": could not parse expression: 1:7: parse error: unclosed left parenthesis\n'],
    ['a bad template', 'name: g\nrules:\n  - alert: A\n    expr: up\n    annotations:\n      s: "{{ nope }}"\n', 'group "g", rule 1, "A": annotation "s": template: __alert_A:1: function "nope" not defined\n'],
    ['no rules', 'name: g\nrules: []\n', "invalid rules configuration: rule group 'g' has no rules\n"],
    ['an unknown field', 'name: g\nbogus: true\nrules:\n  - record: r\n    expr: up\n', '2:1: group "g": field bogus not found in type rulefmt.RuleGroup\n'],
    ['too many rules', `name: g\nrules:\n${'  - record: r\n    expr: up\n'.repeat(21)}`, 'per-user rules per rule group limit (limit: 20 actual: 21) exceeded\n'],
  ])('rejects %s with 400 and stores nothing', async (_name, body, message) => {
    const { call, store, changed } = setup();
    const res = await call('POST', `${CONFIG}/ns`, body);
    expect(res).toEqual({ status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }, body: message });
    expect(await store.listRuleGroups('t1')).toEqual([]);
    expect(changed).toEqual([]);
  });

  it('limits the groups of a tenant, counting a replaced group once', async () => {
    const { call, ctx } = setup();
    ctx.limits = { maxRulesPerRuleGroup: 0, maxRuleGroupsPerTenant: 2 };
    const g = (name: string) => `name: ${name}\nrules:\n  - record: r\n    expr: up\n`;
    expect((await call('POST', `${CONFIG}/a`, g('one'))).status).toBe(202);
    expect((await call('POST', `${CONFIG}/b`, g('two'))).status).toBe(202);
    expect((await call('POST', `${CONFIG}/b`, g('two'))).status).toBe(202);
    expect(await call('POST', `${CONFIG}/b`, g('three'))).toMatchObject({ status: 400, body: 'per-user rule groups limit (limit: 2 actual: 3) exceeded\n' });
  });

  it('deletes groups and namespaces, 404 when they do not exist', async () => {
    const { call, store } = setup();
    await call('POST', `${CONFIG}/a`, GROUP);
    await call('POST', `${CONFIG}/a`, GROUP.replace('name: node', 'name: other'));
    await call('POST', `${CONFIG}/b`, GROUP);
    expect((await call('DELETE', `${CONFIG}/a/node`)).status).toBe(202);
    expect(await call('DELETE', `${CONFIG}/a/node`)).toMatchObject({ status: 404, body: 'group does not exist\n' });
    expect((await call('DELETE', `${CONFIG}/a`)).status).toBe(202);
    expect(await call('DELETE', `${CONFIG}/a`)).toMatchObject({ status: 404, body: 'group namespace does not exist\n' });
    expect(await store.listRuleGroups('t1')).toEqual([{ namespace: 'b', name: 'node' }]);
  });

  it('answers 405 for a known path with another method, and leaves other paths alone', async () => {
    const { ctx } = setup();
    expect(await dispatchRulerApi({ method: 'PUT', path: `${CONFIG}/a`, query: new URLSearchParams() }, ctx)).toMatchObject({ status: 405, headers: { Allow: 'GET, POST, DELETE' } });
    expect(await dispatchRulerApi({ method: 'GET', path: '/prometheus/api/v1/query', query: new URLSearchParams() }, ctx)).toBeUndefined();
  });
});

const FIXTURE: RuleGroupStatus[] = [
  {
    namespace: 'ns2',
    name: 'b',
    intervalMs: 30_000,
    limit: 0,
    lastEvaluationMs: undefined,
    evaluationDurationMs: 0,
    rules: [
      { type: 'recording', name: 'r', query: 'sum(up)', labels: [], health: 'unknown', lastError: '', lastEvaluationMs: undefined, evaluationDurationMs: 0, forMs: 0, keepFiringForMs: 0, annotations: [], state: undefined, alerts: [] },
    ],
  },
  {
    namespace: 'ns1',
    name: 'a',
    intervalMs: 60_000,
    limit: 0,
    lastEvaluationMs: 1_700_000_000_123,
    evaluationDurationMs: 1.5,
    rules: [
      {
        type: 'alerting',
        name: 'HighLoad',
        query: 'load > 1',
        labels: lbls({ severity: 'page' }),
        health: 'ok',
        lastError: '',
        lastEvaluationMs: 1_700_000_000_123,
        evaluationDurationMs: 1.25,
        forMs: 300_000,
        keepFiringForMs: 0,
        annotations: lbls({ summary: 'load <high>' }),
        state: 'firing',
        alerts: [
          { labels: lbls({ alertname: 'HighLoad', severity: 'page' }), annotations: lbls({ summary: 'load <high>' }), state: 'firing', activeAtMs: 1_699_999_000_000, keepFiringSinceMs: undefined, value: 2.5 },
        ],
      },
      { type: 'recording', name: 'x', query: 'vector(1)', labels: [], health: 'err', lastError: 'boom', lastEvaluationMs: 1_700_000_000_123, evaluationDurationMs: 0, forMs: 0, keepFiringForMs: 0, annotations: [], state: undefined, alerts: [] },
    ],
  },
];

describe('rules and alerts state API', () => {
  it("answers Mimir's JSON for /api/v1/rules, groups sorted by namespace", async () => {
    const { call } = setup(FIXTURE);
    const res = await call('GET', '/prometheus/api/v1/rules');
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      '{"status":"success","data":{"groups":[' +
        '{"name":"a","file":"ns1","rules":[' +
        '{"state":"firing","name":"HighLoad","query":"load \\u003e 1","duration":300,"keepFiringFor":0,"labels":{"severity":"page"},"annotations":{"summary":"load \\u003chigh\\u003e"},' +
        '"alerts":[{"labels":{"alertname":"HighLoad","severity":"page"},"annotations":{"summary":"load \\u003chigh\\u003e"},"state":"firing","activeAt":"2023-11-14T21:56:40Z","value":"2.5e+00"}],' +
        '"health":"ok","lastError":"","type":"alerting","lastEvaluation":"2023-11-14T22:13:20.123Z","evaluationTime":0.00125},' +
        '{"name":"x","query":"vector(1)","labels":{},"health":"err","lastError":"boom","type":"recording","lastEvaluation":"2023-11-14T22:13:20.123Z","evaluationTime":0}' +
        '],"interval":60,"lastEvaluation":"2023-11-14T22:13:20.123Z","evaluationTime":0.0015,"sourceTenants":null},' +
        '{"name":"b","file":"ns2","rules":[{"name":"r","query":"sum(up)","labels":{},"health":"unknown","lastError":"","type":"recording","lastEvaluation":"0001-01-01T00:00:00Z","evaluationTime":0}],' +
        '"interval":30,"lastEvaluation":"0001-01-01T00:00:00Z","evaluationTime":0,"sourceTenants":null}' +
        ']},"errorType":"","error":""}',
    );
  });

  const names = async (query: string): Promise<string[]> => {
    const { call } = setup(FIXTURE);
    const body = JSON.parse((await call('GET', `/prometheus/api/v1/rules?${query}`)).body);
    return body.data.groups.flatMap((g: { file: string; name: string; rules: { name: string }[] }) => g.rules.map((r) => `${g.file}/${g.name}/${r.name}`));
  };

  it.each<[string, string, string[]]>([
    ['type=alert', 'type=alert', ['ns1/a/HighLoad']],
    ['type=record', 'type=record', ['ns1/a/x', 'ns2/b/r']],
    ['rule_name[]', 'rule_name[]=r&rule_name[]=HighLoad', ['ns1/a/HighLoad', 'ns2/b/r']],
    ['rule_name without brackets', 'rule_name=x', ['ns1/a/x']],
    ['rule_group[]', 'rule_group[]=b', ['ns2/b/r']],
    ['file[]', 'file[]=ns1', ['ns1/a/HighLoad', 'ns1/a/x']],
    ['filters combined', 'file=ns1&type=record', ['ns1/a/x']],
  ])('filters by %s', async (_name, query, want) => {
    expect(await names(query)).toEqual(want);
  });

  it('rejects an unknown type', async () => {
    const { call } = setup(FIXTURE);
    expect(await call('GET', '/prometheus/api/v1/rules?type=foo')).toMatchObject({ status: 400, body: '{"status":"error","data":null,"errorType":"bad_data","error":"not supported value \\"foo\\""}' });
  });

  it('leaves alerts out with exclude_alerts', async () => {
    const { call } = setup(FIXTURE);
    const body = JSON.parse((await call('GET', '/prometheus/api/v1/rules?exclude_alerts=true&type=alert')).body);
    expect(body.data.groups[0].rules[0].alerts).toBeNull();
  });

  it('pages through groups with group_limit and group_next_token', async () => {
    const { call } = setup(FIXTURE);
    const first = JSON.parse((await call('GET', '/prometheus/api/v1/rules?group_limit=1')).body);
    expect(first.data.groups.map((g: { name: string }) => g.name)).toEqual(['a']);
    expect(first.data.groupNextToken).toMatch(/^[0-9a-f]{40}$/);
    const second = JSON.parse((await call('GET', `/prometheus/api/v1/rules?group_limit=1&group_next_token=${first.data.groupNextToken}`)).body);
    expect(second.data.groups.map((g: { name: string }) => g.name)).toEqual(['b']);
    expect(second.data.groupNextToken).toBeUndefined();
    expect((await call('GET', '/prometheus/api/v1/rules?group_limit=0')).status).toBe(400);
    expect((await call('GET', '/prometheus/api/v1/rules?group_limit=1&group_next_token=zzz')).status).toBe(400);
  });

  it('lists active alerts at /api/v1/alerts', async () => {
    const { call } = setup(FIXTURE);
    expect((await call('GET', '/prometheus/api/v1/alerts')).body).toBe(
      '{"status":"success","data":{"alerts":[{"labels":{"alertname":"HighLoad","severity":"page"},"annotations":{"summary":"load \\u003chigh\\u003e"},"state":"firing","activeAt":"2023-11-14T21:56:40Z","value":"2.5e+00"}]},"errorType":"","error":""}',
    );
  });

  it('shows the live state of evaluated groups', async () => {
    const h = groupHarness('name: g\ninterval: 1m\nrules:\n  - alert: Always\n    expr: vector(1)\n    for: 1m\n    keep_firing_for: 10m\n');
    const ctx = { tenant: 't1', store: new RuleStore(new InMemoryBucket(), nopLogger), ruleGroups: () => [h.group.status()] };
    expect(JSON.parse((await dispatchRulerApi({ method: 'GET', path: '/prometheus/api/v1/rules', query: new URLSearchParams() }, ctx))!.body).data.groups[0].rules[0].state).toBe('unknown');
    await h.group.evaluate(MIN);
    const res = await dispatchRulerApi({ method: 'GET', path: '/prometheus/api/v1/alerts', query: new URLSearchParams() }, ctx);
    expect(JSON.parse(res!.body).data.alerts).toEqual([{ labels: { alertname: 'Always' }, annotations: {}, state: 'pending', activeAt: '1970-01-01T00:01:00Z', value: '1e+00' }]);
  });
});
