// Public surface of app-distributor: everything else in this folder is internal.
