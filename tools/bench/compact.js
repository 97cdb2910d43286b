// `npm run bench:compact [-- flags]`: compaction throughput and memory against Prometheus's own
// compactor (see the top of compact-bench.ts). Plain node: the TypeScript sources run through register-ts.js.
require('./register-ts.js');
require('./compact-bench.ts')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err) => {
    process.stderr.write(`bench:compact failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
