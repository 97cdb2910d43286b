// Public surface of panoptes: everything else in this folder is internal.
