import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server as HttpServer, createServer as createHttpServer } from 'node:http';
import { type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';

/**
 * Test-only servers the integrations talk to: an HTTP recorder that answers with a scripted
 * status and body (Telegram needs a JSON answer), and an SMTP server written on node:net with
 * STARTTLS, implicit TLS, AUTH PLAIN / LOGIN / CRAM-MD5 and scripted failures.
 */

export interface RecordedPost {
  /** `POST` but for the odd integration request (OpsGenie's `PUT` updates). */
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ScriptedAnswer {
  status: number;
  body?: string;
  contentType?: string;
}

export class RecordingHttpServer {
  readonly posts: RecordedPost[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: HttpServer,
    readonly url: string,
    public answer: (post: RecordedPost, index: number) => ScriptedAnswer,
  ) {}

  static async start(answer: (post: RecordedPost, index: number) => ScriptedAnswer = () => ({ status: 200, body: 'ok' })): Promise<RecordingHttpServer> {
    const server = createHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no TCP address');
    const self = new RecordingHttpServer(server, `http://127.0.0.1:${address.port}`, answer);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const post = { method: req.method ?? 'POST', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const a = self.answer(post, self.posts.length);
        self.posts.push(post);
        res.writeHead(a.status, { 'Content-Type': a.contentType ?? 'text/plain' });
        res.end(a.body ?? '');
        for (const w of self.waiters.splice(0)) w();
      });
    });
    return self;
  }

  /** Resolves once `n` requests have arrived (rejects after `timeoutMs`). */
  async waitFor(n: number, timeoutMs = 10_000): Promise<RecordedPost[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.posts.length < n) {
      if (Date.now() > deadline) throw new Error(`received ${this.posts.length} of ${n} requests within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.posts;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

const TLS_DIR = join(__dirname, 'tls');

/** The test certificate and key (self-signed, `localhost` and `127.0.0.1`). */
export function testTlsMaterial(): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(join(TLS_DIR, 'smtp-test.crt')), key: readFileSync(join(TLS_DIR, 'smtp-test.key')) };
}

export interface SmtpMessage {
  from: string;
  /** The MAIL FROM line's parameters (`BODY=8BITMIME` …). */
  mailParams: string;
  to: string[];
  /** The message as sent, dot-stuffing undone, without the final `.` line. */
  data: string;
  /** Whether it came over TLS. */
  tls: boolean;
  /** The user that authenticated, if any. */
  user?: string;
}

export interface FakeSmtpOptions {
  /** Offer STARTTLS. */
  starttls?: boolean;
  /** TLS from the first byte (as on port 465). */
  implicitTls?: boolean;
  /** AUTH mechanisms offered (`PLAIN LOGIN CRAM-MD5`), and the users (password, also the CRAM-MD5 secret). */
  auth?: { mechanisms: string[]; users: Record<string, string> };
  /** More EHLO keywords (`8BITMIME`, `SMTPUTF8`). */
  extensions?: string[];
  /** Refuse EHLO (the client must fall back to HELO). */
  refuseEhlo?: boolean;
  /** Answer this reply to the first command with this verb (`RCPT`, `MAIL`, `DATA`, `.`). */
  failOn?: { verb: string; reply: string };
}

/** An SMTP server on 127.0.0.1 that records what it receives. */
export class FakeSmtpServer {
  readonly messages: SmtpMessage[] = [];
  /** Every command line received, in order (AUTH responses included). */
  readonly commands: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: NetServer,
    readonly port: number,
    private readonly options: FakeSmtpOptions,
  ) {}

  static async start(options: FakeSmtpOptions = {}): Promise<FakeSmtpServer> {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no TCP address');
    const self = new FakeSmtpServer(server, address.port, options);
    server.on('connection', (socket: Socket) => self.session(socket));
    return self;
  }

  get smarthost(): string {
    return `127.0.0.1:${this.port}`;
  }

  private session(raw: Socket): void {
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    const { cert, key } = testTlsMaterial();
    let socket: Socket = this.options.implicitTls ? new TLSSocket(raw, { isServer: true, cert, key }) : raw;
    let tls = !!this.options.implicitTls;
    let buffer = '';
    let mode: 'command' | 'data' | 'auth' = 'command';
    let authStep: ((line: string) => void) | undefined;
    let user: string | undefined;
    let message: Omit<SmtpMessage, 'data'> | undefined;
    let data = '';
    let failed = false;
    const reply = (line: string): void => void socket.write(`${line}\r\n`);
    const failing = (verb: string): boolean => {
      if (failed || this.options.failOn?.verb !== verb) return false;
      failed = true;
      reply(this.options.failOn.reply);
      return true;
    };
    const ehlo = (name: string): void => {
      const lines = [`fake.smtp greets ${name}`, ...(this.options.extensions ?? [])];
      if (this.options.starttls && !tls) lines.push('STARTTLS');
      if (this.options.auth) lines.push(`AUTH ${this.options.auth.mechanisms.join(' ')}`);
      lines.forEach((l, i) => reply(`250${i === lines.length - 1 ? ' ' : '-'}${l}`));
    };
    const users = this.options.auth?.users ?? {};
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
    const authOk = (u: string | undefined, ok: boolean): void => {
      mode = 'command';
      authStep = undefined;
      if (ok) {
        user = u;
        reply('235 2.7.0 Authentication successful');
      } else reply('535 5.7.8 Authentication credentials invalid');
    };
    const onLine = (line: string): void => {
      if (mode === 'data') {
        if (line === '.') {
          mode = 'command';
          if (failing('.')) return;
          this.messages.push({ ...message!, data });
          message = undefined;
          reply('250 2.0.0 queued');
          return;
        }
        data += `${line.startsWith('.') ? line.slice(1) : line}\r\n`;
        return;
      }
      this.commands.push(line);
      if (mode === 'auth') {
        if (line === '*') {
          mode = 'command';
          reply('501 5.7.0 cancelled');
          return;
        }
        authStep!(line);
        return;
      }
      const [verb, ...rest] = line.split(' ');
      const arg = rest.join(' ');
      const upper = verb.toUpperCase();
      if (failing(upper)) return;
      switch (upper) {
        case 'EHLO':
          if (this.options.refuseEhlo) reply('502 5.5.2 command not recognized');
          else ehlo(arg);
          return;
        case 'HELO':
          reply('250 fake.smtp');
          return;
        case 'STARTTLS':
          reply('220 2.0.0 ready to start TLS');
          socket.removeAllListeners('data');
          socket = new TLSSocket(socket, { isServer: true, cert, key });
          tls = true;
          socket.on('data', onData);
          socket.on('error', () => undefined);
          return;
        case 'AUTH': {
          const [mech, initial] = arg.split(' ');
          if (mech === 'PLAIN') {
            const check = (resp: string): void => {
              const [, u, p] = unb64(resp).split('\0');
              authOk(u, users[u] !== undefined && users[u] === p);
            };
            if (initial) check(initial);
            else {
              mode = 'auth';
              authStep = check;
              reply('334 ');
            }
          } else if (mech === 'LOGIN') {
            mode = 'auth';
            let u = '';
            authStep = (l) => {
              u = unb64(l);
              reply(`334 ${b64('Password:')}`);
              authStep = (p) => authOk(u, users[u] !== undefined && users[u] === unb64(p));
            };
            reply(`334 ${b64('Username:')}`);
          } else if (mech === 'CRAM-MD5') {
            mode = 'auth';
            const challenge = '<1896.697170952@fake.smtp>';
            authStep = (l) => {
              const [u, digest] = unb64(l).split(' ');
              authOk(u, users[u] !== undefined && createHmac('md5', users[u]).update(challenge).digest('hex') === digest);
            };
            reply(`334 ${b64(challenge)}`);
          } else reply('504 5.5.4 unrecognized authentication type');
          return;
        }
        case 'MAIL': {
          const m = /^FROM:<([^>]*)>\s*(.*)$/i.exec(arg);
          message = { from: m?.[1] ?? '', mailParams: m?.[2] ?? '', to: [], tls, user };
          reply('250 2.1.0 ok');
          return;
        }
        case 'RCPT':
          message?.to.push(/^TO:<([^>]*)>/i.exec(arg)?.[1] ?? '');
          reply('250 2.1.5 ok');
          return;
        case 'DATA':
          mode = 'data';
          data = '';
          reply('354 end data with <CR><LF>.<CR><LF>');
          return;
        case 'QUIT':
          reply('221 2.0.0 bye');
          socket.end();
          return;
        default:
          reply('502 5.5.2 command not recognized');
      }
    };
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      let i: number;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        onLine(line);
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    raw.on('error', () => undefined);
    reply('220 fake.smtp ESMTP ready');
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
