// Public surface of tsdb: the head's index pieces (symbols, postings, matchers, selection).
export * from './symbols';
export * from './postings';
export * from './matcher';
export * from './index-reader';
export * from './head-index';
