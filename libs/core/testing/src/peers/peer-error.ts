import { PanoptesError } from '@panoptes/common';

/**
 * A real peer program (Prometheus, Alertmanager, a tool run) did not do what the test needed:
 * it failed to start, exited, timed out or answered an API call with an error. The message ends
 * with the last lines the program printed, which is usually where the cause is.
 */
export class PeerError extends PanoptesError {
  constructor(
    reason: 'peer_spawn_failed' | 'peer_exited' | 'peer_not_ready' | 'peer_timeout' | 'peer_api_error',
    message: string,
    readonly outputTail = '',
  ) {
    super('unavailable', reason, outputTail ? `${message}\n--- last output ---\n${outputTail}` : message);
  }
}
