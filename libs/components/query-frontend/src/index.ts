// Public surface of query-frontend: everything else in this folder is internal.
