import { type PromApiConfig, defaultPromApiConfig } from '@panoptes/prom-api';
import { goJson } from '../notify/template-data';
import type { AmApiResponse } from './http';

/**
 * Mimir's build info under the Alertmanager prefix (`version.BuildInfoHandler`, registered without
 * authentication): Grafana's Alertmanager data source reads `data.application` and, for
 * "Grafana Mimir", creates a tenant's config lazily; a 404 would make it treat us as Cortex.
 */
export const ALERTMANAGER_BUILDINFO_PATH = '/alertmanager/api/v1/status/buildinfo';

/** The same answer as the query API's `/api/v1/status/buildinfo`, Mimir's field order. */
export function alertmanagerBuildInfo(config: PromApiConfig = defaultPromApiConfig()): AmApiResponse {
  const data = {
    application: config.application,
    version: config.version,
    revision: config.revision,
    branch: config.branch,
    goVersion: config.goVersion,
    features: {
      ruler_config_api: String(config.rulerConfigApi),
      alertmanager_config_api: String(config.alertmanagerConfigApi),
      query_sharding: String(config.querySharding),
      federated_rules: String(config.federatedRules),
    },
  };
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: goJson({ status: 'success', data }) };
}
