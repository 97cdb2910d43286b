import { readFileSync } from 'node:fs';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Alert } from '../alerts/alert';
import type { HttpConfig } from '../config/http-config';
import type { WebhookConfig } from '../config/receivers';
import { goJson, templateData } from './template-data';
import { type Notifier, type NotifyContext, NotifyError } from './types';

/** Bytes of a failed response body kept for the error message. */
const MAX_ERROR_BODY = 1024;

export interface WebhookOptions {
  /** The `externalURL` of payloads: where users reach this Alertmanager (no trailing slash). */
  externalUrl: string;
  /** User-Agent header of notification requests. */
  userAgent: string;
  /** Current time, ms (alert statuses are computed at send time, as Alertmanager does). */
  now: () => number;
}

const TLS_VERSIONS: Record<string, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

const readSecretFile = (path: string): string => readFileSync(path, 'utf8').trim();

/** Request headers and TLS options from an http_config; throws NotifyError for what is not supported yet. */
export function httpOptions(cfg: HttpConfig | undefined): { headers: Record<string, string>; tls: Record<string, unknown> } {
  const headers: Record<string, string> = {};
  const tls: Record<string, unknown> = {};
  if (!cfg) return { headers, tls };
  if (cfg.oauth2) throw new NotifyError('http_config.oauth2 is not supported by Panoptes yet; use authorization or basic_auth', false, 'unsupported_config');
  if (cfg.proxy_url) throw new NotifyError('http_config.proxy_url is not supported by Panoptes yet', false, 'unsupported_config');
  try {
    if (cfg.basic_auth) {
      const password = cfg.basic_auth.password_file ? readSecretFile(cfg.basic_auth.password_file) : (cfg.basic_auth.password ?? '');
      headers.Authorization = `Basic ${Buffer.from(`${cfg.basic_auth.username ?? ''}:${password}`).toString('base64')}`;
    }
    const authz = cfg.authorization;
    if (authz) {
      const credentials = authz.credentials_file ? readSecretFile(authz.credentials_file) : (authz.credentials ?? '');
      headers.Authorization = `${authz.type ?? 'Bearer'} ${credentials}`;
    }
    const t = cfg.tls_config;
    if (t.insecure_skip_verify) tls.rejectUnauthorized = false;
    if (t.server_name) tls.servername = t.server_name;
    if (t.ca_file) tls.ca = readFileSync(t.ca_file);
    if (t.cert_file) tls.cert = readFileSync(t.cert_file);
    if (t.key_file) tls.key = readFileSync(t.key_file);
    if (t.min_version) tls.minVersion = TLS_VERSIONS[t.min_version];
    if (t.max_version) tls.maxVersion = TLS_VERSIONS[t.max_version];
  } catch (err) {
    throw new NotifyError(`cannot read a file named in http_config: ${(err as Error).message}`, false, 'unsupported_config');
  }
  return { headers, tls };
}

/** POSTs `body` and resolves with the status and (start of the) response body. */
function post(url: string, body: string, headers: Record<string, string>, tls: Record<string, unknown>, signal: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      u,
      { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }, signal, ...tls },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Alertmanager's webhook integration: POSTs the version "4" JSON payload (template data plus
 * `version`, `groupKey`, `truncatedAlerts`). 2xx succeeds, 5xx and network errors are retried,
 * other statuses fail for good.
 */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly config: WebhookConfig,
    private readonly options: WebhookOptions,
  ) {}

  /** The payload exactly as it goes on the wire (Go's JSON encoder, trailing newline included). */
  payload(alerts: readonly Alert[], ctx: NotifyContext): string {
    const max = this.config.max_alerts;
    const sent = max > 0 ? alerts.slice(0, max) : alerts;
    const data = templateData(ctx.receiver, ctx.groupLabels, sent, this.options.now(), this.options.externalUrl);
    return `${goJson({ ...data, version: '4', groupKey: ctx.groupKey, truncatedAlerts: alerts.length - sent.length })}\n`;
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const { headers, tls } = httpOptions(this.config.http_config);
    const body = this.payload(alerts, ctx);
    let res: { status: number; body: string };
    try {
      res = await post(this.config.url, body, { 'User-Agent': this.options.userAgent, ...headers }, tls, ctx.signal);
    } catch (err) {
      const aborted = ctx.signal.aborted;
      throw new NotifyError(`Post ${JSON.stringify(redact(this.config.url))}: ${(err as Error).message}`, !aborted, aborted ? 'timeout' : 'network');
    }
    if (res.status >= 200 && res.status < 300) return;
    const retry = res.status >= 500 && res.status < 600;
    const details = res.body ? `: ${redact(this.config.url)}: ${res.body}` : '';
    throw new NotifyError(`unexpected status code ${res.status}${details}`, retry, retry ? 'http_5xx' : 'http_4xx');
  }
}

/** The URL without its query string and credentials, for logs and errors. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
