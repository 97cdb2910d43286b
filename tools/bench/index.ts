// What other test tooling (the e2e load run) reuses of the benchmarks: remote write bodies as a
// Prometheus queue manager sends them (built by load-bodies.js in a plain node process), the HTTP
// sender and the process statistics. Test tooling only: nothing under apps/ or libs/ may import it.
export { REMOTE_WRITE_V1_HEADERS, post } from './load';
export { type LoadBodiesOptions, readLoadBodies } from './load-bodies';
export { cpuSecondsOf, memoryOf } from './proc-stats';
export { type BodyPlan } from './remote-write-bodies';
export { SCRAPE_INTERVAL_MS } from './series-model';
