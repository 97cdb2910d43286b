import { createHmac } from 'node:crypto';
import { type Socket, connect as netConnect } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';

/**
 * A small SMTP client with the behaviour of Go's net/smtp, which Alertmanager's email integration
 * uses: greeting, EHLO (HELO when EHLO is refused), STARTTLS, AUTH PLAIN / LOGIN / CRAM-MD5,
 * MAIL FROM (with `BODY=8BITMIME` and `SMTPUTF8` when the server offers them), RCPT TO, DATA with
 * dot-stuffing, QUIT. One command at a time, no pipelining.
 */

/** A reply the server sent that was not the one expected: `535 5.7.8 Authentication failed`. */
export class SmtpReplyError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(`${code} ${text}`);
    this.name = 'SmtpReplyError';
  }
}

interface Reply {
  code: number;
  lines: string[];
}

/** Longest reply line accepted, bytes; SMTP allows 512. */
const MAX_LINE = 4096;

/** Reads CRLF-terminated lines from a socket, one waiter at a time. */
class LineReader {
  private buffer = '';
  private lines: string[] = [];
  private waiter: { resolve: (l: string) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(socket: Socket) {
    this.attach(socket);
  }

  /** Reads from another socket from now on (after STARTTLS). */
  attach(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let i: number;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, i).replace(/\r$/, ''));
        this.buffer = this.buffer.slice(i + 1);
      }
      if (this.buffer.length > MAX_LINE) this.fail(new Error('smtp: reply line too long'));
      this.wake();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('smtp: connection closed by the server')));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    const line = this.lines.shift();
    if (line !== undefined) {
      this.waiter = undefined;
      w.resolve(line);
    } else if (this.failure) {
      this.waiter = undefined;
      w.reject(this.failure);
    }
  }

  readLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.wake();
    });
  }

  /** Drops what was read but not consumed (RFC 3207: nothing read before STARTTLS may be used after it). */
  reset(): void {
    this.lines = [];
    this.buffer = '';
  }
}

export interface SmtpConnectOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465), with these options. */
  implicitTls?: ConnectionOptions;
  signal: AbortSignal;
}

/** Server capabilities from EHLO: keyword (upper case) → parameters. */
export type SmtpExtensions = Map<string, string>;

export class SmtpClient {
  private ext: SmtpExtensions | undefined;
  private didHello = false;
  private localName = 'localhost';
  private tls: boolean;

  private constructor(
    private socket: Socket,
    private readonly reader: LineReader,
    private readonly serverName: string,
    tls: boolean,
  ) {
    this.tls = tls;
  }

  /** Connects and reads the 220 greeting. */
  static async connect(options: SmtpConnectOptions): Promise<SmtpClient> {
    const { host, port, implicitTls, signal } = options;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s: Socket = implicitTls ? tlsConnect({ host, port, servername: host, ...implicitTls }) : netConnect({ host, port });
      const onAbort = (): void => void s.destroy(new Error('smtp: connection aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      s.once(implicitTls ? 'secureConnect' : 'connect', () => resolve(s));
      s.once('error', reject);
      s.once('close', () => signal.removeEventListener('abort', onAbort));
    });
    const client = new SmtpClient(socket, new LineReader(socket), host, !!implicitTls);
    const greeting = await client.readReply();
    if (greeting.code !== 220) {
      client.close();
      throw new SmtpReplyError(greeting.code, greeting.lines.join('\n'));
    }
    return client;
  }

  /** Whether the connection is encrypted (implicit TLS or after STARTTLS). */
  get encrypted(): boolean {
    return this.tls;
  }

