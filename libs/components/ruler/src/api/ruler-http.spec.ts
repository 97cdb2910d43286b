import { InMemoryBucket } from '@panoptes/bucket';
import { nopLogger } from '@panoptes/log';
import { RuleStore } from '../rule-store';
import type { RuleGroupStatus } from '../status';
import { lbls } from '../testing/harness';
import { RULER_RULE_GROUPS_PATH, RulerHttpApi, decodeRuleGroupStatuses, encodeRuleGroupStatuses } from './ruler-http';

const group = (namespace: string, name: string, value = 1): RuleGroupStatus => ({
  namespace,
  name,
  intervalMs: 60_000,
  limit: 0,
  lastEvaluationMs: undefined,
  evaluationDurationMs: 0,
  rules: [
    {
      type: 'alerting',
      name: `${name}-alert`,
      query: 'up == 0',
      labels: [],
      health: 'ok',
      lastError: '',
      lastEvaluationMs: 1_000,
      evaluationDurationMs: 1,
      forMs: 0,
      keepFiringForMs: 0,
      annotations: [],
      state: 'firing',
      alerts: [{ labels: lbls({ alertname: `${name}-alert` }), annotations: [], state: 'firing', activeAtMs: 0, keepFiringSinceMs: undefined, value }],
    },
  ],
});

const req = (method: string, path: string, body?: string) => ({ method, path, query: new URLSearchParams(), body });

/** Rulers whose HTTP calls to each other are direct calls to their RulerHttpApi. */
function rulers(local: Record<string, RuleGroupStatus[]>) {
  const store = new RuleStore(new InMemoryBucket(), nopLogger);
  const apis = new Map<string, RulerHttpApi>();
  const syncs: string[] = [];
  const calls: string[] = [];
  let down = '';
  for (const [addr, groups] of Object.entries(local)) {
    const fetchFn = (async (input: string | URL, init?: RequestInit) => {
      const url = new URL(String(input));
      calls.push(`${addr}->${url.host}${url.pathname}`);
      if (url.host === down) throw new Error('connection refused');
      const out = (await apis.get(url.host)!.handle((init?.headers as Record<string, string>)['X-Scope-OrgID'], req('GET', url.pathname)))!;
      return new Response(out.body, { status: out.status, headers: out.headers });
    }) as typeof fetch;
    apis.set(
      addr,
      new RulerHttpApi(
        {
          store,
          local: { ruleGroups: (t) => (t === 't1' ? groups : []), requestSync: () => void syncs.push(addr) },
          peers: () => Object.keys(local).filter((a) => a !== addr),
          limits: () => ({ maxRulesPerRuleGroup: 1, maxRuleGroupsPerTenant: 0 }),
          peerTimeoutMs: 1_000,
          fetchFn,
        },
        nopLogger,
      ),
    );
  }
  return { apis, store, syncs, calls, setDown: (addr: string) => (down = addr) };
}

describe('RulerHttpApi', () => {
  it('gathers the rule state of every ruler in the ring for /prometheus/api/v1/rules and /alerts', async () => {
    const { apis, calls } = rulers({ 'r1:8080': [group('ns', 'a')], 'r2:8080': [group('ns', 'b', NaN)], 'r3:8080': [] });
    const res = (await apis.get('r1:8080')!.handle('t1', req('GET', '/prometheus/api/v1/rules')))!;
    const names = (JSON.parse(res.body) as { data: { groups: { name: string }[] } }).data.groups.map((g) => g.name);
    expect(names).toEqual(['a', 'b']);
    expect(calls.sort()).toEqual([`r1:8080->r2:8080${RULER_RULE_GROUPS_PATH}`, `r1:8080->r3:8080${RULER_RULE_GROUPS_PATH}`]);
    const alerts = (await apis.get('r3:8080')!.handle('t1', req('GET', '/prometheus/api/v1/alerts')))!;
    expect((JSON.parse(alerts.body) as { data: { alerts: { value: string }[] } }).data.alerts.map((a) => a.value)).toEqual(['1e+00', 'NaN']);
  });

  it('answers 500 rather than a partial list when another ruler cannot be asked', async () => {
    const { apis, setDown } = rulers({ 'r1:8080': [group('ns', 'a')], 'r2:8080': [group('ns', 'b')] });
    setDown('r2:8080');
    const res = (await apis.get('r1:8080')!.handle('t1', req('GET', '/prometheus/api/v1/rules')))!;
    expect(res.status).toBe(500);
    expect(res.body).toContain('asking ruler r2:8080 for its rule groups failed');
  });

  it.each([
    { name: 'Mimir\'s /prometheus/config/v1/rules', prefix: '/prometheus/config/v1/rules' },
    { name: 'Cortex\'s /prometheus/rules', prefix: '/prometheus/rules' },
    { name: 'the legacy /api/v1/rules (mimirtool --use-legacy-routes)', prefix: '/api/v1/rules' },
  ])('stores a group through $name, re-syncs the local manager and applies the tenant limits', async ({ prefix }) => {
    const { apis, store, syncs } = rulers({ 'r1:8080': [] });
    const api = apis.get('r1:8080')!;
    expect((await api.handle('t1', req('POST', `${prefix}/ns`, 'name: g\nrules:\n  - record: r\n    expr: up\n')))!.status).toBe(202);
    expect(syncs).toEqual(['r1:8080']);
    expect(await store.listRuleGroups('t1')).toEqual([{ namespace: 'ns', name: 'g' }]);
    expect((await api.handle('t1', req('GET', `${prefix}/ns/g`)))!.body).toContain('record: r');
    const tooMany = (await api.handle('t1', req('POST', `${prefix}/ns`, 'name: g2\nrules:\n  - record: r\n    expr: up\n  - record: s\n    expr: up\n')))!;
    expect(tooMany).toMatchObject({ status: 400, body: 'per-user rules per rule group limit (limit: 1 actual: 2) exceeded\n' });
  });

  it('leaves paths that are not the ruler\'s alone', async () => {
    const { apis } = rulers({ 'r1:8080': [] });
    expect(await apis.get('r1:8080')!.handle('t1', req('GET', '/prometheus/api/v1/query'))).toBeUndefined();
  });

  it('round-trips group states through JSON, non-finite alert values included', () => {
    const groups = [group('ns', 'a', NaN), group('ns', 'b', Infinity), group('ns', 'c', -Infinity), group('ns', 'd', 2.5)];
    expect(decodeRuleGroupStatuses(encodeRuleGroupStatuses(groups))).toEqual(groups);
  });
});
