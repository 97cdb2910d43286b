import type { Alert } from '../alerts/alert';
import { loadConfig } from '../config/config';
import type { IntegrationConfig } from '../config/receivers';
import { FakeSmtpServer, type FakeSmtpOptions, testTlsMaterial } from '../testing/fake-servers';
import { EmailNotifier } from './email';
import { SmtpClient } from './smtp';
import { type NotifyContext, NotifyError } from './types';

const T0 = Date.UTC(2024, 0, 1, 12);

const ctx = (): NotifyContext => ({
  tenant: 't1',
  now: T0,
  groupKey: '{}:{alertname="A"}',
  groupLabels: { alertname: 'A' },
  receiver: 'mail',
  repeatIntervalMs: 3600_000,
  muteTimeIntervals: [],
  activeTimeIntervals: [],
  deadline: T0 + 10_000,
  signal: new AbortController().signal,
});

const ALERTS: Alert[] = [{ labels: { alertname: 'A', instance: 'i1' }, annotations: { summary: 'disk <full>' }, startsAt: T0 - 60_000, endsAt: 0, generatorURL: 'http://g', updatedAt: T0, timeout: false }];

let servers: FakeSmtpServer[] = [];

async function server(options: FakeSmtpOptions = {}): Promise<FakeSmtpServer> {
  const s = await FakeSmtpServer.start(options);
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function email(smarthost: string, extra = '', to = "'ops@example.com'"): EmailNotifier {
  const cfg = loadConfig(`route: {receiver: mail}
receivers:
  - name: mail
    email_configs:
      - {to: ${to}, from: 'Alerts <am@example.com>', smarthost: '${smarthost}', tls_config: {insecure_skip_verify: true}${extra}}
`).receivers[0].email_configs[0] as IntegrationConfig;
  return new EmailNotifier(cfg, { externalUrl: 'http://am.example', userAgent: 'x', now: () => T0, hostname: 'panoptes.test' });
}

const header = (data: string, name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'm').exec(data)?.[1]?.replace(/\r$/, '');

describe('EmailNotifier', () => {
  it('sends the default subject and HTML body, after STARTTLS, to every recipient', async () => {
    const s = await server({ starttls: true, extensions: ['8BITMIME'] });
    await email(s.smarthost, '', "'a@x.io, B <b@x.io>'").notify(ALERTS, ctx());
    const [m] = s.messages;
    expect({ from: m.from, to: m.to, tls: m.tls, params: m.mailParams }).toEqual({ from: 'am@example.com', to: ['a@x.io', 'b@x.io'], tls: true, params: 'BODY=8BITMIME' });
    expect(s.commands.slice(0, 3)).toEqual(['EHLO localhost', 'STARTTLS', 'EHLO localhost']);
    expect([header(m.data, 'Subject'), header(m.data, 'To'), header(m.data, 'From'), header(m.data, 'Date'), header(m.data, 'MIME-Version')]).toEqual([
      '[FIRING:1] A (i1)',
      'a@x.io, B <b@x.io>',
      'Alerts <am@example.com>',
      'Mon, 01 Jan 2024 12:00:00 +0000',
      '1.0',
    ]);
    expect(header(m.data, 'Message-Id')).toMatch(/^<1704110400000000000\.\d+@panoptes\.test>$/);
    expect(header(m.data, 'Content-Type')).toMatch(/^multipart\/alternative; {2}boundary=[0-9a-f]{60}$/);
    expect(m.data).toContain('Content-Type: text/html; charset=UTF-8');
    expect(m.data).not.toContain('Content-Type: text/plain');
    expect(m.data).toContain('summary =3D disk &lt;full&gt;<br>');
  });

  it('adds a quoted-printable text part and templated, Q-encoded headers', async () => {
    const s = await server();
    await email(s.smarthost, ", require_tls: false, html: '', text: '{{ .CommonAnnotations.summary }} ✓', headers: {Subject: 'Alarm für {{ .GroupLabels.alertname }}', X-Team: ops}").notify(ALERTS, ctx());
    const [m] = s.messages;
    expect([header(m.data, 'Subject'), header(m.data, 'X-Team')]).toEqual(['=?utf-8?q?Alarm_f=C3=BCr_A?=', 'ops']);
    expect(m.data).toContain('Content-Type: text/plain; charset=UTF-8\r\n\r\ndisk <full> =E2=9C=93\r\n--');
    expect(m.data).not.toContain('text/html');
  });

  it.each([
    { name: 'PLAIN', mechanisms: ['PLAIN'], extra: ", auth_username: u, auth_password: p, auth_identity: ''" },
    { name: 'LOGIN', mechanisms: ['LOGIN'], extra: ', auth_username: u, auth_password: p' },
    { name: 'CRAM-MD5', mechanisms: ['CRAM-MD5'], extra: ', auth_username: u, auth_secret: p' },
    { name: 'the first offered mechanism that has credentials', mechanisms: ['CRAM-MD5', 'LOGIN'], extra: ', auth_username: u, auth_password: p' },
  ])('authenticates with $name', async ({ mechanisms, extra }) => {
    const s = await server({ starttls: true, auth: { mechanisms, users: { u: 'p' } } });
    await email(s.smarthost, extra).notify(ALERTS, ctx());
    expect(s.messages.map((m) => m.user)).toEqual(['u']);
  });

  it('does not authenticate without auth_username', async () => {
    const s = await server({ starttls: true, auth: { mechanisms: ['PLAIN'], users: { u: 'p' } } });
    await email(s.smarthost).notify(ALERTS, ctx());
    expect(s.messages.map((m) => m.user)).toEqual([undefined]);
    expect(s.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
  });

  it('falls back to HELO when EHLO is refused', async () => {
    const s = await server({ refuseEhlo: true });
    await email(s.smarthost, ', require_tls: false').notify(ALERTS, ctx());
    expect(s.commands.slice(0, 2)).toEqual(['EHLO localhost', 'HELO localhost']);
    expect(s.messages).toHaveLength(1);
  });

  it('dot-stuffs lines that start with a dot', async () => {
    const s = await server();
    await email(s.smarthost, ", require_tls: false, html: '', text: \"line\\n.hidden\\n..two\"").notify(ALERTS, ctx());
    expect(s.messages[0].data).toContain('line\r\n.hidden\r\n..two');
  });

  it.each([
    { name: 'require_tls without STARTTLS offered', options: {}, extra: '', retry: true, message: '\'require_tls\' is true (default) but "127.0.0.1:PORT" does not advertise the STARTTLS extension' },
    { name: 'a refused recipient', options: { failOn: { verb: 'RCPT', reply: '550 5.1.1 no such user' } }, extra: ', require_tls: false', retry: true, message: 'send RCPT command: 550 5.1.1 no such user' },
    { name: 'a refused message', options: { failOn: { verb: '.', reply: '554 5.7.1 rejected' } }, extra: ', require_tls: false', retry: true, message: 'send DATA command: 554 5.7.1 rejected' },
    { name: 'wrong credentials', options: { auth: { mechanisms: ['LOGIN'], users: { u: 'right' } } }, extra: ', require_tls: false, auth_username: u, auth_password: wrong', retry: true, message: 'LOGIN auth: 535 5.7.8 Authentication credentials invalid' },
    { name: 'no password for the offered mechanism', options: { auth: { mechanisms: ['PLAIN'], users: {} } }, extra: ', require_tls: false, auth_username: u', retry: true, message: 'find auth mechanism: missing password for PLAIN auth mechanism' },
    { name: 'a bad address', options: {}, extra: ', require_tls: false', to: "'not an address'", retry: false, message: "parse 'to' addresses: mail: " },
    { name: 'a template error', options: {}, extra: ', require_tls: false', to: "'{{ .Nope }}'", retry: false, message: "execute 'to' template: template: :1:3: executing \"\" at <.Nope>" },
  ])('fails on $name (retry: $retry)', async ({ options, extra, to, retry, message }) => {
    const s = await server(options as FakeSmtpOptions);
    const err = await email(s.smarthost, extra, to)
      .notify(ALERTS, ctx())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyError);
    expect((err as NotifyError).retry).toBe(retry);
    expect((err as NotifyError).message).toContain(message.replace('PORT', String(s.port)));
    expect(s.messages).toHaveLength(0);
  });

  it('fails with a retryable error when the server is down', async () => {
    const err = await email('127.0.0.1:1', ', require_tls: false')
      .notify(ALERTS, ctx())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retry: true, message: expect.stringContaining('establish connection to server') });
  });
});

describe('SmtpClient', () => {
  it('speaks TLS from the first byte (port 465 style)', async () => {
    const s = await server({ implicitTls: true });
    const client = await SmtpClient.connect({ host: '127.0.0.1', port: s.port, implicitTls: { ca: testTlsMaterial().cert }, signal: new AbortController().signal });
    expect(client.encrypted).toBe(true);
    await client.mail('a@x.io');
    await client.rcpt('b@x.io');
    await client.data('Subject: hi\r\n\r\nbody\r\n');
    await client.quit();
    expect(s.messages).toEqual([expect.objectContaining({ from: 'a@x.io', to: ['b@x.io'], tls: true, data: 'Subject: hi\r\n\r\nbody\r\n' })]);
  });

  it('refuses PLAIN over an unencrypted connection to anything but localhost', async () => {
    const { plainAuthResponse } = await import('./smtp');
    expect(() => plainAuthResponse('', 'u', 'p', false, 'smtp.example.com')).toThrow('unencrypted connection');
    expect(plainAuthResponse('', 'u', 'p', false, '127.0.0.1')).toBe('\0u\0p');
    expect(plainAuthResponse('id', 'u', 'p', true, 'smtp.example.com')).toBe('id\0u\0p');
  });
});
