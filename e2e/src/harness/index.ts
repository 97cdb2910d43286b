// Helpers shared by the black-box tests: a restartable bin/panoptes child process and a reader of
// the ingester's head over its public gRPC API.
export * from './panoptes-server';
export * from './head-samples';
export * from './remote-write';
