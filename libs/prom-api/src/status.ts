import { quoteGo, quoteHtml } from './json';
import { textResponse } from './respond';
import { type ApiParams, type ApiResponse, type PromApiConfig, type PromApiContext, defaultPromApiConfig } from './types';

/** The status endpoints Grafana probes to decide what kind of backend it talks to. */

function configOf(ctx: PromApiContext): PromApiConfig {
  return ctx.config ?? defaultPromApiConfig();
}

/**
 * `GET /api/v1/status/buildinfo`, as Mimir's `version.BuildInfoHandler` writes it. A non-empty
 * `features` object is what makes Grafana treat the data source as Mimir (rule editing enabled
 * when `ruler_config_api` is "true"); Prometheus itself sends no `features`.
 */
export async function buildInfo(_params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  const c = configOf(ctx);
  const features =
    `{"ruler_config_api":"${c.rulerConfigApi}","alertmanager_config_api":"${c.alertmanagerConfigApi}",` +
    `"query_sharding":"${c.querySharding}","federated_rules":"${c.federatedRules}"}`;
  const data =
    `{"application":${quoteGo(c.application)},"version":${quoteGo(c.version)},"revision":${quoteGo(c.revision)},` +
    `"branch":${quoteGo(c.branch)},"goVersion":${quoteGo(c.goVersion)},"features":${features}}`;
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: `{"status":"success","data":${data}}` };
}

/** `GET /api/v1/status/config`: `{"yaml": …}` with the configured text. */
export async function statusConfig(_params: ApiParams, ctx: PromApiContext): Promise<ApiResponse> {
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: `{"status":"success","data":{"yaml":${quoteHtml(configOf(ctx).configYaml)}}}`,
  };
}

/**
 * `GET /api/v1/status/flags`: deliberately 404, as Mimir answers. Grafana's alerting takes any
 * 200 here for Thanos, before it looks at buildinfo's Mimir features, and would then hide the
 * Mimir ruler; Panoptes has no Prometheus command-line flags to report anyway.
 */
export async function statusFlags(): Promise<ApiResponse> {
  return textResponse(404, '404 page not found');
}
