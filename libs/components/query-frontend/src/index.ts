// Public surface of the query-frontend component.
export * from './query-frontend';
