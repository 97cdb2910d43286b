export * from './distributor';
export * from './ha-tracker';
export * from './rate-limiter';
export * from './series-sink';
export * from './validation';
export * from './push-handler';
export * from './classic-sink';
