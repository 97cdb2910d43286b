// Public surface of config: everything else in this folder is internal.
