// Public surface of server: everything else in this folder is internal.
