import { LimitError, NotFoundError, PanoptesError, UnauthorizedError, ValidationError } from '@panoptes/common';
import { PromApiError, toPromApiError } from './respond';
import { PROM_API_ROUTES, dispatchPromApi, matchPromApiRoute } from './routes';
import { buildInfo, statusConfig } from './status';
import { form, labels, query, testContext } from './testing/fakes';
import { defaultPromApiConfig } from './types';

describe('route table', () => {
  it.each<[string, string, string, string]>([
    ['instant queries by POST', 'POST', '/api/v1/query', '/api/v1/query'],
    ['instant queries by GET', 'GET', '/api/v1/query', '/api/v1/query'],
    ['range queries', 'POST', '/api/v1/query_range', '/api/v1/query_range'],
    ['label values with a path parameter', 'GET', '/api/v1/label/job/values', '/api/v1/label/:name/values'],
    ['cardinality by POST', 'POST', '/api/v1/cardinality/label_values', '/api/v1/cardinality/label_values'],
    ['lowercase methods', 'get', '/api/v1/status/buildinfo', '/api/v1/status/buildinfo'],
  ])('routes %s', (_name, method, path, pattern) => {
    const match = matchPromApiRoute(method, path);
    expect(match.kind === 'found' && match.route.path).toBe(pattern);
  });

  it('decodes path parameters', () => {
    expect(matchPromApiRoute('GET', '/api/v1/label/U__http_2e_method/values')).toMatchObject({ pathParams: { name: 'U__http_2e_method' } });
    expect(matchPromApiRoute('GET', '/api/v1/label/a%2Fb/values')).toMatchObject({ pathParams: { name: 'a/b' } });
  });

  it('has one entry per method and path', () => {
    const keys = PROM_API_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('dispatchPromApi, called the way Grafana calls', () => {
  it('runs the health check query posted as a form', async () => {
    const ctx = testContext();
    ctx.engine.result = { value: { resultType: 'scalar', t: 4000, v: 2 }, warnings: [], infos: [], stats: { peakSamples: 0, totalSamples: 0 } };
    const res = await dispatchPromApi('POST', '/api/v1/query', form({ query: '1+1', time: '4' }), ctx);
    expect(res.body).toBe('{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}');
  });

  it('answers label values of a U__-escaped name from the path', async () => {
    const ctx = testContext();
    ctx.queryable.add('t1', labels({ __name__: 'x', 'http.method': 'GET' }));
    const res = await dispatchPromApi('GET', '/api/v1/label/U__http_2e_method/values', query('start=1&end=2'), ctx);
    expect(res.body).toBe('{"status":"success","data":["GET"]}');
  });

  it('answers 405 with Allow to a POST on a GET-only route, so Grafana retries with GET', async () => {
    const res = await dispatchPromApi('POST', '/api/v1/label/job/values', form({}), testContext());
    expect([res.status, res.headers.Allow, res.body]).toEqual([405, 'GET', 'Method Not Allowed\n']);
  });

  it('answers 404 to an unknown path', async () => {
    const res = await dispatchPromApi('GET', '/api/v1/targets', query(''), testContext());
    expect([res.status, res.body]).toEqual([404, '404 page not found\n']);
  });

  it('answers 404 on status/flags, so Grafana does not take the backend for Thanos', async () => {
    const res = await dispatchPromApi('GET', '/api/v1/status/flags', query(''), testContext());
    expect(res.status).toBe(404);
  });
});

describe('status', () => {
  it('reports buildinfo with Mimir features, which makes Grafana detect a Mimir ruler', async () => {
    const res = await buildInfo(query(''), testContext({ config: { ...defaultPromApiConfig(), version: '2.16.0', revision: 'abc' } }));
    expect(res.body).toBe(
      '{"status":"success","data":{"application":"Grafana Mimir","version":"2.16.0","revision":"abc","branch":"","goVersion":"",' +
        '"features":{"ruler_config_api":"true","alertmanager_config_api":"true","query_sharding":"false","federated_rules":"false"}}}',
    );
  });

  it('serves the configured YAML at status/config', async () => {
    const res = await statusConfig(query(''), testContext({ config: { ...defaultPromApiConfig(), configYaml: 'target: all\n' } }));
    expect(JSON.parse(res.body)).toEqual({ status: 'success', data: { yaml: 'target: all\n' } });
  });
});

describe('toPromApiError', () => {
  it.each<[string, unknown, string, number]>([
    ['a validation error', new ValidationError('x', 'bad'), 'bad_data', 400],
    ['an unauthorized error keeps 401', new UnauthorizedError('x', 'no tenant'), 'bad_data', 401],
    ['a not-found error', new NotFoundError('x', 'gone'), 'not_found', 404],
    ['a limit', new LimitError('x', 'too many'), 'execution', 422],
    ['an internal typed error', new PanoptesError('internal', 'x', 'broken'), 'internal', 500],
    ['an abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'canceled', 499],
    ['a thrown string', 'boom', 'internal', 500],
    ['an API error stays as it is', new PromApiError('not_acceptable', 'no codec'), 'not_acceptable', 406],
  ])('maps %s', (_name, err, errorType, status) => {
    expect(toPromApiError(err)).toMatchObject({ errorType, status });
  });
});
