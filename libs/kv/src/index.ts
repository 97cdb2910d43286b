// Public surface of kv: everything else in this folder is internal.
