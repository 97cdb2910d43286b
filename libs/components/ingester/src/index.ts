// Public surface of the ingester component.
export * from './ingester';
