// Public surface of the querier component: the querier service (the query API over its storage),
// its workers that pull queries from query-frontends, and its storage (ingesters, blocks, both merged).
export * from './querier';
export * from './frontend-workers';
export * from './storage';
