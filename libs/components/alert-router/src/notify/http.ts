import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HttpConfig } from '../config/http-config';
import { NotifyError } from './types';

/**
 * The HTTP side of the integrations: one POST per attempt (OpsGenie's updates: PUT; no redirects
 * followed), and Alertmanager's `notify.Retrier` rule for statuses: 2xx succeeds, 5xx and the
 * integration's own retry codes (PagerDuty v2, OpsGenie: 429) are retried, anything else fails for
 * good.
 */

/** Bytes of a response body kept (error messages, Telegram's answer). */
const MAX_BODY = 64 * 1024;

/** Go's net/http default User-Agent, which clients that set none send (Telegram's bot library). */
export const GO_HTTP_USER_AGENT = 'Go-http-client/1.1';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, cut at 64 KiB. */
  body: string;
}

const TLS_VERSIONS: Record<string, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** A secret read from a file named in the config (trailing white space trimmed, as Alertmanager does). */
export const readSecretFile = (path: string): string => readFileSync(path, 'utf8').trim();

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
    Object.assign(tls, tlsOptions(cfg.tls_config));
  } catch (err) {
    throw new NotifyError(`cannot read a file named in http_config: ${(err as Error).message}`, false, 'unsupported_config');
  }
  return { headers, tls };
}

/** Node TLS options from a tls_config (files are read here; throws when one cannot be). */
export function tlsOptions(t: HttpConfig['tls_config'] | undefined): Record<string, unknown> {
  const tls: Record<string, unknown> = {};
  if (!t) return tls;
  if (t.insecure_skip_verify) tls.rejectUnauthorized = false;
  if (t.server_name) tls.servername = t.server_name;
  if (t.ca_file) tls.ca = readFileSync(t.ca_file);
  if (t.cert_file) tls.cert = readFileSync(t.cert_file);
  if (t.key_file) tls.key = readFileSync(t.key_file);
  if (t.min_version) tls.minVersion = TLS_VERSIONS[t.min_version];
  if (t.max_version) tls.maxVersion = TLS_VERSIONS[t.max_version];
  return tls;
}

/** The URL without its query string and credentials, for logs and errors (Alertmanager's RedactURL). */
export function redact(url: string): string {
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

function send(method: string, url: string, body: string, headers: Record<string, string>, tls: Record<string, unknown>, signal: AbortSignal): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(u, { method, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, signal, ...tls }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface PostOptions {
  /** User-Agent header; Go's default when absent. */
  userAgent?: string;
  httpConfig?: HttpConfig;
  signal: AbortSignal;
  contentType?: string;
  /** `POST` unless set (OpsGenie updates with `PUT`). */
  method?: string;
  /** Headers set by the integration itself; they win over http_config's `Authorization` (as in Go). */
  headers?: Record<string, string>;
}

/**
 * POSTs `body` to `url`. A failed connection is a retryable NotifyError (`network`), an aborted
 * attempt a `timeout`; the message names the URL without its query and credentials.
 */
export async function post(url: string, body: string, options: PostOptions): Promise<HttpResponse> {
  const { headers, tls } = httpOptions(options.httpConfig);
  const all = { 'User-Agent': options.userAgent ?? GO_HTTP_USER_AGENT, 'Content-Type': options.contentType ?? 'application/json', ...headers, ...options.headers };
  const method = options.method ?? 'POST';
  try {
    return await send(method, url, body, all, tls, options.signal);
  } catch (err) {
    const aborted = options.signal.aborted;
    const verb = method.charAt(0) + method.slice(1).toLowerCase();
    throw new NotifyError(`${verb} ${JSON.stringify(redact(url))}: ${(err as Error).message}`, !aborted, aborted ? 'timeout' : 'network');
  }
}

/** Bytes of a failed response's body quoted in the error. */
const MAX_ERROR_BODY = 1024;

/**
 * Alertmanager's Retrier.Check: throws NotifyError unless the status is 2xx; 5xx and `retryCodes`
 * are retryable. `details` may turn the body into the message's detail (PagerDuty's JSON errors).
 */
export function checkStatus(res: HttpResponse, retryCodes: readonly number[] = [], details?: (res: HttpResponse) => string | undefined): void {
  if (res.status >= 200 && res.status < 300) return;
  const retry = (res.status >= 500 && res.status < 600) || retryCodes.includes(res.status);
  const detail = details?.(res) ?? res.body.slice(0, MAX_ERROR_BODY).trim();
  throw new NotifyError(`unexpected status code ${res.status}${detail ? `: ${detail}` : ''}`, retry, res.status >= 500 && res.status < 600 ? 'http_5xx' : 'http_4xx');
}

/** JSON as Go's encoding/json Encoder writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped, a newline at the end. */
export function goJsonLine(value: unknown): string {
  return `${JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** Alertmanager's Truncate: at most `n` runes, the last one an ellipsis when cut. */
export function truncateRunes(s: string, n: number): { text: string; truncated: boolean } {
  const runes = [...s];
  if (runes.length <= n) return { text: s, truncated: false };
  return { text: `${runes.slice(0, n - 1).join('')}…`, truncated: true };
}

/** Alertmanager's TruncateInBytes: at most `n` bytes of UTF-8, whole runes only, the last three bytes an ellipsis when cut. */
export function truncateBytes(s: string, n: number): { text: string; truncated: boolean } {
  if (Buffer.byteLength(s) <= n) return { text: s, truncated: false };
  let size = 0;
  let text = '';
  for (const rune of s) {
    size += Buffer.byteLength(rune);
    if (size > n - 3) break;
    text += rune;
  }
  return { text: `${text}…`, truncated: true };
}

/** A string map as Go's encoding/json orders it: keys sorted. */
export const sortedRecord = (m: Iterable<[string, string]>): Record<string, string> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Percent-encodes the bytes of `s` that `keep` does not accept (upper-case hex, as Go). */
function escapeBytes(s: string, keep: RegExp, space: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && keep.test(c) ? c : c === ' ' ? space : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The URL Go's net/url writes after `u.Path += suffix` (and, with `query`, those parameters set and
 * the query re-encoded with its keys sorted, as `url.Values.Encode` does): the path escaped as a
 * path (`/` and `$&+,:;=@` kept), query keys and values as query components (space as `+`).
 */
export function goUrl(base: string, suffix: string, query?: Record<string, string>): string {
  const u = new URL(base);
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    path = u.pathname;
  }
  let search = u.search;
  if (query) {
    const values = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(u.search)) values.set(k, [...(values.get(k) ?? []), v]);
    for (const [k, v] of Object.entries(query)) values.set(k, [v]);
    const q = (s: string): string => escapeBytes(s, /[A-Za-z0-9\-_.~]/, '+');
    search = `?${[...values.keys()]
      .sort()
      .flatMap((k) => values.get(k)!.map((v) => `${q(k)}=${q(v)}`))
      .join('&')}`;
  }
  const userinfo = u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  return `${u.protocol}//${userinfo}${u.host}${escapeBytes(path + suffix, /[A-Za-z0-9\-_.~$&+,/:;=@]/, '%20')}${search}${u.hash}`;
}
