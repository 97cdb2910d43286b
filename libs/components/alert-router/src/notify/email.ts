import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Alert } from '../alerts/alert';
import type { TlsConfig } from '../config/http-config';
import type { IntegrationConfig } from '../config/receivers';
import { readSecretFile, tlsOptions } from './http';
import { type MimePart, multipartBody, parseAddressList, qEncodeHeader, randomBoundary, rfc1123z } from './mime';
import { type NotifierOptions, Renderer } from './render';
import { SmtpClient, cramMd5Next, loginAuthNext, plainAuthResponse } from './smtp';
import { type Notifier, type NotifyContext, NotifyError } from './types';

export interface EmailOptions extends NotifierOptions {
  /** Host name in `Message-Id`; the machine's by default. */
  hostname?: string;
}

/** The headers Alertmanager adds when the config does not set them. */
const DEFAULT_HEADERS: Record<string, string> = {
  Subject: '{{ template "email.default.subject" . }}',
  To: '', // the `to` setting
  From: '', // the `from` setting
};

interface Smarthost {
  host: string;
  port: string;
}

/** Errors while talking to the server may pass with a retry; the message says which step failed. */
function smtpStep(step: string, err: unknown): NotifyError {
  return new NotifyError(`${step}: ${err instanceof Error ? err.message : String(err)}`, true, 'smtp');
}

/**
 * Alertmanager 0.25's email integration over SMTP: TLS from the start on port 465, otherwise
 * STARTTLS when `require_tls` (refused when the server does not offer it), AUTH with the first
 * mechanism the server offers that has credentials (CRAM-MD5 with `auth_secret`, PLAIN and LOGIN
 * with the password; none without `auth_username`), then one message: the templated headers
 * (Subject, To, From by default; Q-encoded when not ASCII), `Message-Id`, `Date`, and a
 * multipart/alternative body with the text part (when `text` is set) and the HTML part
 * (`html`, html/template escaping), both quoted-printable. Server and connection errors are
 * retried; template and address errors are not.
 */
