// Public surface of the alert-router component.
export * from './alert-router';
