// Public surface of app-compactor: everything else in this folder is internal.
