// Preloaded into a Panoptes process by `npm run bench:query -- --profile` (NODE_OPTIONS=--require;
// node 20 refuses --cpu-prof there). SIGUSR2 starts V8's CPU profiler (and touches
// `<file>.started`); the next SIGUSR2 stops it and writes the profile to the file named by
// PANOPTES_BENCH_CPU_PROFILE, then touches `<file>.done`. Only the span between the two signals
// is profiled: not start-up, ingest or shutdown.
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');

const out = process.env.PANOPTES_BENCH_CPU_PROFILE;
let session;
if (out) {
  process.on('SIGUSR2', () => {
    if (!session) {
      session = new Session();
      session.connect();
      session.post('Profiler.enable');
      session.post('Profiler.setSamplingInterval', { interval: 500 });
      session.post('Profiler.start', () => writeFileSync(`${out}.started`, ''));
      return;
    }
    session.post('Profiler.stop', (err, res) => {
      writeFileSync(out, err ? JSON.stringify({ error: String(err) }) : JSON.stringify(res.profile));
      writeFileSync(`${out}.done`, '');
      session.disconnect();
      session = undefined;
    });
  });
}
