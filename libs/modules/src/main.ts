import { runPanoptes, RunOptions } from './runner';

/** The process's arguments, environment, output and signals, handed to the runner. */
export function processRunOptions(fixedTarget?: string): RunOptions {
  return {
    argv: process.argv.slice(2),
    env: process.env,
    fixedTarget,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    onShutdownSignal: (handler) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => handler(signal));
      }
    },
  };
}

/** Runs a Panoptes process and exits with its code. Every app's main is this one call. */
export function runMain(fixedTarget?: string): void {
  runPanoptes(processRunOptions(fixedTarget)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`panoptes: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
