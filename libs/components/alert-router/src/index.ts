// Public surface of the alert-router component: an Alertmanager-compatible router per tenant.
export * from './alert-router';
export { AlertRouterTenant, defaultTenantConfig } from './tenant';
export type { TenantConfig, TenantDeps, LoadedConfig } from './tenant';
export { InMemoryAlertRouterStateStore } from './state-store';
export type { AlertRouterStateStore, StateKind, TenantConfigRecord } from './state-store';
export { AlertRouterMetrics } from './metrics';

// Configuration file (Alertmanager's format).
export { loadConfig, configToYaml, ConfigValidationError } from './config/config';
export type { AlertmanagerConfig } from './config/config';
export type { GlobalConfig, RouteConfig, InhibitRuleConfig } from './config/config-codecs';
export type { ReceiverConfig, IntegrationConfig, WebhookConfig } from './config/receivers';
export type { HttpConfig } from './config/http-config';
export { containsTime, inIntervals } from './config/time-intervals';
export type { TimeInterval, NamedTimeInterval } from './config/time-intervals';
export type { ConfigIssue } from './config/yaml-decode';

// Routing, matching, alerts.
export { Route, matchRoutes, DEFAULT_ROUTE_OPTS } from './routing/route';
export type { RouteOpts } from './routing/route';
export { Matcher, parseMatchers, parseMatcher, matchesAll } from './matchers';
export type { LabelSet, MatchType } from './matchers';
export { fingerprint, receiveAlert, validateAlert } from './alerts/alert';
export type { Alert, PostableAlert } from './alerts/alert';
export { AlertStore } from './alerts/alert-store';
export type { AlertStatus, AlertState } from './alerts/alert-store';

// Silences and the notification log (snapshot()/restore() for persistence).
export { Silences, silenceState, defaultSilencesConfig } from './silences/silences';
export type { Silence, SilenceMatcher, SilenceState, SilencesConfig } from './silences/silences';
export { NotificationLog, defaultNflogConfig } from './nflog/nflog';
export type { NflogEntry, NflogReceiver, NflogConfig } from './nflog/nflog';

// Dispatching and notifying.
export { Dispatcher, defaultDispatcherConfig } from './dispatch/dispatcher';
export type { DispatcherConfig } from './dispatch/dispatcher';
export { NotificationPipeline, defaultRetryConfig, needsUpdate } from './notify/pipeline';
export type { RetryConfig } from './notify/pipeline';
export { defaultIntegrationFactory, eachIntegration, IMPLEMENTED_INTEGRATIONS } from './notify/integrations';
export type { IntegrationFactory, IntegrationFactoryOptions } from './notify/integrations';
export { WebhookNotifier } from './notify/webhook';
export { SlackNotifier } from './notify/slack';
export { PagerdutyNotifier, PAGERDUTY_V1_URL } from './notify/pagerduty';
export { DiscordNotifier } from './notify/discord';
export { TelegramNotifier } from './notify/telegram';
export { MsTeamsNotifier, MsTeamsV2Notifier } from './notify/msteams';
export { EmailNotifier } from './notify/email';
export type { NotifierOptions } from './notify/render';

// Notification templates (Alertmanager's data, functions and default templates).
export { NotificationTemplates, NotificationTemplateError, validateTemplateFiles } from './template/templates';
export { notificationData } from './template/data';
export { ALERTMANAGER_FUNCS } from './template/funcs';
export { NotifyError, IntegrationNotImplementedError } from './notify/types';
export type { Integration, Notifier, NotifyContext } from './notify/types';

// HTTP API handlers (framework-free).
export { dispatchAlertmanagerApi, ALERTMANAGER_API_ROUTES } from './api/routes';
export type { AmApiRoute } from './api/routes';
export { handleTenantConfigApi, validateTenantConfig, defaultTenantConfigLimits } from './api/tenant-config-api';
export type { TenantConfigLimits, TenantConfigBackend } from './api/tenant-config-api';
export { defaultVersionInfo } from './api/http';
export type { AmApiRequest, AmApiResponse, AmApiContext, VersionInfo } from './api/http';

// Wiring: state in object storage, tenant sharding over the ring, the HTTP mount.
export { BucketAlertRouterStateStore } from './bucket-state-store';
export { AlertRouterSharding, AlertRouterPlacement, ALERT_ROUTER_OP, tenantToken } from './sharding';
export type { AlertRouterRingView, AlertRouterShardingConfig, AlertRouterPlacementConfig } from './sharding';
export { AlertRouterPeers, ALERT_ROUTER_STATE_PATH } from './replication/peers';
export type { AlertRouterPeersConfig } from './replication/peers';
export { encodeTenantState, decodeTenantState } from './replication/tenant-state';
export type { TenantReplication, TenantStateDelta, TenantStateSnapshot } from './replication/tenant-state';
export { AlertRouterHttpApi, FORWARDED_BY_HEADER } from './api/router-http';
export type { AlertRouterApiKind, AlertRouterHttpApiConfig } from './api/router-http';
export { AlertRouterController, ALERT_ROUTER_HTTP_API, ALERT_ROUTER_BODY_PATHS } from './alert-router.controller';
