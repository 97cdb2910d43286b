// Public surface of common: typed errors, clocks, tenant handling.
export * from './errors';
export * from './clock';
export * from './tenant';
export * from './random';
