// Public surface of log: the structured Logger (logfmt or JSON).
export * from './logger';
