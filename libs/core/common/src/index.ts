// Public surface of common: typed errors, clocks, tenant handling, durable file writes.
export * from './errors';
export * from './clock';
export * from './tenant';
export * from './random';
export * from './durable-files';
export * from './route-path';
