// Public surface of app-query-frontend: everything else in this folder is internal.
