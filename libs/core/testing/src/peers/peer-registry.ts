import { runInThisContext } from 'node:vm';

/**
 * Every peer a test starts (processes, tool runs, sink servers) is registered here until it is
 * stopped, so `stopAllPeers()` in an `afterAll` can end whatever a failing test left behind.
 *
 * Invariant: no child outlives the Jest process. Three layers make it true: `stopAllPeers()`
 * (normal path), a `process.on('exit')` hook that SIGKILLs what is still registered (installed only
 * while something is registered, so test files never pile up listeners), and children spawned
 * under `setpriv --pdeathsig KILL`, which the kernel kills when the Jest worker dies without
 * running exit hooks (SIGKILL, crash).
 *
 * This module-level set is the one deliberate global of the library: it exists to track global
 * state the test process owns (child processes), one set per Jest module registry (test file).
 */
export interface PeerHandle {
  /** Label for logs and errors, e.g. `prometheus:127.0.0.1:40123`. */
  readonly name: string;
  /** Graceful stop; resolves when the peer is gone. Must not throw. */
  stop(): Promise<unknown>;
  /** Synchronous last resort used from the exit hook: SIGKILL, remove temp files. */
  killNow(): void;
}

const live = new Set<PeerHandle>();

/**
 * The Node process object of the host realm. Jest gives each test file a copy of `process`
 * whose events never fire, so an 'exit' listener must go on the real one, which code evaluated
 * in the main context sees. Outside Jest both are the same object.
 */
const hostProcess = runInThisContext('process') as NodeJS.Process;

function onExit(): void {
  for (const peer of live) {
    try {
      peer.killNow();
    } catch {
      // exiting anyway; keep killing the others
    }
  }
  live.clear();
}

export function registerPeer(peer: PeerHandle): void {
  if (live.size === 0) hostProcess.on('exit', onExit);
  live.add(peer);
}

export function unregisterPeer(peer: PeerHandle): void {
  if (!live.delete(peer)) return;
  if (live.size === 0) hostProcess.removeListener('exit', onExit);
}

/** Names of the peers still registered (running or being stopped). */
export function livePeers(): string[] {
  return [...live].map((p) => p.name);
}

/** Stops every registered peer in parallel; use as `afterAll(stopAllPeers)`. */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}
