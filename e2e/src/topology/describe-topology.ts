import { findOnPath, serviceEnv, servicesRequired } from '@panoptes/testing';
import { missingOtelSdkPackage } from '../harness';
import type { TopologyServices } from './resources';
import type { IngestMode } from './topology';

/** `PANOPTES_E2E_FULL=1` (npm run e2e:full) runs every topology suite; without it only the quick subset runs. */
export function e2eFull(): boolean {
  return process.env.PANOPTES_E2E_FULL === '1';
}

/**
 * `describe` for a topology suite: needs the real Redis and MinIO (and Kafka in Kafka mode), the
 * real Prometheus, promtool and node exporter, and the OpenTelemetry JS SDK. Skips loudly when one
 * is missing, and fails instead under PANOPTES_REQUIRE_SERVICES=1 (CI). `fullOnly` suites run only
 * with PANOPTES_E2E_FULL=1.
 */
export function describeTopology(mode: IngestMode, title: string, options: { fullOnly: boolean }, body: (services: TopologyServices) => void): void {
  const redis = serviceEnv('redis');
  const s3 = serviceEnv('s3');
  const kafka = serviceEnv('kafka');
  if (options.fullOnly && !e2eFull()) {
    describe.skip(`${title} [full e2e only: PANOPTES_E2E_FULL=1 / npm run e2e:full]`, () => body({} as TopologyServices));
    return;
  }
  const missing = [
    redis ? undefined : 'Redis (PANOPTES_REDIS_ADDR)',
    s3 ? undefined : 'MinIO (PANOPTES_S3_ENDPOINT)',
    mode === 'kafka' && !kafka ? 'Kafka (PANOPTES_KAFKA_BROKERS)' : undefined,
    ...['prometheus', 'promtool', 'prometheus-node-exporter'].map((tool) => (findOnPath(tool) ? undefined : `${tool} (tools/install-peers)`)),
    missingOtelSdkPackage() === undefined ? undefined : `${missingOtelSdkPackage()} (npm install)`,
  ].filter((m): m is string => m !== undefined);
  if (missing.length === 0) {
    describe(`${title} [real Redis, MinIO${mode === 'kafka' ? ', Kafka' : ''}, Prometheus]`, () => body({ redis: redis!, s3: s3!, kafka: mode === 'kafka' ? kafka : undefined }));
    return;
  }
  const message = `missing ${missing.join(', ')}; start the services with \`tools/dev-services up\` and \`eval "$(tools/dev-services env)"\``;
  if (servicesRequired()) {
    describe(title, () => {
      it('needs the real backing services and peers (PANOPTES_REQUIRE_SERVICES=1)', () => {
        throw new Error(message);
      });
    });
    return;
  }
  process.stderr.write(`\n!!! SKIPPING "${title}": ${message}\n`);
  describe.skip(`${title} [SKIPPED: ${message}]`, () => body({} as TopologyServices));
}
