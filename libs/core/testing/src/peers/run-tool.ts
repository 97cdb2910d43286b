import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { findOnPath } from '../tools';
import { PeerError } from './peer-error';
import { type PeerHandle, registerPeer, unregisterPeer } from './peer-registry';
import { orphanSafe } from './spawn';

export interface ToolResult {
  /** Exit code; null only when the tool was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunToolOptions {
  /** The run is SIGKILLed and rejected after this many milliseconds. */
  timeoutMs?: number;
  /** Written to the tool's stdin, which is then closed (closed at once when absent). */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Bytes kept per stream; the rest is dropped and marked. */
  maxOutputBytes?: number;
}

/**
 * Runs a short-lived program to completion and returns its exit code and output. A non-zero exit
 * is a result, not an error (tests assert on it); failing to start or timing out rejects with a
 * PeerError carrying what the tool printed so far.
 */
export function runTool(command: string, args: readonly string[], options: RunToolOptions = {}): Promise<ToolResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBytes = options.maxOutputBytes ?? 4 * 1024 * 1024;
  const label = `${basename(command)} ${args.join(' ')}`.slice(0, 200);
  const { file, argv } = orphanSafe(command, args);
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: false,
  });
  const stdout = new BoundedText(maxBytes);
  const stderr = new BoundedText(maxBytes);
  child.stdout.on('data', (c: Buffer) => stdout.add(c));
  child.stderr.on('data', (c: Buffer) => stderr.add(c));
  child.stdin.on('error', () => undefined); // the tool may exit without reading its input
  child.stdin.end(options.input ?? '');

  return new Promise<ToolResult>((resolve, reject) => {
    let settled = false;
    const handle: PeerHandle = {
      name: label,
      stop: async () => {
        child.kill('SIGKILL');
        await done;
      },
      killNow: () => child.kill('SIGKILL'),
    };
    const tail = (): string => `${stdout.text()}${stderr.text()}`.split('\n').slice(-40).join('\n');
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unregisterPeer(handle);
      fn();
    };
    const done = new Promise<void>((r) => child.once('close', () => r()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new PeerError('peer_timeout', `${label}: still running after ${timeoutMs} ms; killed`, tail())));
    }, timeoutMs);
    registerPeer(handle);
    child.once('error', (err) =>
      finish(() => reject(new PeerError('peer_spawn_failed', `${label}: could not be started: ${err.message}`, tail()))),
    );
    child.once('close', (code, signal) =>
      finish(() => resolve({ code, signal, stdout: stdout.text(), stderr: stderr.text() })),
    );
  });
}

/** The absolute path of a peer tool, or a PeerError saying how to install it. */
export function requireTool(name: string): string {
  const path = findOnPath(name);
  if (!path) {
    throw new PeerError('peer_spawn_failed', `${name} is not on PATH; install the peers with tools/install-peers`);
  }
  return path;
}

export interface PromtoolOptions extends RunToolOptions {
  /** promtool binary; found on PATH by default. */
  promtoolPath?: string;
}

/** Runs `promtool <args>` (Prometheus's own checker and query CLI). */
export function promtool(args: readonly string[], options: PromtoolOptions = {}): Promise<ToolResult> {
  return runTool(options.promtoolPath ?? requireTool('promtool'), args, options);
}

export interface AmtoolOptions extends RunToolOptions {
  /** Base URL of the Alertmanager API amtool talks to (`--alertmanager.url`); omit for offline commands such as check-config. */
  alertmanagerUrl?: string;
  /** amtool binary; found on PATH by default. */
  amtoolPath?: string;
}

/** Runs `amtool <args>`, pointed at `alertmanagerUrl` when given. */
export function amtool(args: readonly string[], options: AmtoolOptions = {}): Promise<ToolResult> {
  const urlArgs = options.alertmanagerUrl ? [`--alertmanager.url=${options.alertmanagerUrl}`] : [];
  return runTool(options.amtoolPath ?? requireTool('amtool'), [...urlArgs, ...args], options);
}

class BoundedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly max: number) {}

  add(chunk: Buffer): void {
    const room = this.max - this.size;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
    this.dropped += chunk.length - kept.length;
  }

  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped ? `${s}\n…[${this.dropped} bytes dropped]\n` : s;
  }
}
