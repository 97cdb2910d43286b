// Public surface of the distributor component.
export * from './distributor';
