import type { GoValue } from '@panoptes/gotemplate';
import type { Alert } from '../alerts/alert';
import { notificationData } from '../template/data';
import { NotificationTemplateError, NotificationTemplates } from '../template/templates';
import { type NotifyContext, NotifyError } from './types';

/** What every integration needs besides its config. */
export interface NotifierOptions {
  /** The `externalURL` of notifications: where users reach this Alertmanager (no trailing slash). */
  externalUrl: string;
  /** User-Agent header of notification requests. */
  userAgent: string;
  /** Current time, ms (alert statuses are computed at send time, as Alertmanager does). */
  now: () => number;
  /** The tenant's notification templates; the defaults alone when absent. */
  templates?: NotificationTemplates;
}

const DEFAULTS_ONLY = new NotificationTemplates();

/**
 * Renders an integration's templated fields for one notification. A template that fails is not
 * retried (the next attempt would fail the same way): NotifyError with reason `template`.
 */
export class Renderer {
  readonly data: GoValue;
  private readonly templates: NotificationTemplates;

  constructor(
    alerts: readonly Alert[],
    ctx: NotifyContext,
    options: NotifierOptions,
    private readonly signal: AbortSignal = ctx.signal,
  ) {
    this.templates = options.templates ?? DEFAULTS_ONLY;
    this.data = notificationData(ctx.receiver, ctx.groupLabels, alerts, options.now(), options.externalUrl);
  }

  /** A field as text (text/template); undefined and "" give "". `what` names the field in errors. */
  text(text: string | undefined, what?: string): Promise<string> {
    return this.run(() => this.templates.text(text ?? '', this.data, this.signal), what);
  }

  /** A field as HTML (html/template's escaping). */
  html(text: string | undefined, what?: string): Promise<string> {
    return this.run(() => this.templates.html(text ?? '', this.data, this.signal), what);
  }

  private async run(f: () => Promise<string>, what: string | undefined): Promise<string> {
    try {
      return await f();
    } catch (err) {
      if (err instanceof NotificationTemplateError) throw new NotifyError(what ? `execute ${what} template: ${err.message}` : err.message, false, 'template');
      throw err;
    }
  }
}
