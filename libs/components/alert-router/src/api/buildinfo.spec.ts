import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { type PromApiContext, buildInfo, defaultPromApiConfig } from '@panoptes/prom-api';
import { HttpServer } from '@panoptes/server';
import { ALERT_ROUTER_HTTP_API, AlertRouterController } from '../alert-router.controller';
import type { AmApiRequest, AmApiResponse } from './http';
import { alertmanagerBuildInfo } from './buildinfo';

/** Stands in for AlertRouterHttpApi: records what reaches it, answers 200. */
class RecordingApi {
  readonly calls: { kind: string; tenant: string; path: string }[] = [];
  async handle(kind: string, tenant: string, req: AmApiRequest): Promise<AmApiResponse> {
    this.calls.push({ kind, tenant, path: req.path });
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' };
  }
}

describe('GET /alertmanager/api/v1/status/buildinfo', () => {
  let server: HttpServer;
  let base: string;
  const api = new RecordingApi();

  beforeAll(async () => {
    server = new HttpServer({ listenAddress: '127.0.0.1', listenPort: 0, maxRequestBodyBytes: 1024, gracefulShutdownTimeoutMs: 1000 }, { multitenancyEnabled: true, noAuthTenant: 'anonymous' }, nopLogger, new Registry());
    server.addControllers([AlertRouterController], [{ provide: ALERT_ROUTER_HTTP_API, useValue: api }]);
    server.setStatusSource({ ready: () => true, services: () => [], configYaml: () => '' });
    await server.start();
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers Mimir\'s build info without a tenant, so Grafana\'s Alertmanager data source detects Mimir', async () => {
    const res = await fetch(`${base}/alertmanager/api/v1/status/buildinfo`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { status: string; data: { application: string; features: Record<string, string> } };
    expect(body).toMatchObject({
      status: 'success',
      data: { application: 'Grafana Mimir', features: { ruler_config_api: 'true', alertmanager_config_api: 'true', query_sharding: 'false', federated_rules: 'false' } },
    });
    expect(api.calls).toEqual([]);
  });

  it('leaves every other /alertmanager path to the tenant\'s API', async () => {
    const res = await fetch(`${base}/alertmanager/api/v2/status`, { headers: { 'X-Scope-OrgID': 't1' } });
    expect(res.status).toBe(200);
    expect(api.calls).toEqual([{ kind: 'alertmanager', tenant: 't1', path: '/api/v2/status' }]);
  });

  it('writes the fields in Mimir\'s order, the same bytes as the query API\'s buildinfo', async () => {
    const config = { ...defaultPromApiConfig(), version: '2.16.0', revision: 'abc', branch: 'main', goVersion: 'n/a' };
    const { body } = alertmanagerBuildInfo(config);
    // The query API's handler only reads ctx.config.
    expect(body).toBe((await buildInfo(new URLSearchParams(), { config } as unknown as PromApiContext)).body);
    expect(body).toBe(
      '{"status":"success","data":{"application":"Grafana Mimir","version":"2.16.0","revision":"abc","branch":"main","goVersion":"n/a",' +
        '"features":{"ruler_config_api":"true","alertmanager_config_api":"true","query_sharding":"false","federated_rules":"false"}}}',
    );
  });
});
