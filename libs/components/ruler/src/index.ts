// Public surface of the ruler component.
export * from './ruler';
