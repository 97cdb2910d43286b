// The e2e load run's body builder (load-bodies.ts), as a plain node process: see there why.
require('./register-ts.js');
try {
  process.exit(require('./load-bodies.ts').main(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(`load-bodies failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
}
