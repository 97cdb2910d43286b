import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'panoptes');

export interface Started {
  child: ChildProcess;
  httpPort: number;
  grpcPort: number;
  /** Milliseconds from spawn to the first 200 from /ready. */
  readyAfterMs: number;
  output: () => string;
}

/**
 * Spawns bin/panoptes with the flags, on free ports, and waits until /ready answers 200. `root` is
 * the tree holding bin/ and dist/: the checkout, or a staged image tree (`tools/image/stage`).
 */
export async function startPanoptes(flags: string[], timeoutMs = 20_000, app = 'panoptes', root = ROOT): Promise<Started> {
  if (!existsSync(join(root, 'dist', 'apps', app, 'src', 'main.js'))) {
    throw new Error('the binaries are not built; run `npm run build` (npm test does it first)');
  }
  const t0 = Date.now();
  const child = spawn(join(root, 'bin', 'panoptes'), ['-server.http-listen-port=0', '-server.grpc-listen-port=0', '-server.http-listen-address=127.0.0.1', '-server.grpc-listen-address=127.0.0.1', ...flags], {
    cwd: root,
    env: { ...process.env, PANOPTES_APP: app },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = t0 + timeoutMs;
  let httpPort = 0;
  let grpcPort = 0;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`panoptes exited with ${child.exitCode} before it was ready:\n${out}`);
    if (!httpPort) {
      // Ports 0 are chosen by the OS; the servers log the ones they got.
      const http = /msg="HTTP server listening" addr=[\d.]+:(\d+)/.exec(out);
      const grpc = /msg="gRPC server listening" addr=[\d.]+:(\d+)/.exec(out);
      if (http && grpc) {
        httpPort = Number(http[1]);
        grpcPort = Number(grpc[1]);
      }
    }
    if (httpPort) {
      const res = await fetch(`http://127.0.0.1:${httpPort}/ready`).catch(() => undefined);
      if (res?.status === 200) {
        return { child, httpPort, grpcPort, readyAfterMs: Date.now() - t0, output: () => out };
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`panoptes was not ready within ${timeoutMs} ms:\n${out}`);
}

/** Sends a signal and resolves with the exit code. */
export function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

/** Runs bin/panoptes to completion (for flags that make it exit). */
export function runToExit(flags: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, flags, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}
