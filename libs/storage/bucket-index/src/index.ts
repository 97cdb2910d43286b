// Public surface of bucket-index.
