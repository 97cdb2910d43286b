import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { OutputRing } from './output-ring';
import { PeerError } from './peer-error';
import { type PeerHandle, registerPeer, unregisterPeer } from './peer-registry';
import { orphanSafe } from './spawn';

export interface ManagedProcessOptions {
  /** Label used in errors and by `livePeers()`; defaults to the command's base name. */
  name?: string;
  /** Program to run (absolute path or a name on PATH). */
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** Environment of the child; defaults to the test process's environment. */
  env?: NodeJS.ProcessEnv;
  /** How many lines of stdout+stderr are kept for error messages. */
  outputLines?: number;
  /** Files or directories removed once the process has exited (its temp dirs). */
  cleanupPaths?: readonly string[];
  /** Grace period in milliseconds between SIGTERM and SIGKILL in `stop()`. */
  stopTimeoutMs?: number;
}

export interface ProcessExit {
  /** Exit code, or null when the process was ended by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A long-running peer program under test control.
 *
 *   running ──stop()/exit──▶ exited ──cleanup──▶ unregistered
 *
 * Registered from spawn until it has exited and its cleanup paths are removed. Output goes to a
 * bounded ring buffer, and every error it throws carries the ring's last lines.
 */
export class ManagedProcess implements PeerHandle {
  readonly name: string;
  readonly output: OutputRing;
  /** Resolves once the process has exited and its stdout/stderr are closed. Never rejects. */
  readonly exited: Promise<ProcessExit>;

  private readonly child: ChildProcess;
  private readonly cleanupPaths: readonly string[];
  private readonly stopTimeoutMs: number;
  private exitInfo: ProcessExit | undefined;
  private spawnError: Error | undefined;
  private stopping: Promise<ProcessExit> | undefined;

  static start(options: ManagedProcessOptions): ManagedProcess {
    return new ManagedProcess(options);
  }

  private constructor(options: ManagedProcessOptions) {
    this.name = options.name ?? basename(options.command);
    this.output = new OutputRing(options.outputLines ?? 200);
    this.cleanupPaths = options.cleanupPaths ?? [];
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5000;
    const { file, argv } = orphanSafe(options.command, options.args ?? []);
    this.child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: false,
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.output.write('stdout', chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.output.write('stderr', chunk));
    // A forgotten peer must not keep Jest alive: unreferenced, it dies with the exit hook instead.
    this.child.unref();
    unrefStream(this.child.stdout);
    unrefStream(this.child.stderr);
    this.exited = new Promise<ProcessExit>((resolve) => {
      const done = (info: ProcessExit): void => {
        if (this.exitInfo) return;
        this.output.flush();
        this.exitInfo = info;
        resolve(info);
      };
      this.child.once('close', (code, signal) => done({ code, signal }));
      this.child.once('error', (err) => {
        this.spawnError = err;
        done({ code: null, signal: null });
      });
    });
    registerPeer(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Exit status once the process has exited, otherwise undefined. */
  get exitStatus(): ProcessExit | undefined {
    return this.exitInfo;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The last `lines` lines of output, newline-joined. */
  outputTail(lines = 40): string {
    return this.output.tail(lines).join('\n');
  }

  /** An error about this process whose message ends with its last output lines. */
  error(reason: ConstructorParameters<typeof PeerError>[0], message: string): PeerError {
    return new PeerError(reason, `${this.name}: ${message}`, this.outputTail());
  }

  /**
   * Polls `url` until it answers `status`. Fails fast, with the output tail, when the process
   * exits first; fails after `timeoutMs` naming the last answer or connection error seen.
   */
  async waitForHttp(url: string, status = 200, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no attempt';
    for (;;) {
      this.throwIfExited(`exited before ${url} answered HTTP ${status}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw this.error('peer_not_ready', `${url} did not answer HTTP ${status} within ${timeoutMs} ms (last: ${last})`);
      }
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(2000, remaining)) });
        await res.arrayBuffer();
        if (res.status === status) return;
        last = `HTTP ${res.status}`;
      } catch (err) {
        // A last attempt cut short by the deadline says nothing new: keep what the one before saw.
        if (last === 'no attempt' || Date.now() < deadline) last = describeFetchError(err);
      }
      await Promise.race([sleep(50), this.exited]);
    }
  }

  /** Waits until a line of output matches `pattern`; returns that line. */
  async waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.output.tail().find((line) => pattern.test(line));
      if (hit !== undefined) return hit;
      this.throwIfExited(`exited before printing a line matching ${pattern}`);
      if (Date.now() > deadline) {
        throw this.error('peer_timeout', `printed no line matching ${pattern} within ${timeoutMs} ms`);
      }
      await Promise.race([sleep(50), this.exited]);
    }
  }

  /**
   * SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process has exited and its
   * cleanup paths are removed. Idempotent: later calls share the first call's promise.
   */
  stop(timeoutMs = this.stopTimeoutMs): Promise<ProcessExit> {
    this.stopping ??= this.doStop(timeoutMs);
    return this.stopping;
  }

  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
    for (const path of this.cleanupPaths) rmSync(path, { recursive: true, force: true });
  }

  private async doStop(timeoutMs: number): Promise<ProcessExit> {
    let timer: NodeJS.Timeout | undefined;
    if (this.running) {
      this.child.kill('SIGTERM');
      timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    }
    try {
      const exit = await this.exited;
      await Promise.all(this.cleanupPaths.map((p) => rm(p, { recursive: true, force: true, maxRetries: 3 })));
      return exit;
    } finally {
      clearTimeout(timer);
      unregisterPeer(this);
    }
  }

  private throwIfExited(what: string): void {
    if (this.spawnError) {
      throw this.error('peer_spawn_failed', `could not be started: ${this.spawnError.message}`);
    }
    if (this.exitInfo) {
      const { code, signal } = this.exitInfo;
      throw this.error('peer_exited', `${what} (exit code ${code}, signal ${signal})`);
    }
  }
}

/** The most specific name of a fetch failure: the socket error code (ECONNREFUSED…) when there is one. */
function describeFetchError(err: unknown): string {
  // Duck-typed: under Jest, fetch's errors come from another realm and fail `instanceof Error`.
  const e = err as { message?: unknown; cause?: { code?: unknown } } | null;
  if (e?.cause?.code !== undefined) return String(e.cause.code);
  return e?.message !== undefined ? String(e.message) : String(err);
}

function unrefStream(stream: Readable | null): void {
  (stream as (Readable & { unref?: () => void }) | null)?.unref?.();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
