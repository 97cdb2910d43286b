import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { servicesRequired } from '@panoptes/testing';
import { ROOT } from '../process';
import { type IngestMode, topologyConfig } from './topology-config';

// The topology runs what the Helm chart deploys: its config file must have the chart's shape.
// Renders the chart's microservices examples with helm and compares the settings that decide
// how the processes find each other and where data goes.

const helm = process.env.PANOPTES_HELM ?? join(homedir(), '.cache', 'panoptes', 'bin', 'helm');
const chart = join(ROOT, 'deploy', 'helm', 'panoptes');

/** Settings the topology must share with the chart, by YAML path. */
const SAME = [
  'kv.store',
  'common.storage.backend',
  'distributor.ingest_mode',
  'ingest_storage.backend',
  'ingester.ring.zone_awareness_enabled',
  'ingester.ring.replication_factor',
  'frontend.results_cache_backend',
  'blocks_storage.bucket_store.chunks_cache.backend',
  'blocks_storage.bucket_store.index_cache.backend',
  'blocks_storage.bucket_store.metadata_cache.backend',
];
/** Settings both must set, to their own addresses (Kubernetes Services there, loopback here). */
const SET = ['kv.redis.endpoint', 'frontend.results_cache_redis.endpoint', 'common.storage.s3.bucket_name', 'querier.frontend_address', 'ruler.alertmanager_url', 'ruler.distributor_url'];

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

function usable(): boolean {
  try {
    accessSync(helm, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
}

function render(example: string): K8sObject[] {
  const out = spawnSync(helm, ['template', 'panoptes', chart, '-f', join(chart, 'examples', example)], { encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) throw new Error(`helm template failed: ${out.stderr}`);
  return parseAllDocuments(out.stdout).map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
}

const cases: { mode: IngestMode; example: string }[] = [
  { mode: 'kafka', example: 'microservices-kafka.yaml' },
  { mode: 'classic', example: 'microservices-classic.yaml' },
];

if (usable()) {
  describe('the topology runs the Helm chart microservices config [real helm]', () => {
    it.each(cases)('$mode mode: the same storage, ring, ingest and cache settings as $example, and the same per-pod identity flags', ({ mode, example }) => {
      const objects = render(example);
      const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'panoptes-config');
      const chartConfig = parse(configMap!.data!['panoptes.yaml']) as unknown;
      const ours = topologyConfig({
        ingestMode: mode,
        services: {
          redis: { host: '127.0.0.1', port: 6379, addr: '127.0.0.1:6379' },
          s3: { endpoint: 'http://127.0.0.1:9000', accessKeyId: 'a', secretAccessKey: 's', region: 'us-east-1' },
          kafka: { brokers: ['127.0.0.1:9092'] },
        },
        keyPrefix: 'p/',
        bucket: 'b',
        topic: 't',
        frontendGrpcAddress: '127.0.0.1:9095',
        distributorUrl: 'http://127.0.0.1:8080',
        alertRouterUrl: 'http://127.0.0.1:8081/alertmanager',
      });
      expect(Object.fromEntries(SAME.map((p) => [p, at(ours, p)]))).toEqual(Object.fromEntries(SAME.map((p) => [p, at(chartConfig, p)])));
      for (const p of SET) {
        expect({ path: p, chart: at(chartConfig, p) !== undefined, topology: at(ours, p) !== undefined }).toEqual({ path: p, chart: true, topology: true });
      }

      // The pods' identity flags, which topology.ts gives each process too.
      const args = (name: string) => objects.find((o) => o.metadata.name === name && o.spec?.template)?.spec?.template?.spec?.containers?.[0]?.args ?? [];
      for (const zone of ['a', 'b', 'c']) {
        expect(args(`panoptes-ingester-zone-${zone}`)).toEqual(
          expect.arrayContaining(['-target=ingester', '-ingester.ring.instance-id=$(POD_NAME)', `-ingester.ring.instance-zone=zone-${zone}`]),
        );
      }
      for (const target of ['distributor', 'querier', 'query-frontend', 'ruler', 'compactor', 'alert-router']) {
        expect(args(`panoptes-${target}`)).toContain(`-target=${target}`);
      }
    });
  });
} else {
  const message = `helm is not installed at ${helm}; run tools/install-chart-tools`;
  if (servicesRequired()) {
    it('needs helm to render the chart (PANOPTES_REQUIRE_SERVICES=1)', () => {
      throw new Error(message);
    });
  } else {
    process.stderr.write(`\n!!! SKIPPING the chart parity test of the topology: ${message}\n`);
    it.skip(`the topology runs the Helm chart microservices config [SKIPPED: ${message}]`, () => undefined);
  }
}
