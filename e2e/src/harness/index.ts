// Helpers shared by the black-box tests: a restartable bin/panoptes child process, a reader of the
// ingester's head over its public gRPC API, and real clients (remote write, a counter writer that
// records what was acknowledged, the OpenTelemetry JS SDK, a tenant-header proxy for promtool).
export * from './panoptes-server';
export * from './head-samples';
export * from './remote-write';
export * from './counter-writer';
export * from './otlp-client';
