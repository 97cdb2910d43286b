// Public surface of app-alert-router: everything else in this folder is internal.
