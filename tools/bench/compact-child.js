// Child processes of the compaction bench, so that neither the harness's memory nor the input
// generator's counts in the compaction's figures. Prints one JSON line.
//   node compact-child.js generate '{"spec": InputSpec, "dir": "..."}'   -> InputBlocks
//   node compact-child.js compact  '{"inputs": ["dir", ...], "out": "..."}' -> CompactionMeasurement
require('./register-ts.js');
const { measureCompaction, writeInputBlocks } = require('./compact-data.ts');

const [phase, json] = process.argv.slice(2);
const arg = json ? JSON.parse(json) : undefined;
const work =
  phase === 'generate' ? () => writeInputBlocks(arg.spec, arg.dir) : phase === 'compact' ? () => measureCompaction(arg.inputs, arg.out) : undefined;
if (!work || !arg) {
  process.stderr.write('usage: compact-child.js generate|compact <json>\n');
  process.exit(2);
}
work()
  .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
  .catch((err) => {
    process.stderr.write(`compact-child ${phase} failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
