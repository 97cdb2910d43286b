// Public surface of ring: everything else in this folder is internal.
