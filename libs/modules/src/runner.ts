import { ConfigError, defaults, loadConfig, renderConfigYaml, renderFlagHelp } from '@panoptes/config';
import { errorMessage } from '@panoptes/common';
import { createLogger, Logger } from '@panoptes/log';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ServiceManager } from '@panoptes/services';
import { panoptesConfigSpec, PanoptesConfig } from './config';
import { buildModules, ProcessWiring } from './wiring';

export interface RunOptions {
  argv: string[];
  env: Record<string, string | undefined>;
  /** Set by the single-component apps: the target is fixed and -target may not say otherwise. */
  fixedTarget?: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Registers the handler that stops the process on SIGTERM/SIGINT. */
  onShutdownSignal: (handler: (signal: string) => void) => void;
}

export interface RunningProcess {
  config: PanoptesConfig;
  wiring: ProcessWiring;
  manager: ServiceManager;
  logger: Logger;
  registry: Registry;
}

/** Builds every module of the configured targets; nothing is started yet. */
export async function buildProcess(config: PanoptesConfig, logger: Logger, registry = new Registry()): Promise<RunningProcess> {
  const wiring = await buildModules(config, logger, registry);
  const manager = new ServiceManager(wiring.services, logger.with({ component: 'service-manager' }));
  const status = {
    ready: () => manager.isHealthy(),
    services: () => manager.states(),
    configYaml: () => renderConfigYaml(panoptesConfigSpec, config),
  };
  wiring.http.setStatusSource(status);
  wiring.grpc.setReadiness(status.ready);
  return { config, wiring, manager, logger, registry };
}

/** Builds every module of the configured targets and starts their services in dependency order. */
export async function startProcess(config: PanoptesConfig, logger: Logger, registry = new Registry()): Promise<RunningProcess> {
  const built = await buildProcess(config, logger, registry);
  await built.manager.startAll();
  return built;
}

/**
 * The whole life of a Panoptes process: load and validate the config (every error at once, exit
 * 1), start the targets' modules, run until SIGTERM/SIGINT or a service fails, stop in reverse
 * order. Returns the exit code.
 */
export async function runPanoptes(options: RunOptions): Promise<number> {
  const started = process.hrtime.bigint();
  let argv = options.argv;
  if (options.fixedTarget) {
    const other = argv.find((a) => /^--?target[= ]?/.test(a) && !a.endsWith(`=${options.fixedTarget}`));
    if (other) {
      options.stderr(`this binary always runs -target=${options.fixedTarget}; use the panoptes binary to choose targets\n`);
      return 1;
    }
    argv = [`-target=${options.fixedTarget}`, ...argv];
  }

  let config: PanoptesConfig;
  try {
    const loaded = loadConfig(panoptesConfigSpec, { argv, env: options.env });
    if (loaded.help) {
      options.stdout(`Usage: panoptes [flags]\n\nFlags:\n${renderFlagHelp(panoptesConfigSpec)}`);
      return 0;
    }
    if (loaded.printDefaults) {
      options.stdout(renderConfigYaml(panoptesConfigSpec, defaults(panoptesConfigSpec)));
      return 0;
    }
    config = loaded.config;
  } catch (err) {
    if (err instanceof ConfigError) {
      options.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }

  const logger = createLogger({ level: config.server.logLevel, format: config.server.logFormat }).with({ component: 'main' });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'panoptes_' });

  for (const warning of singleProcessWarnings(config)) logger.warn(warning);

  let running: RunningProcess;
  try {
    running = await buildProcess(config, logger, registry);
  } catch (err) {
    logger.error('Panoptes failed to start', { err: errorMessage(err) });
    options.stderr(`panoptes: failed to start: ${errorMessage(err)}\n`);
    return 1;
  }
  // Registered before starting: a SIGTERM during a long start (WAL replay, Kafka retries) still
  // stops what already started, in reverse order, instead of killing the process outright.
  options.onShutdownSignal((signal) => {
    logger.info('shutting down', { signal });
    void running.manager.stopAll();
  });
  try {
    await running.manager.startAll();
  } catch (err) {
    logger.error('Panoptes failed to start', { err: errorMessage(err) });
    options.stderr(`panoptes: failed to start: ${errorMessage(err)}\n`);
    return 1;
  }
  const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (!running.manager.stopRequested) logger.info('Panoptes started', {
    target: config.target.join(','),
    http: `${config.server.httpListenAddress || '0.0.0.0'}:${running.wiring.http.port}`,
    grpc: `${config.server.grpcListenAddress || '0.0.0.0'}:${running.wiring.grpc.port}`,
    startup_ms: Math.round(durationMs),
  });

  try {
    await running.manager.awaitStopped();
    logger.info('Panoptes stopped');
    return 0;
  } catch (err) {
    options.stderr(`panoptes: ${errorMessage(err)}\n`);
    return 1;
  }
}

/**
 * The embedded backends (memory KV, in-process ingest log) cannot be shared between processes: a
 * process that runs only some components with them sees no other process. Allowed (a single
 * component is handy in development), but said loudly.
 */
export function singleProcessWarnings(config: PanoptesConfig): string[] {
  if (config.target.includes('all')) return [];
  const out: string[] = [];
  const targets = config.target.join(',');
  if (config.kv.store === 'memory') {
    out.push(`-target=${targets} with -kv.store=memory: this process's rings are its own and no other process can see them; use -kv.store=redis to run components in separate processes`);
  }
  // Classic mode uses no ingest log (distributors push to ingesters over gRPC).
  const usesIngestLog = config.distributor.ingestMode !== 'classic';
  if (usesIngestLog && config.ingestStorage.backend === 'in-process' && !(config.target.includes('distributor') && config.target.includes('ingester'))) {
    out.push(`-target=${targets} with -ingest-storage.backend=in-process: writes and reads of the ingest log stay in this process; use -ingest-storage.backend=kafka to run distributors and ingesters in separate processes`);
  }
  return out;
}
