// Public surface of app-ingester: everything else in this folder is internal.
