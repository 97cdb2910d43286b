export * from './distributor';
export * from './ha-tracker';
export * from './rate-limiter';
export * from './series-sink';
export * from './validation';
export * from './push.controller';
export * from './classic-sink';
