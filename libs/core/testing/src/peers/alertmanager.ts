import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port';
import { ManagedProcess } from './managed-process';
import { type AmtoolOptions, type ToolResult, amtool, requireTool } from './run-tool';

export interface AlertmanagerOptions {
  /** The whole alertmanager.yml, as YAML text or as an object; built from `webhookUrl` when absent. */
  config?: string | Record<string, unknown>;
  /** Where the default config's single receiver POSTs notifications; no receiver integration when absent. */
  webhookUrl?: string;
  /** More command-line flags, appended last. */
  extraArgs?: string[];
  /** Milliseconds to wait for `/-/ready`. */
  startTimeoutMs?: number;
  /** prometheus-alertmanager binary; found on PATH by default. */
  alertmanagerPath?: string;
}

/**
 * A minimal alertmanager.yml: one route to one receiver ("webhook", with a webhook_config when a
 * URL is given), grouping by alertname, short waits so notifications arrive within a test.
 */
export function alertmanagerConfigYaml(webhookUrl?: string): string {
  return stringify({
    route: {
      receiver: 'webhook',
      group_by: ['alertname'],
      group_wait: '100ms',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [
      webhookUrl ? { name: 'webhook', webhook_configs: [{ url: webhookUrl, send_resolved: true }] } : { name: 'webhook' },
    ],
  });
}

/** A running Alertmanager on 127.0.0.1, clustering disabled. */
export class AlertmanagerPeer {
  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly configFile: string,
    readonly process: ManagedProcess,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `amtool <args>` against this Alertmanager. */
  amtool(args: readonly string[], options: Omit<AmtoolOptions, 'alertmanagerUrl'> = {}): Promise<ToolResult> {
    return amtool(args, { ...options, alertmanagerUrl: this.url });
  }

  stop(): Promise<unknown> {
    return this.process.stop();
  }
}

/**
 * Starts `prometheus-alertmanager` with its config and state in a fresh temp dir (removed on
 * stop), on a free 127.0.0.1 port, gossip off (`--cluster.listen-address=`), and waits for
 * `/-/ready`. Registered, so `stopAllPeers()` ends it if the test does not.
 */
export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<AlertmanagerPeer> {
  const binary = options.alertmanagerPath ?? requireTool('prometheus-alertmanager');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  const dataDir = join(dir, 'data');
  const config = options.config ?? alertmanagerConfigYaml(options.webhookUrl);
  try {
    writeFileSync(configFile, typeof config === 'string' ? config : stringify(config));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const args = [
    `--config.file=${configFile}`,
    `--storage.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    ...(options.extraArgs ?? []),
  ];
  const proc = ManagedProcess.start({
    name: `alertmanager:127.0.0.1:${port}`,
    command: binary,
    args,
    cwd: dir,
    cleanupPaths: [dir],
  });
  try {
    await proc.waitForHttp(`http://127.0.0.1:${port}/-/ready`, 200, options.startTimeoutMs ?? 15_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return new AlertmanagerPeer(port, dataDir, configFile, proc);
}
