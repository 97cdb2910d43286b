// Public surface of ruler: everything else in this folder is internal.
