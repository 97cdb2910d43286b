// Public surface of modules: everything else in this folder is internal.
