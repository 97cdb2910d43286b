// Public surface of testing: helpers for tests only (never imported by production code).
export * from './services';
export * from './wait';
export * from './tools';
export * from './peers';
