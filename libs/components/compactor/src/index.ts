// Public surface of the compactor component.
export * from './compactor';