  private async readReply(): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.reader.readLine();
      const m = /^(\d{3})([ -])?(.*)$/.exec(line);
      if (!m) throw new Error(`smtp: malformed reply line ${JSON.stringify(line)}`);
      lines.push(m[3]);
      if (m[2] !== '-') return { code: Number(m[1]), lines };
    }
  }

  private write(text: string): void {
    this.socket.write(text);
  }

  /** Sends a command and checks the reply's code starts with `expect` (`2` accepts any 2xx, `250` only 250). */
  private async cmd(expect: string, line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    const reply = await this.readReply();
    if (!String(reply.code).startsWith(expect)) throw new SmtpReplyError(reply.code, reply.lines.join('\n'));
    return reply;
  }

  /** Sets the name sent with EHLO/HELO; must come before any other command (as Go's Client.Hello). */
  async hello(localName: string): Promise<void> {
    if (this.didHello) throw new Error('smtp: Hello called after other methods');
    this.localName = localName;
    await this.ensureHello();
  }

  private async ensureHello(): Promise<void> {
    if (this.didHello) return;
    this.didHello = true;
    try {
      await this.ehlo();
    } catch (err) {
      if (!(err instanceof SmtpReplyError)) throw err;
      await this.cmd('250', `HELO ${this.localName}`);
    }
  }

  private async ehlo(): Promise<void> {
    const reply = await this.cmd('250', `EHLO ${this.localName}`);
    const ext: SmtpExtensions = new Map();
    for (const line of reply.lines.slice(1)) {
      const [key, ...params] = line.split(' ');
      ext.set(key.toUpperCase(), params.join(' '));
    }
    this.ext = ext;
  }

  /** Whether the server offers an extension, and its parameters (`AUTH` → `PLAIN LOGIN`). */
  async extension(name: string): Promise<{ ok: boolean; params: string }> {
    await this.ensureHello();
    const params = this.ext?.get(name.toUpperCase());
    return { ok: params !== undefined, params: params ?? '' };
  }

  /** STARTTLS, then EHLO again over the encrypted connection. */
  async startTls(options: ConnectionOptions): Promise<void> {
    await this.ensureHello();
    await this.cmd('220', 'STARTTLS');
    this.reader.reset();
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, servername: this.serverName, ...options });
      s.once('secureConnect', () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secure;
    this.reader.attach(secure);
    this.tls = true;
    await this.ehlo();
  }

  /** AUTH with a mechanism; `next` answers each 334 challenge (decoded) with the response to send. */
  async auth(mechanism: string, initial: string | undefined, next: (challenge: string) => string): Promise<void> {
    await this.ensureHello();
    const encode = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
    let reply = await this.send(initial === undefined ? `AUTH ${mechanism}` : `AUTH ${mechanism} ${encode(initial)}`.trim());
    for (;;) {
      if (reply.code === 235) return;
      if (reply.code !== 334) throw new SmtpReplyError(reply.code, reply.lines.join('\n'));
      let answer: string;
      try {
        answer = next(Buffer.from(reply.lines.join(''), 'base64').toString('utf8'));
      } catch (err) {
        await this.send('*').catch(() => undefined);
        throw err;
      }
      reply = await this.send(encode(answer));
    }
  }

  private async send(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.readReply();
  }

  async mail(from: string): Promise<void> {
    await this.ensureHello();
    let line = `MAIL FROM:<${from}>`;
    if (this.ext?.has('8BITMIME')) line += ' BODY=8BITMIME';
    if (this.ext?.has('SMTPUTF8')) line += ' SMTPUTF8';
    await this.cmd('250', line);
  }

  async rcpt(to: string): Promise<void> {
    await this.cmd('25', `RCPT TO:<${to}>`);
  }

  /** DATA: sends the message (CRLF line ends; lines starting with "." are dot-stuffed) and its end. */
  async data(message: string): Promise<void> {
    await this.cmd('354', 'DATA');
    let body = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    if (!body.endsWith('\r\n')) body += '\r\n';
    this.write(`${body}.\r\n`);
    const reply = await this.readReply();
    if (reply.code !== 250) throw new SmtpReplyError(reply.code, reply.lines.join('\n'));
  }

  async quit(): Promise<void> {
    try {
      await this.cmd('221', 'QUIT');
    } finally {
      this.close();
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Go's smtp.PlainAuth: refused over an unencrypted connection to anything but localhost. */
export function plainAuthResponse(identity: string, username: string, password: string, encrypted: boolean, host: string): string {
  if (!encrypted && !['localhost', '127.0.0.1', '::1'].includes(host)) throw new Error('unencrypted connection');
  return `${identity}\0${username}\0${password}`;
}

/** Alertmanager's LOGIN auth: answers the `Username:` and `Password:` challenges. */
export function loginAuthNext(username: string, password: string): (challenge: string) => string {
  return (challenge) => {
    switch (challenge.toLowerCase()) {
      case 'username:':
        return username;
      case 'password:':
        return password;
      default:
        throw new Error('unexpected server challenge');
    }
  };
}

/** CRAM-MD5: `username HMAC-MD5(secret, challenge)` in hex. */
export function cramMd5Next(username: string, secret: string): (challenge: string) => string {
  return (challenge) => `${username} ${createHmac('md5', secret).update(challenge).digest('hex')}`;
}
