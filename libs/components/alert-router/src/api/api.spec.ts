import { TenantHarness } from '../testing/harness';
import { type AmApiResponse, defaultVersionInfo } from './http';
import { dispatchAlertmanagerApi } from './routes';

const CONFIG = `
route:
  receiver: hook
  group_by: [alertname]
  routes:
    - matchers: [team="a"]
      receiver: team-a
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
receivers:
  - name: hook
    webhook_configs: [{url: 'http://hook.example/'}]
  - name: team-a
`;

let h: TenantHarness;

beforeEach(() => {
  h = new TenantHarness(CONFIG);
});

afterEach(async () => {
  await h.stop();
});

function call(method: string, path: string, body?: unknown, query = ''): Promise<AmApiResponse> {
  return Promise.resolve(
    dispatchAlertmanagerApi(
      { method, path, query: new URLSearchParams(query), body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) },
      { tenant: h.tenant, now: h.clock.now(), metrics: h.metrics, versionInfo: defaultVersionInfo() },
    ),
  );
}

const json = (r: AmApiResponse): unknown => JSON.parse(r.body);
const FUTURE = '2024-01-01T13:00:00Z';

describe('POST /api/v2/alerts', () => {
  it.each([
    ['valid alerts', [{ labels: { alertname: 'A' } }], 200, ''],
    ['an empty label set', [{ labels: {} }], 400, '"at least one label pair required"\n'],
    ['missing labels (schema)', [{ annotations: {} }], 422, '{"code":602,"message":"0.labels in body is required"}'],
    ['an invalid label name', [{ labels: { 'a-b': 'x' } }], 400, '"invalid label set: invalid name \\"a-b\\""\n'],
    ['a bad time (schema)', [{ labels: { a: 'b' }, startsAt: 'soon' }], 422, '{"code":601,"message":"0.startsAt in body must be of type date-time: \\"soon\\""}'],
    ['an end before the start', [{ labels: { a: 'b' }, startsAt: '2030-01-01T00:00:00Z', endsAt: '2029-01-01T00:00:00Z' }], 400, '"start time must be before end time"\n'],
  ])('%s gets Alertmanager 0.25’s status and body', async (_name, body, status, expected) => {
    const r = await call('POST', '/api/v2/alerts', body);
    expect({ status: r.status, body: r.body }).toEqual({ status, body: expected });
  });

  it('answers 400 with go-openapi’s message for a body that is not JSON', async () => {
    const r = await call('POST', '/api/v2/alerts', 'notjson');
    expect(r.status).toBe(400);
    expect(json(r)).toMatchObject({ code: 400, message: expect.stringContaining('parsing alerts body from "" failed, because') });
  });
});

describe('GET /api/v2/alerts', () => {
  beforeEach(async () => {
    await call('POST', '/api/v2/alerts', [
      { labels: { alertname: 'A', team: 'a', severity: 'critical' }, annotations: { x: '<y>' }, generatorURL: 'http://gen/x' },
      { labels: { alertname: 'A', team: 'a', severity: 'warning' } },
      { labels: { alertname: 'B' } },
    ]);
  });

  it('lists alerts by fingerprint in Alertmanager’s shape and field order, with receivers and muting status', async () => {
    const r = await call('GET', '/api/v2/alerts');
    expect(r.status).toBe(200);
    expect(r.headers['Content-Type']).toBe('application/json');
    const alerts = json(r) as Record<string, unknown>[];
    expect(alerts.map((a) => a.fingerprint)).toEqual(['9096a31b56518752', 'cea107b8f6befe35', 'd2c2efc389db2050']);
    expect(Object.keys(alerts[1])).toEqual(['annotations', 'endsAt', 'fingerprint', 'receivers', 'startsAt', 'status', 'updatedAt', 'generatorURL', 'labels']);
    expect(alerts[1]).toEqual({
      annotations: { x: '<y>' },
      endsAt: '2024-01-01T12:05:00.000Z',
      fingerprint: 'cea107b8f6befe35',
      receivers: [{ name: 'team-a' }],
      startsAt: '2024-01-01T12:00:00.000Z',
      status: { inhibitedBy: [], silencedBy: [], state: 'active' },
      updatedAt: '2024-01-01T12:00:00.000Z',
      generatorURL: 'http://gen/x',
      labels: { alertname: 'A', severity: 'critical', team: 'a' },
    });
    expect(alerts[0].status).toEqual({ inhibitedBy: ['cea107b8f6befe35'], silencedBy: [], state: 'suppressed' });
    expect(r.body).toContain('"x":"\\u003cy\\u003e"');
  });

  it.each([
    ['filter=', 'filter=severity%3Dwarning', ['9096a31b56518752']],
    ['inhibited=false', 'inhibited=false', ['cea107b8f6befe35', 'd2c2efc389db2050']],
    ['active=false (unknown words read as false, as go-openapi does)', 'active=maybe', ['9096a31b56518752']],
    ['receiver regex, anchored', 'receiver=team', []],
    ['receiver regex', 'receiver=team-.*', ['9096a31b56518752', 'cea107b8f6befe35']],
    ['a filter with an empty value on a missing label is skipped', 'filter=nope%3D%22%22', ['9096a31b56518752', 'cea107b8f6befe35', 'd2c2efc389db2050']],
  ])('filters with %s', async (_name, query, fingerprints) => {
    const r = await call('GET', '/api/v2/alerts', undefined, query);
    expect((json(r) as { fingerprint: string }[]).map((a) => a.fingerprint)).toEqual(fingerprints);
  });

  it.each([
    ['a bad filter', 'filter=a', '"bad matcher format: a"\n'],
    ['a bad receiver regex', 'receiver=(', expect.stringContaining('"failed to parse receiver param: error parsing regexp:')],
  ])('answers 400 for %s', async (_name, query, body) => {
    const r = await call('GET', '/api/v2/alerts', undefined, query);
    expect({ status: r.status, body: r.body }).toEqual({ status: 400, body });
  });

  it('groups alerts as the dispatcher does, with the receiver of each group', async () => {
    const r = await call('GET', '/api/v2/alerts/groups');
    const groups = json(r) as { labels: Record<string, string>; receiver: { name: string }; alerts: { fingerprint: string }[] }[];
    expect(groups.map((g) => [g.labels, g.receiver.name, g.alerts.map((a) => a.fingerprint)])).toEqual([
      [{ alertname: 'A' }, 'team-a', ['cea107b8f6befe35', '9096a31b56518752']],
      [{ alertname: 'B' }, 'hook', ['d2c2efc389db2050']],
    ]);
  });
});

