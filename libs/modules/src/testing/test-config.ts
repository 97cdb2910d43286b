import { join } from 'node:path';
import { defaults } from '@panoptes/config';
import { panoptesConfigSpec, PanoptesConfig } from '../config';

/** An all-in-one config for tests: loopback, free ports, every directory under `dir`. */
export function testConfig(dir: string, overrides: (c: PanoptesConfig) => void = () => undefined): PanoptesConfig {
  const c = defaults(panoptesConfigSpec);
  c.server.httpListenAddress = '127.0.0.1';
  c.server.httpListenPort = 0;
  c.server.grpcListenAddress = '127.0.0.1';
  c.server.grpcListenPort = 0;
  c.server.gracefulShutdownTimeoutMs = 2000;
  c.common.storage.filesystem.dir = join(dir, 'objects');
  c.ingestStorage.inProcess.dir = join(dir, 'ingest');
  c.blocksStorage.tsdb.dir = join(dir, 'tsdb');
  c.compactor.dataDir = join(dir, 'compactor');
  c.querier.syncDir = join(dir, 'tsdb-sync');
  for (const ring of [c.ingester.ring, c.compactor.ring, c.ruler.ring, c.alertRouter.ring]) {
    ring.instanceId = 'test-instance';
    ring.instanceAddr = '127.0.0.1:9095';
  }
  overrides(c);
  return c;
}

/**
 * `testConfig` for alerting tests: the ingester advertises its real gRPC port (the ruler queries
 * it) and the ruler and alert-router run on second-scale intervals.
 */
export function fastAlertingTestConfig(dir: string, grpcPort: number): PanoptesConfig {
  return testConfig(dir, (c) => {
    c.server.grpcListenPort = grpcPort;
    c.ingester.ring.instanceAddr = `127.0.0.1:${grpcPort}`;
    c.ruler.evaluationIntervalMs = 1_000;
    c.ruler.resendDelayMs = 1_000;
    c.ruler.ringCheckPeriodMs = 200;
    c.alertRouter.ringCheckPeriodMs = 200;
  });
}
