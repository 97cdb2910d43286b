import { INSTANCE_STATES, InstanceState } from './ring-desc';

/** Numeric codes of the instance states, used in the ring's typed arrays. */
export const STATE_CODE: Readonly<Record<InstanceState, number>> = Object.fromEntries(
  INSTANCE_STATES.map((s, i) => [s, i]),
) as Record<InstanceState, number>;

/**
 * What a ring lookup is for, deciding which instance states may serve it. Instances in other
 * states (or with a stale heartbeat) are skipped and the walk goes on to keep the replication
 * factor. Define more with `new Operation(name, states)`.
 */
export class Operation {
  /** Writes go to ACTIVE instances only. */
  static readonly Write = new Operation('write', ['ACTIVE']);
  /** Reads may also use LEAVING instances, which still hold their data. */
  static readonly Read = new Operation('read', ['ACTIVE', 'LEAVING']);

  /** Bit (1 << STATE_CODE[state]) set for each state that may serve this operation. */
  readonly stateMask: number;

  constructor(
    readonly name: string,
    readonly healthyStates: readonly InstanceState[],
  ) {
    this.stateMask = healthyStates.reduce((mask, s) => mask | (1 << STATE_CODE[s]), 0);
  }

  servesIn(state: InstanceState): boolean {
    return (this.stateMask & (1 << STATE_CODE[state])) !== 0;
  }
}
