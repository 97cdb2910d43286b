import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The alert-router's metrics, shared by all tenants (label `tenant`). Registered once per
 * registry: building a second instance on the same registry reuses the registered metrics.
 */
export class AlertRouterMetrics {
  /** Notification attempts through the pipeline (one per group flush and integration). */
  readonly notifications: Counter<'tenant' | 'integration'>;
  /** Notifications that failed for good (after retries, or not retryable). */
  readonly notificationsFailed: Counter<'tenant' | 'integration' | 'reason'>;
  /** Individual send requests, retries included. */
  readonly notificationRequests: Counter<'tenant' | 'integration'>;
  readonly notificationRequestsFailed: Counter<'tenant' | 'integration' | 'reason'>;
  readonly notificationLatency: Histogram<'integration'>;
  /** Alerts received through the API, by status at receipt. */
  readonly alertsReceived: Counter<'tenant' | 'status'>;
  readonly alertsInvalid: Counter<'tenant'>;
  /** Alerts dropped because the tenant's alert limit was reached. */
  readonly alertsDropped: Counter<'tenant' | 'reason'>;
  readonly alerts: Gauge<'tenant'>;
  readonly silences: Gauge<'tenant' | 'state'>;
  readonly aggregationGroups: Gauge<'tenant'>;
  /** Tenants held here, by role: `sender` (dispatching) or `replica`. */
  readonly tenants: Gauge<'role'>;
  /** State pushes to other members of a replication set (one per member), and those that failed. */
  readonly replicationPushes: Counter<string>;
  readonly replicationPushesFailed: Counter<'reason'>;
  /** State pulls from other members (one per member), and those that failed. */
  readonly replicationPulls: Counter<string>;
  readonly replicationPullsFailed: Counter<'reason'>;

  constructor(registry: Registry) {
    const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
    const registers = [registry];
    this.notifications = get('panoptes_alert_router_notifications_total', () => new Counter({ name: 'panoptes_alert_router_notifications_total', help: 'Notifications attempted, per integration type.', labelNames: ['tenant', 'integration'], registers }));
    this.notificationsFailed = get(
      'panoptes_alert_router_notifications_failed_total',
      () => new Counter({ name: 'panoptes_alert_router_notifications_failed_total', help: 'Notifications that failed after all retries, per integration type and reason.', labelNames: ['tenant', 'integration', 'reason'], registers }),
    );
    this.notificationRequests = get(
      'panoptes_alert_router_notification_requests_total',
      () => new Counter({ name: 'panoptes_alert_router_notification_requests_total', help: 'Send attempts to integrations, retries included.', labelNames: ['tenant', 'integration'], registers }),
    );
    this.notificationRequestsFailed = get(
      'panoptes_alert_router_notification_requests_failed_total',
      () => new Counter({ name: 'panoptes_alert_router_notification_requests_failed_total', help: 'Send attempts that failed, retries included.', labelNames: ['tenant', 'integration', 'reason'], registers }),
    );
    this.notificationLatency = get(
      'panoptes_alert_router_notification_latency_seconds',
      () =>
        new Histogram({ name: 'panoptes_alert_router_notification_latency_seconds', help: 'Time of one send attempt, seconds.', labelNames: ['integration'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30], registers }),
    );
    this.alertsReceived = get('panoptes_alert_router_alerts_received_total', () => new Counter({ name: 'panoptes_alert_router_alerts_received_total', help: 'Alerts received through the API.', labelNames: ['tenant', 'status'], registers }));
    this.alertsInvalid = get('panoptes_alert_router_alerts_invalid_total', () => new Counter({ name: 'panoptes_alert_router_alerts_invalid_total', help: 'Alerts rejected as invalid.', labelNames: ['tenant'], registers }));
    this.alertsDropped = get('panoptes_alert_router_alerts_dropped_total', () => new Counter({ name: 'panoptes_alert_router_alerts_dropped_total', help: 'Alerts dropped by a tenant limit.', labelNames: ['tenant', 'reason'], registers }));
    this.alerts = get('panoptes_alert_router_alerts', () => new Gauge({ name: 'panoptes_alert_router_alerts', help: 'Alerts held, resolved ones not yet collected included.', labelNames: ['tenant'], registers }));
    this.silences = get('panoptes_alert_router_silences', () => new Gauge({ name: 'panoptes_alert_router_silences', help: 'Silences held, by state.', labelNames: ['tenant', 'state'], registers }));
    this.aggregationGroups = get('panoptes_alert_router_aggregation_groups', () => new Gauge({ name: 'panoptes_alert_router_aggregation_groups', help: 'Aggregation groups being dispatched.', labelNames: ['tenant'], registers }));
    this.tenants = get('panoptes_alert_router_tenants', () => new Gauge({ name: 'panoptes_alert_router_tenants', help: 'Tenants held by this instance, by role (sender or replica).', labelNames: ['role'], registers }));
    this.replicationPushes = get('panoptes_alert_router_replication_pushes_total', () => new Counter({ name: 'panoptes_alert_router_replication_pushes_total', help: 'Tenant state pushes to other alert-routers of a replication set.', registers }));
    this.replicationPushesFailed = get(
      'panoptes_alert_router_replication_push_failures_total',
      () => new Counter({ name: 'panoptes_alert_router_replication_push_failures_total', help: 'Tenant state pushes that failed, by reason (network, timeout, status).', labelNames: ['reason'], registers }),
    );
    this.replicationPulls = get('panoptes_alert_router_replication_pulls_total', () => new Counter({ name: 'panoptes_alert_router_replication_pulls_total', help: 'Tenant state pulls from other alert-routers of a replication set.', registers }));
    this.replicationPullsFailed = get(
      'panoptes_alert_router_replication_pull_failures_total',
      () => new Counter({ name: 'panoptes_alert_router_replication_pull_failures_total', help: 'Tenant state pulls that failed, by reason (network, timeout, status).', labelNames: ['reason'], registers }),
    );
  }
}
