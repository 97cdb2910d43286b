/**
 * Structured logger. Output is logfmt by default (or JSON): a constant `msg`, values in fields.
 * Fixed fields come first in this order: ts, level, component, tenant, trace_id, msg.
 * Log once at the boundary; libraries take a Logger and add context with `with()`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';
export type LogValue = string | number | boolean | bigint | null | undefined | Error | Date | readonly unknown[];
export type LogFields = Record<string, LogValue | unknown>;

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const LEADING = ['component', 'tenant', 'trace_id'] as const;

export interface LogSink {
  write(line: string): void;
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  with(fields: LogFields): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  sink?: LogSink;
  now?: () => Date;
}

export function isLogLevel(v: string): v is LogLevel {
  return v in LEVELS;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const sink = options.sink ?? { write: (line: string) => process.stderr.write(line) };
  return new StructuredLogger(
    LEVELS[options.level ?? 'info'],
    options.format ?? 'logfmt',
    sink,
    options.now ?? (() => new Date()),
    {},
  );
}

/** A logger that drops everything: for tests and for code paths that must not log. */
export const nopLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  with: () => nopLogger,
  enabled: () => false,
};

class StructuredLogger implements Logger {
  constructor(
    private readonly minLevel: number,
    private readonly format: LogFormat,
    private readonly sink: LogSink,
    private readonly now: () => Date,
    private readonly context: LogFields,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  with(fields: LogFields): Logger {
    return new StructuredLogger(this.minLevel, this.format, this.sink, this.now, { ...this.context, ...fields });
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.minLevel;
  }

  private log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (LEVELS[level] < this.minLevel) return;
    const all: LogFields = fields ? { ...this.context, ...fields } : this.context;
    const entries: [string, unknown][] = [
      ['ts', this.now().toISOString()],
      ['level', level],
    ];
    for (const key of LEADING) if (all[key] !== undefined) entries.push([key, all[key]]);
    entries.push(['msg', msg]);
    for (const [key, value] of Object.entries(all)) {
      if (value === undefined || (LEADING as readonly string[]).includes(key)) continue;
      entries.push([key, value]);
    }
    this.sink.write(this.format === 'json' ? formatJson(entries) : formatLogfmt(entries));
  }
}

function stringify(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (value instanceof Date) return value.toISOString();
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const NEEDS_QUOTES = /[\s"=\\]|^$/;

function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

export function formatLogfmt(entries: [string, unknown][]): string {
  let line = '';
  for (const [key, value] of entries) {
    const s = stringify(value);
    const v = NEEDS_QUOTES.test(s) || hasControlChars(s) ? JSON.stringify(s) : s;
    line += (line ? ' ' : '') + key + '=' + v;
  }
  return line + '\n';
}

function formatJson(entries: [string, unknown][]): string {
  const obj: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    obj[key] = value instanceof Error || value instanceof Date ? stringify(value) : value;
  }
  return JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
}
