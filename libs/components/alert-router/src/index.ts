// Public surface of alert-router: everything else in this folder is internal.
