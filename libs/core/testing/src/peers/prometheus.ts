import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port';
import { HeaderProxy } from './header-proxy';
import { ManagedProcess } from './managed-process';
import { PromApiClient } from './prom-api-client';
import { requireTool } from './run-tool';

export interface PrometheusScrapeConfig {
  jobName: string;
  /** `host:port` of each target. */
  targets: string[];
  /** Scrape interval in milliseconds; the global interval when absent. */
  intervalMs?: number;
  /** Scrape timeout in milliseconds; at most the interval. */
  timeoutMs?: number;
  /** Defaults to `/metrics`. */
  metricsPath?: string;
  /** Extra labels attached to every target of the job. */
  labels?: Record<string, string>;
  honorLabels?: boolean;
}

export interface PrometheusQueueConfig {
  /** Samples buffered per shard before reading the WAL blocks. */
  capacity?: number;
  minShards?: number;
  maxShards?: number;
  maxSamplesPerSend?: number;
  /** Longest wait in milliseconds before a partial batch is sent. */
  batchSendDeadlineMs?: number;
  /** First retry delay in milliseconds; doubles per retry up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Retry on HTTP 429 (Prometheus 2.42 default: false, the batch is dropped). */
  retryOnHttp429?: boolean;
}

export interface PrometheusMetadataConfig {
  /** Send metric metadata (separate requests without samples). Prometheus default: true. */
  send?: boolean;
  /** Milliseconds between metadata sends. */
  sendIntervalMs?: number;
  maxSamplesPerSend?: number;
}

export interface PrometheusRemoteWriteConfig {
  url: string;
  name?: string;
  /** Extra request headers, e.g. `{ 'X-Scope-OrgID': 't1' }` (Prometheus refuses reserved ones). */
  headers?: Record<string, string>;
  /**
   * Deliver `headers` through a HeaderProxy in front of `url` (startPrometheus only). Default true:
   * Debian's prometheus 2.42.0+ds accepts `headers` but never sends them (prometheus#13030).
   */
  headerProxy?: boolean;
  /** Per-request timeout in milliseconds. */
  remoteTimeoutMs?: number;
  queueConfig?: PrometheusQueueConfig;
  metadataConfig?: PrometheusMetadataConfig;
  sendExemplars?: boolean;
  /** `write_relabel_configs` entries, in Prometheus's own YAML shape. */
  writeRelabelConfigs?: Record<string, unknown>[];
}

export interface PrometheusConfigOptions {
  scrapeConfigs?: PrometheusScrapeConfig[];
  remoteWrite?: PrometheusRemoteWriteConfig[];
  /** Global scrape (and rule evaluation) interval in milliseconds; 1000 (tests want data fast). */
  globalScrapeIntervalMs?: number;
  /** Labels added to every series sent over remote write (not stored locally). */
  externalLabels?: Record<string, string>;
  /** Top-level keys merged into the generated file as they are (rule_files, alerting…). */
  extraConfig?: Record<string, unknown>;
}

export interface PrometheusOptions extends PrometheusConfigOptions {
  /** Serve `POST /api/v1/write` too (`--web.enable-remote-write-receiver`). */
  remoteWriteReceiver?: boolean;
  /** `--web.enable-admin-api` (delete series, snapshots); on by default. */
  adminApi?: boolean;
  /** `--storage.tsdb.retention.time` in milliseconds; Prometheus's 15 d when absent. */
  retentionMs?: number;
  /** How long remote-write queues may flush on shutdown, in milliseconds (default 1000 keeps stop() fast). */
  flushDeadlineMs?: number;
  /** More command-line flags, appended last. */
  extraArgs?: string[];
  /** Milliseconds to wait for `/-/ready`. */
  startTimeoutMs?: number;
  /** prometheus binary; found on PATH by default. */
  prometheusPath?: string;
}

