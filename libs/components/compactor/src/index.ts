// Public surface of compactor: everything else in this folder is internal.
