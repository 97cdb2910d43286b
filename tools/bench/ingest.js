// `npm run bench:ingest [-- flags]`: the end-to-end ingest benchmark (see README.md here).
// Plain node: the TypeScript sources run through the SWC hook in register-ts.js.
require('./register-ts.js');
require('./ingest-bench.ts')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err) => {
    process.stderr.write(`bench:ingest failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
