// Public surface of bucket: everything else in this folder is internal.