describe('silences API', () => {
  const silence = (over: Record<string, unknown> = {}) => ({
    matchers: [{ name: 'alertname', value: 'A', isRegex: false }],
    startsAt: '2024-01-01T12:00:00Z',
    endsAt: FUTURE,
    createdBy: 'me',
    comment: 'c',
    ...over,
  });

  it('creates, lists, gets and expires a silence', async () => {
    const created = await call('POST', '/api/v2/silences', silence());
    expect(created.status).toBe(200);
    const { silenceID } = json(created) as { silenceID: string };
    const listed = json(await call('GET', '/api/v2/silences')) as Record<string, unknown>[];
    expect(listed).toEqual([
      {
        id: silenceID,
        status: { state: 'active' },
        updatedAt: '2024-01-01T12:00:00.000Z',
        comment: 'c',
        createdBy: 'me',
        endsAt: '2024-01-01T13:00:00.000Z',
        matchers: [{ isEqual: true, isRegex: false, name: 'alertname', value: 'A' }],
        startsAt: '2024-01-01T12:00:00.000Z',
      },
    ]);
    expect(json(await call('GET', `/api/v2/silence/${silenceID}`))).toEqual(listed[0]);
    expect((await call('DELETE', `/api/v2/silence/${silenceID}`)).status).toBe(200);
    expect((json(await call('GET', `/api/v2/silence/${silenceID}`)) as { status: unknown }).status).toEqual({ state: 'expired' });
    expect((await call('DELETE', `/api/v2/silence/${silenceID}`)).status).toBe(200);
  });

  it.each([
    ['an end in the past', silence({ startsAt: '2020-01-01T00:00:00Z', endsAt: '2020-01-02T00:00:00Z' }), 400, '"Failed to create silence: end time can\'t be in the past"\n'],
    ['an end before the start', silence({ startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' }), 400, '"Failed to create silence: start time must be before end time"\n'],
    ['no matchers (schema)', silence({ matchers: [] }), 422, '{"code":612,"message":"matchers in body should have at least 1 items"}'],
    ['no comment (schema)', silence({ comment: undefined }), 422, '{"code":602,"message":"comment in body is required"}'],
    ['a bad regex', silence({ matchers: [{ name: 'a', value: '(', isRegex: true }] }), 400, expect.stringContaining('"silence invalid: invalid label matcher 0: invalid regular expression \\"(\\"')],
    ['only empty-matching matchers', silence({ matchers: [{ name: 'a', value: '', isRegex: false }] }), 400, '"silence invalid: at least one matcher must not match the empty string"\n'],
    ['an unknown ID', silence({ id: '00000000-0000-0000-0000-000000000001' }), 404, '"silence not found"\n'],
  ])('answers POST with %s like Alertmanager 0.25', async (_name, body, status, expected) => {
    const r = await call('POST', '/api/v2/silences', body);
    expect({ status: r.status, body: r.body }).toEqual({ status, body: expected });
  });

  it.each([
    ['GET a malformed ID', 'GET', '/api/v2/silence/xyz', 422, '{"code":601,"message":"silenceID in path must be of type uuid: \\"xyz\\""}'],
    ['GET an unknown ID', 'GET', '/api/v2/silence/00000000-0000-0000-0000-000000000000', 404, ''],
    ['DELETE an unknown ID', 'DELETE', '/api/v2/silence/00000000-0000-0000-0000-000000000000', 404, '"silence not found"\n'],
    ['an unknown path', 'GET', '/api/v2/nope', 404, '{"code":404,"message":"path /api/v2/nope was not found"}'],
  ])('%s gets Alertmanager 0.25’s status and body', async (_name, method, path, status, body) => {
    const r = await call(method, path);
    expect({ status: r.status, body: r.body }).toEqual({ status, body });
  });

  it('answers 405 with Allow for a method the path does not take', async () => {
    const r = await call('PUT', '/api/v2/silences');
    expect(r.status).toBe(405);
    expect(r.headers.Allow).toBe('GET,POST');
  });
});

describe('status and receivers', () => {
  it('shows the config as Alertmanager prints it, cluster disabled, and the version', async () => {
    const status = json(await call('GET', '/api/v2/status')) as { cluster: unknown; config: { original: string }; uptime: string; versionInfo: { version: string } };
    expect(status.cluster).toEqual({ peers: [], status: 'disabled' });
    expect(status.config.original).toContain('resolve_timeout: 5m');
    expect(status.uptime).toBe('2024-01-01T12:00:00.000Z');
    expect(status.versionInfo.version).toBe('0.25.0');
  });

  it('lists receivers in config order', async () => {
    expect(json(await call('GET', '/api/v2/receivers'))).toEqual([{ name: 'hook' }, { name: 'team-a' }]);
  });
});
