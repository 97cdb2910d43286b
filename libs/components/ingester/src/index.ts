// Public surface of ingester: everything else in this folder is internal.
