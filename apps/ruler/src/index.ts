// Public surface of app-ruler: everything else in this folder is internal.
