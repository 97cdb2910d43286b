import { freePort } from './free-port';
import { ManagedProcess } from './managed-process';
import { requireTool } from './run-tool';

/**
 * Collectors that work unprivileged in a container and answer in milliseconds. The defaults of
 * node exporter 1.5 include some that fail there every scrape (systemd needs D-Bus; hwmon, rapl,
 * thermal_zone need sysfs entries containers hide) and only add noise to the logs.
 */
export const CONTAINER_SAFE_NODE_COLLECTORS: readonly string[] = [
  'cpu',
  'filefd',
  'loadavg',
  'meminfo',
  'netdev',
  'stat',
  'time',
  'uname',
  'vmstat',
];

export interface NodeExporterOptions {
  /** Collectors to enable (all others off); `'defaults'` keeps node exporter's own set. */
  collectors?: readonly string[] | 'defaults';
  /** More command-line flags, appended last. */
  extraArgs?: string[];
  /** Milliseconds to wait for `/metrics`. */
  startTimeoutMs?: number;
  /** prometheus-node-exporter binary; found on PATH by default. */
  nodeExporterPath?: string;
}

export interface NodeExporterPeer {
  url: string;
  port: number;
  /** `127.0.0.1:<port>`, the form scrape configs want. */
  address: string;
  process: ManagedProcess;
  stop(): Promise<unknown>;
}

/** Starts `prometheus-node-exporter` on a free 127.0.0.1 port and waits for `/metrics`. */
export async function startNodeExporter(options: NodeExporterOptions = {}): Promise<NodeExporterPeer> {
  const binary = options.nodeExporterPath ?? requireTool('prometheus-node-exporter');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const collectors = options.collectors ?? CONTAINER_SAFE_NODE_COLLECTORS;
  const args = [`--web.listen-address=${address}`];
  if (collectors !== 'defaults') {
    args.push('--collector.disable-defaults', ...collectors.map((c) => `--collector.${c}`));
  }
  args.push(...(options.extraArgs ?? []));
  const proc = ManagedProcess.start({ name: `node-exporter:${address}`, command: binary, args });
  try {
    await proc.waitForHttp(`http://${address}/metrics`, 200, options.startTimeoutMs ?? 15_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url: `http://${address}`, port, address, process: proc, stop: () => proc.stop() };
}
