// Public surface of distributor: everything else in this folder is internal.
