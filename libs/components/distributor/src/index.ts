// Public surface of the distributor component.
export * from './distributor';
export * from './ha-tracker';
export * from './rate-limiter';
