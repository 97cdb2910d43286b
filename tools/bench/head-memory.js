// Child process of the ingest bench: the head's memory per series, measured by the lead's own
// head bench (libs/tsdb/bench/head-bench.ts, `measureMemory`) from the sources, in a process of
// its own so the heap baseline is clean. Needs --expose-gc. Prints one JSON line.
//   node --expose-gc --max-old-space-size=8192 tools/bench/head-memory.js <series> <samplesPerSeries>
require('./register-ts.js');
const { measureMemory } = require('../../libs/tsdb/bench/head-bench.ts');

const [series, samples] = process.argv.slice(2).map(Number);
if (!Number.isInteger(series) || !Number.isInteger(samples) || series < 1 || samples < 1) {
  process.stderr.write('usage: head-memory.js <series> <samplesPerSeries>\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(measureMemory(series, samples))}\n`);
