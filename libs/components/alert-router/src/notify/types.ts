import { PanoptesError } from '@panoptes/common';
import type { Alert } from '../alerts/alert';
import type { LabelSet } from '../matchers';

/** Everything a notification pipeline run knows about the group it is notifying for. */
export interface NotifyContext {
  tenant: string;
  /** The aggregation group's tick: the one time reference of the whole run, ms. */
  now: number;
  groupKey: string;
  groupLabels: LabelSet;
  receiver: string;
  repeatIntervalMs: number;
  muteTimeIntervals: readonly string[];
  activeTimeIntervals: readonly string[];
  /** Retries stop at this time, ms (the group interval, at least 10 s, after the tick). */
  deadline: number;
  signal: AbortSignal;
}

/** A failed send. `retry` says whether trying again may help (network errors, 5xx). */
export class NotifyError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    /** Stable metric label: `http_5xx`, `http_4xx`, `network`, `timeout`, `template`, `smtp`, `invalid_address`, `bad_response`, `unsupported_config`. */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'NotifyError';
  }
}

/** The receiver type exists in the config format but Panoptes cannot send through it yet. */
export class IntegrationNotImplementedError extends PanoptesError {
  constructor(integration: string, receiver: string) {
    super(
      'unprocessable',
      'integration_not_implemented',
      `the ${integration} integration of receiver ${JSON.stringify(receiver)} cannot send notifications yet: Panoptes sends through webhook, email, Slack, PagerDuty, OpsGenie, VictorOps, Discord, Telegram, Webex and Microsoft Teams receivers so far; route these alerts to one of those meanwhile`,
    );
  }
}

/** Sends one notification for a group's alerts; throws NotifyError (or anything, treated as retryable). */
export interface Notifier {
  notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void>;
}

/** One configured integration of a receiver (e.g. its second webhook_config). */
export interface Integration {
  receiver: string;
  /** Integration type: `webhook`, `email`, `slack` … */
  name: string;
  /** Position among the receiver's integrations of the same type. */
  index: number;
  sendResolved: boolean;
  notifier: Notifier;
}
