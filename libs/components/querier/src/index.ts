// Public surface of querier: everything else in this folder is internal.
