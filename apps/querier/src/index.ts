// Public surface of app-querier: everything else in this folder is internal.
