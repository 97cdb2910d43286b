import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, freePort } from '@panoptes/testing';
import { BIN, ROOT } from '../process';

export interface PanoptesServerOptions {
  /**
   * Flags after the harness's own (ports, addresses, data dirs); a later flag wins over an earlier
   * one. A function is called at each start, so flags may name other servers' ports chosen later.
   */
  flags?: string[] | ((server: PanoptesServer) => string[]);
  /** Name of the process in errors and diagnostics (e.g. `ingester-zone-a`); `panoptes` by default. */
  label?: string;
  /** Prefix of the temp dir; the dir holds objects/, ingest/ and tsdb/. */
  name?: string;
  /** Milliseconds to wait for `/ready` to answer 200 after each spawn. */
  readyTimeoutMs?: number;
}

/**
 * `bin/panoptes` as a child process that can be killed and started again on the same ports and
 * data dirs (a crash and a restart of one machine). The ports are chosen once, free at creation;
 * the data dirs live in one temp dir, removed by `dispose()`.
 *
 *   created ──start()──▶ running ──kill()/stop()──▶ down ──start()──▶ running …
 *                                                    └──dispose()──▶ disposed
 *
 * Each spawn is a `ManagedProcess` (registered peer, `setpriv --pdeathsig KILL`), so a failing test
 * leaves no process behind even when `dispose()` is never reached.
 */
export class PanoptesServer {
  private proc: ManagedProcess | undefined;
  /** Output of the previous spawns, kept across restarts for diagnostics. */
  private previousOutput = '';
  private spawns = 0;

  private constructor(
    readonly dir: string,
    readonly httpPort: number,
    readonly grpcPort: number,
    private readonly options: PanoptesServerOptions,
  ) {}

  static async create(options: PanoptesServerOptions = {}): Promise<PanoptesServer> {
    if (!existsSync(join(ROOT, 'dist', 'apps', 'panoptes', 'src', 'main.js'))) {
      throw new Error('the binaries are not built; run `npm run build` (npm test does it first)');
    }
    const httpPort = await freePort();
    let grpcPort = await freePort();
    while (grpcPort === httpPort) grpcPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), `${options.name ?? 'panoptes-e2e'}-`));
    return new PanoptesServer(dir, httpPort, grpcPort, options);
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** `host:port` of the gRPC server (the ingester API in the all-in-one target). */
  get grpcAddress(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Spawns the process and waits for `/ready`; returns the milliseconds from spawn to ready. */
  async start(): Promise<number> {
    if (this.running) throw new Error(`panoptes (pid ${this.pid}) is already running`);
    this.keepOutput();
    const t0 = Date.now();
    this.spawns++;
    this.proc = ManagedProcess.start({
      name: `${this.options.label ?? 'panoptes'}#${this.spawns}:${this.httpPort}`,
      command: BIN,
      args: [
        `-server.http-listen-port=${this.httpPort}`,
        `-server.grpc-listen-port=${this.grpcPort}`,
        '-server.http-listen-address=127.0.0.1',
        '-server.grpc-listen-address=127.0.0.1',
        `-common.storage.filesystem.dir=${join(this.dir, 'objects')}`,
        `-ingest-storage.in-process.dir=${join(this.dir, 'ingest')}`,
        `-blocks-storage.tsdb.dir=${join(this.dir, 'tsdb')}`,
        ...(typeof this.options.flags === 'function' ? this.options.flags(this) : (this.options.flags ?? [])),
      ],
      cwd: ROOT,
      env: { ...process.env, PANOPTES_APP: 'panoptes' },
      outputLines: 5000,
      stopTimeoutMs: 10_000,
    });
    await this.proc.waitForHttp(`${this.url}/ready`, 200, this.options.readyTimeoutMs ?? 30_000);
    return Date.now() - t0;
  }

  /** `kill -9`: no shutdown code runs. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc?.running || proc.pid === undefined) return;
    process.kill(proc.pid, 'SIGKILL');
    await proc.exited;
    await proc.stop(); // unregisters the exited peer
  }

  /** SIGTERM (SIGKILL after 10 s); resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.proc) return null;
    return (await this.proc.stop()).code;
  }

  /** Stops the process if it runs and removes the data dirs. Never throws. */
  async dispose(): Promise<void> {
    await this.kill().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** stdout and stderr of every spawn so far, oldest first. */
  output(): string {
    return this.previousOutput + (this.proc ? `${this.proc.output.tail().join('\n')}\n` : '');
  }

  /** The last `lines` lines of the current spawn's output. */
  outputTail(lines = 40): string {
    return this.proc?.outputTail(lines) ?? '';
  }

  private keepOutput(): void {
    if (!this.proc) return;
    this.previousOutput += `--- ${this.proc.name} ---\n${this.proc.output.tail().join('\n')}\n`;
    this.proc = undefined;
  }
}
