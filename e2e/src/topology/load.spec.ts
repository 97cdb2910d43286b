import { describeTopology } from './describe-topology';
import { formatReport, type LoadReport, loadLimitFlags, loadOptionsFromEnv, runLoad } from './load';
import { TOPOLOGY_NODES, Topology, type TopologyNode } from './topology';

// The bounded load run of issue 7 (full e2e only: PANOPTES_E2E_FULL=1 / npm run e2e:full), Kafka
// ingest mode as the chart's default. Size and length: PANOPTES_E2E_LOAD_SERIES, _MINUTES (see load.ts).
const options = loadOptionsFromEnv();
const windows = Math.max(1, Math.ceil(options.durationMs / options.intervalMs));
// Body build (~3-10 µs per series-sample, in a child process) + the run + verification (3 min at most) + slack.
const runTimeoutMs = options.series * windows * 0.1 + windows * options.intervalMs + 8 * 60_000;

describeTopology('kafka', `bounded load run: ${options.series} active series every ${options.intervalMs / 1000} s for ${options.durationMs / 60_000} min`, { fullOnly: true }, (services) => {
  let topology: Topology | undefined;
  let report: LoadReport | undefined;
  let failed = false;

  beforeAll(async () => {
    const limits = loadLimitFlags(options);
    const flags = Object.fromEntries(TOPOLOGY_NODES.map((n) => [n, limits])) as Record<TopologyNode, string[]>;
    topology = await Topology.start({ ingestMode: 'kafka', services, flags });
    console.log(`load topology: usable after ${topology.startup.usableMs} ms; run ${topology.runId}`);
  }, 150_000);

  afterAll(async () => {
    if (topology && failed) console.error(`load run failed; every process's output is in ${topology.dumpLogs()}\n${topology.outputTails(15)}`);
    const problems = topology ? await topology.dispose() : [];
    if (problems.length > 0) console.error(`load topology cleanup: ${problems.join('; ')}`);
  }, 90_000);

  it(
    'acknowledges every remote write and answers every dashboard query under sustained load, and every acknowledged sample is queryable afterwards',
    async () => {
      try {
        if (!topology) throw new Error('the topology did not start (see the beforeAll error)');
        report = await runLoad(topology, options, (line) => console.log(line));
        console.log(`load run figures (${new Date().toISOString()}):\n${formatReport(report)}`);
        const r = report;
        expect(r.aborted).toBeUndefined();
        expect(r.writeErrors.slice(0, 20)).toEqual([]);
        expect(r.queryErrors.slice(0, 20)).toEqual([]);
        expect(r.verifyErrors).toEqual([]);
        expect(r.ackedSamples).toBe(options.series * r.windows);
        // Sustained: the writers never fell a whole interval behind the schedule.
        expect(r.maxStartLagMs).toBeLessThan(options.intervalMs);
      } catch (err) {
        failed = true;
        throw err;
      }
    },
    runTimeoutMs,
  );
});
