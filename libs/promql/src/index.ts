// Public surface of promql.