/** A Prometheus duration string for milliseconds: `1s`, `250ms`. */
export function promDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`duration must be a non-negative integer of ms, got ${ms}`);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The `prometheus.yml` text for these options (pure; `promtool check config` accepts it). */
export function prometheusConfigYaml(options: PrometheusConfigOptions): string {
  const interval = promDuration(options.globalScrapeIntervalMs ?? 1000);
  const global: Record<string, unknown> = { scrape_interval: interval, evaluation_interval: interval };
  if (options.externalLabels) global.external_labels = options.externalLabels;

  const config: Record<string, unknown> = {
    global,
    scrape_configs: (options.scrapeConfigs ?? []).map((s) =>
      compact({
        job_name: s.jobName,
        scrape_interval: ms(s.intervalMs),
        scrape_timeout: ms(s.timeoutMs),
        metrics_path: s.metricsPath,
        honor_labels: s.honorLabels,
        static_configs: [compact({ targets: s.targets, labels: s.labels })],
      }),
    ),
    remote_write: (options.remoteWrite ?? []).map((r) =>
      compact({
        url: r.url,
        name: r.name,
        remote_timeout: ms(r.remoteTimeoutMs),
        headers: r.headers,
        send_exemplars: r.sendExemplars,
        write_relabel_configs: r.writeRelabelConfigs,
        queue_config: r.queueConfig
          ? compact({
              capacity: r.queueConfig.capacity,
              min_shards: r.queueConfig.minShards,
              max_shards: r.queueConfig.maxShards,
              max_samples_per_send: r.queueConfig.maxSamplesPerSend,
              batch_send_deadline: ms(r.queueConfig.batchSendDeadlineMs),
              min_backoff: ms(r.queueConfig.minBackoffMs),
              max_backoff: ms(r.queueConfig.maxBackoffMs),
              retry_on_http_429: r.queueConfig.retryOnHttp429,
            })
          : undefined,
        metadata_config: r.metadataConfig
          ? compact({
              send: r.metadataConfig.send,
              send_interval: ms(r.metadataConfig.sendIntervalMs),
              max_samples_per_send: r.metadataConfig.maxSamplesPerSend,
            })
          : undefined,
      }),
    ),
    ...options.extraConfig,
  };
  return stringify(config);
}

/** A running Prometheus on 127.0.0.1 with its query API. */
export class PrometheusPeer extends PromApiClient {
  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly configFile: string,
    readonly process: ManagedProcess,
    /** Header proxies in front of remote-write URLs, stopped with Prometheus. */
    readonly headerProxies: readonly HeaderProxy[] = [],
  ) {
    super(`http://127.0.0.1:${port}`);
  }

  get url(): string {
    return this.baseUrl;
  }

  /** Where to POST remote-write requests (served only with `remoteWriteReceiver`). */
  get remoteWriteUrl(): string {
    return `${this.baseUrl}/api/v1/write`;
  }

  /** Active scrape targets as `/api/v1/targets` reports them. */
  async activeTargets(): Promise<{ labels: Record<string, string>; health: string; lastError: string }[]> {
    const data = await this.get<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] }>(
      '/api/v1/targets',
      [['state', 'active']],
    );
    return data.activeTargets;
  }

  /** Stops Prometheus (flushing its queues for at most flushDeadlineMs), then its header proxies. */
  async stop(): Promise<unknown> {
    const exit = await this.process.stop();
    await Promise.all(this.headerProxies.map((p) => p.stop()));
    return exit;
  }
}

/**
 * Starts `prometheus` with a generated config, its TSDB in a fresh temp dir (removed on stop),
 * listening on a free 127.0.0.1 port, and waits for `/-/ready`. The process is registered, so
 * `stopAllPeers()` ends it if the test does not.
 */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusPeer> {
  const binary = options.prometheusPath ?? requireTool('prometheus');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  const dataDir = join(dir, 'data');
  const proxies: HeaderProxy[] = [];
  const abandon = async (): Promise<void> => {
    await Promise.all(proxies.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const remoteWrite: PrometheusRemoteWriteConfig[] = [];
    for (const rw of options.remoteWrite ?? []) {
      if (!rw.headers || Object.keys(rw.headers).length === 0 || rw.headerProxy === false) {
        remoteWrite.push(rw);
        continue;
      }
      const proxy = await HeaderProxy.start(rw.url, rw.headers);
      proxies.push(proxy);
      remoteWrite.push({ ...rw, url: proxy.url });
    }
    writeFileSync(configFile, prometheusConfigYaml({ ...options, remoteWrite }));
  } catch (err) {
    await abandon();
    throw err;
  }
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--storage.remote.flush-deadline=${promDuration(options.flushDeadlineMs ?? 1000)}`,
    // The Debian defaults point at /etc/prometheus, which may not exist; the UI is not needed.
    `--web.console.templates=${dir}`,
    `--web.console.libraries=${dir}`,
    '--log.level=info',
  ];
  if (options.remoteWriteReceiver) args.push('--web.enable-remote-write-receiver');
  if (options.adminApi ?? true) args.push('--web.enable-admin-api');
  if (options.retentionMs !== undefined) args.push(`--storage.tsdb.retention.time=${promDuration(options.retentionMs)}`);
  args.push(...(options.extraArgs ?? []));

  const proc = ManagedProcess.start({
    name: `prometheus:127.0.0.1:${port}`,
    command: binary,
    args,
    cwd: dir,
    cleanupPaths: [dir],
  });
  const peer = new PrometheusPeer(port, dataDir, configFile, proc, proxies);
  try {
    await proc.waitForHttp(`http://127.0.0.1:${port}/-/ready`, 200, options.startTimeoutMs ?? 20_000);
  } catch (err) {
    await peer.stop();
    throw err;
  }
  return peer;
}

function ms(value: number | undefined): string | undefined {
  return value === undefined ? undefined : promDuration(value);
}

/** Drops undefined fields so the YAML only carries what the caller set. */
function compact(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}
