// Public surface of ingest: everything else in this folder is internal.
