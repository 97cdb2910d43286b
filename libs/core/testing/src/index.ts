// Public surface of testing: everything else in this folder is internal.
