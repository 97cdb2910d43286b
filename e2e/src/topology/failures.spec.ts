import { describeTopology } from './describe-topology';
import { failureTopologyFlags, kafkaOutageScenario, minioOutageScenario, redisRestartScenario, scaleIngestersScenario } from './failures';
import { PrivateServices } from './private-services';
import { type IngestMode, Topology } from './topology';

// The failure scenarios of issue 7, on a topology whose Redis, MinIO and Kafka are private
// instances (the shared dev services are never stopped): `npm run e2e:full` only.
describe.each<IngestMode>(['kafka', 'classic'])('failure scenarios, %s ingest mode', (mode) => {
  describeTopology(mode, `microservices topology on private Redis, MinIO${mode === 'kafka' ? ', Kafka' : ''}: failure scenarios`, { fullOnly: true }, () => {
    let services: PrivateServices | undefined;
    let topology: Topology | undefined;
    let failed = false;
    const summaries: string[] = [];

    const step = (name: string, fn: (t: Topology, s: PrivateServices) => Promise<string>, timeoutMs: number) =>
      it(
        name,
        async () => {
          try {
            if (!topology || !services) throw new Error('the topology did not start (see the beforeAll error)');
            summaries.push(await fn(topology, services));
          } catch (err) {
            failed = true;
            throw err;
          }
        },
        timeoutMs,
      );

    beforeAll(async () => {
      const t0 = Date.now();
      services = await PrivateServices.start(mode === 'kafka');
      const servicesMs = Date.now() - t0;
      topology = await Topology.start({ ingestMode: mode, services: services.topologyServices, flags: failureTopologyFlags() });
      console.log(
        `failure topology (${mode}): private services up in ${servicesMs} ms (${Object.entries(services.startMs)
          .map(([k, ms]) => `${k} ${ms} ms`)
          .join(', ')}), topology usable ${topology.startup.usableMs} ms after spawn; run ${topology.runId}`,
      );
    }, 240_000);

    afterAll(async () => {
      if (topology && failed) {
        const logs = topology.dumpLogs();
        console.error(`failure topology (${mode}) failed; every process's output is in ${logs}\n${topology.outputTails(25)}`);
      }
      if (summaries.length > 0) console.log(`failure scenarios (${mode}):\n${summaries.join('\n')}`);
      await topology?.dispose();
      await services?.dispose();
    }, 120_000);

    step(
      'Redis restarted (rings and caches lost): writes resume, queries answer every acknowledged sample exactly once with cold caches',
      (t, s) => redisRestartScenario(t, s, mode),
      180_000,
    );

    if (mode === 'kafka') {
      step(
        'Kafka broker down for 30 s under writes: writes fail with 5xx and nothing is acknowledged meanwhile; after it is back every acknowledged sample is answered exactly once',
        (t, s) => kafkaOutageScenario(t, s),
        240_000,
      );
    }

    step(
      `scale ingesters 3 → 4 → 3 by the documented procedure (${mode === 'kafka' ? 'partition INACTIVE, distributor stops writing to it, blocks uploaded on shutdown, ownerless partition skipped and deleted' : 'prepare-shutdown, blocks uploaded on shutdown, leaves the ring'}): every acknowledged sample answered exactly once`,
      (t) => scaleIngestersScenario(t, mode),
      240_000,
    );

    step(
      'MinIO down during a block upload: the uploads fail, the blocks wait on disk and are uploaded once MinIO is back; every acknowledged sample answered exactly once',
      (t, s) => minioOutageScenario(t, s, mode),
      240_000,
    );
  });
});
