// What other test tooling (the e2e load run) reuses of the benchmarks: the realistic series
// model, remote write bodies as a Prometheus queue manager sends them, the HTTP sender and the
// process statistics. Test tooling only: nothing under apps/ or libs/ may import it.
export { REMOTE_WRITE_V1_HEADERS, post } from './load';
export { cpuSecondsOf, memoryOf } from './proc-stats';
export { type BodyPlan, buildRemoteWriteBodies, SteadyStateBodies } from './remote-write-bodies';
export { type Dataset, generateDataset, SCRAPE_INTERVAL_MS } from './series-model';
