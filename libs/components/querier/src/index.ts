// Public surface of the querier component: the querier service (the query API over its storage)
// and its storage (ingesters, blocks, both merged).
export * from './querier';
export * from './storage';
