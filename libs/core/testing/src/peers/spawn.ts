import { findOnPath } from '../tools';

let setprivPath: string | null | undefined;

/**
 * The command line that runs `command` so the kernel SIGKILLs it when the process that spawned
 * it dies (`setpriv --pdeathsig KILL`, util-linux; it execs, so the pid stays the program's).
 * Falls back to the bare command where setpriv is missing; the exit hook still covers that case.
 */
export function orphanSafe(command: string, args: readonly string[]): { file: string; argv: string[] } {
  if (setprivPath === undefined) setprivPath = findOnPath('setpriv') ?? null;
  if (setprivPath === null) return { file: command, argv: [...args] };
  return { file: setprivPath, argv: ['--pdeathsig', 'KILL', '--', command, ...args] };
}
