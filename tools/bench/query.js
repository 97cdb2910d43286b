// `npm run bench:query [-- flags]`: dashboard range-query latency, Panoptes all-in-one against
// Prometheus on the same remote-written data (10 000 series x 2 h at 15 s), all on one core.
//
//   npm run bench:query                       the table (about 3-4 minutes)
//   npm run bench:query -- --quick            a smoke run (2000 series x 30 min, 3 runs)
//   npm run bench:query -- --query sum-rate   only some queries (repeatable)
//   npm run bench:query -- --profile group-left-join [--keep]
//                                             CPU profile of uncached Panoptes on one query
//   npm run bench:query -- --help             every flag
//
// Columns: Prometheus and uncached Panoptes (-query-frontend.cache-results=false) over the last
// 2 h, their ratio; the cached Panoptes repeating that query (the frontend never caches the last
// 10 min, so about uncached); uncached and warm-cache Panoptes over a range ending 15 min earlier,
// their ratio; geometric means. Answers are cross-checked; differences print as WARNING lines.
// More in tools/bench/README.md. Plain node: the TypeScript sources run through the SWC hook in
// register-ts.js.
require('./register-ts.js');
require('./query/query-bench.ts')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err) => {
    process.stderr.write(`bench:query failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