export class EmailNotifier implements Notifier {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly config: IntegrationConfig,
    private readonly options: EmailOptions,
  ) {
    const headers = { ...((config.headers ?? {}) as Record<string, string>) };
    for (const [k, v] of Object.entries(DEFAULT_HEADERS)) if (!(k in headers)) headers[k] = v || String(config[k.toLowerCase()] ?? '');
    this.headers = headers;
  }

  /** `host:port` (`[v6]:port`), as the config holds it. */
  private get smarthost(): Smarthost {
    const hp = String(this.config.smarthost);
    const i = hp.lastIndexOf(':');
    const host = hp.slice(0, i);
    return { host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, port: hp.slice(i + 1) };
  }

  /** The message as it goes after DATA (before dot-stuffing), with the addresses to send it from and to. */
  async message(alerts: readonly Alert[], ctx: NotifyContext): Promise<{ from: string; to: string[]; data: string }> {
    const r = new Renderer(alerts, ctx, this.options);
    const from = await r.text(this.config.from as string, "'from'");
    const to = await r.text(this.config.to as string, "'to'");
    let fromAddrs: string[];
    let toAddrs: string[];
    try {
      fromAddrs = parseAddressList(from);
    } catch (err) {
      throw new NotifyError(`parse 'from' addresses: ${(err as Error).message}`, false, 'invalid_address');
    }
    if (fromAddrs.length !== 1) throw new NotifyError(`must be exactly one 'from' address (got: ${fromAddrs.length})`, false, 'invalid_address');
    try {
      toAddrs = parseAddressList(to);
    } catch (err) {
      throw new NotifyError(`parse 'to' addresses: ${(err as Error).message}`, false, 'invalid_address');
    }
    let head = '';
    for (const name of Object.keys(this.headers).sort()) {
      const value = await r.text(this.headers[name], `${JSON.stringify(name)} header`);
      head += `${name}: ${qEncodeHeader(value)}\r\n`;
    }
    const now = this.options.now();
    if (!('Message-Id' in this.headers)) {
      const random = randomBytes(8).readBigUInt64BE();
      head += `Message-Id: <${BigInt(now) * 1_000_000n}.${random}@${this.options.hostname ?? hostname()}>\r\n`;
    }
    const boundary = randomBoundary();
    head += `Date: ${rfc1123z(now)}\r\n`;
    head += `Content-Type: multipart/alternative;  boundary=${boundary}\r\n`;
    head += 'MIME-Version: 1.0\r\n\r\n';
    const parts: MimePart[] = [];
    if (this.config.text) parts.push({ contentType: 'text/plain; charset=UTF-8', body: await r.text(this.config.text as string, 'text') });
    if (this.config.html) parts.push({ contentType: 'text/html; charset=UTF-8', body: await r.html(this.config.html as string, 'html') });
    return { from: fromAddrs[0], to: toAddrs, data: head + multipartBody(boundary, parts) };
  }

  async notify(alerts: readonly Alert[], ctx: NotifyContext): Promise<void> {
    const { host, port } = this.smarthost;
    const c = this.config;
    let tls: Record<string, unknown>;
    try {
      tls = tlsOptions(c.tls_config as TlsConfig | undefined);
    } catch (err) {
      throw new NotifyError(`parse TLS configuration: ${(err as Error).message}`, false, 'unsupported_config');
    }
    let client: SmtpClient;
    try {
      client = await SmtpClient.connect({ host, port: Number(port), implicitTls: port === '465' ? tls : undefined, signal: ctx.signal });
    } catch (err) {
      throw smtpStep(port === '465' ? 'establish TLS connection to server' : 'establish connection to server', err);
    }
    let success = false;
    try {
      if (c.hello) await client.hello(String(c.hello)).catch((err: unknown) => Promise.reject(smtpStep('send EHLO command', err)));
      if (c.require_tls !== false) {
        const { ok } = await client.extension('STARTTLS').catch((err: unknown) => Promise.reject(smtpStep('send EHLO command', err)));
        if (!ok) throw new NotifyError(`'require_tls' is true (default) but "${String(c.smarthost)}" does not advertise the STARTTLS extension`, true, 'smtp');
        await client.startTls(tls).catch((err: unknown) => Promise.reject(smtpStep('send STARTTLS command', err)));
      }
      const auth = await client.extension('AUTH');
      if (auth.ok) await this.authenticate(client, auth.params, host);
      const message = await this.message(alerts, ctx);
      await client.mail(message.from).catch((err: unknown) => Promise.reject(smtpStep('send MAIL command', err)));
      for (const addr of message.to) await client.rcpt(addr).catch((err: unknown) => Promise.reject(smtpStep('send RCPT command', err)));
      await client.data(message.data).catch((err: unknown) => Promise.reject(smtpStep('send DATA command', err)));
      success = true;
    } finally {
      if (success) await client.quit().catch(() => undefined);
      else client.close();
    }
  }

  /** Alertmanager's choice of mechanism: the server's first one that has credentials; no auth without a username. */
  private async authenticate(client: SmtpClient, mechanisms: string, host: string): Promise<void> {
    const c = this.config;
    const username = String(c.auth_username ?? '');
    if (!username) return;
    const password = (): string => (c.auth_password_file ? readSecretFile(String(c.auth_password_file)) : String(c.auth_password ?? ''));
    const problems: string[] = [];
    for (const mech of mechanisms.split(' ')) {
      let step: (() => Promise<void>) | undefined;
      if (mech === 'CRAM-MD5') {
        const secret = String(c.auth_secret ?? '');
        if (!secret) problems.push('missing secret for CRAM-MD5 auth mechanism');
        else step = async () => client.auth('CRAM-MD5', undefined, cramMd5Next(username, secret));
      } else if (mech === 'PLAIN' || mech === 'LOGIN') {
        const pass = password();
        if (!pass) problems.push(`missing password for ${mech} auth mechanism`);
        else if (mech === 'PLAIN') step = async () => client.auth('PLAIN', plainAuthResponse(String(c.auth_identity ?? ''), username, pass, client.encrypted, host), () => '');
        else step = async () => client.auth('LOGIN', '', loginAuthNext(username, pass));
      }
      if (step) {
        await step().catch((err: unknown) => Promise.reject(smtpStep(`${mech} auth`, err)));
        return;
      }
    }
    throw new NotifyError(`find auth mechanism: ${problems.length > 0 ? problems.join('; ') : `unknown auth mechanism: ${mechanisms}`}`, true, 'smtp');
  }
}
