// Public surface of the querier component.
export * from './querier';
