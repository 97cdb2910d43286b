import { Clock, errorMessage } from '@panoptes/common';
import { KvStore } from '@panoptes/kv';
import { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { Counter, Registry } from 'prom-client';
import { InstanceDesc, InstanceState, decodeRingDesc, encodeRingDesc, updateInstance } from './ring-desc';
import { RandomTokenGenerator, TokenGenerator } from './tokens';

export interface LifecyclerConfig {
  /** KV key holding the ring, e.g. "ring/ingester". */
  ringKey: string;
  /** Ring name in logs, e.g. "ingester". */
  ringName: string;
  /** This instance's id in the ring; stable across restarts so it keeps its tokens. */
  id: string;
  /** Address other components dial to reach this instance (host:port). */
  addr: string;
  /** Availability zone; empty when zones are not used. */
  zone: string;
  /** Tokens this instance holds. */
  numTokens: number;
  /** How often the instance refreshes its heartbeat in the ring, in milliseconds. */
  heartbeatPeriodMs: number;
  /** Time spent JOINING before switching to ACTIVE, in milliseconds; 0 switches at once. */
  minReadyDurationMs: number;
  /** Remove the instance from the ring on shutdown; when false it stays LEAVING and keeps its tokens. */
  unregisterOnShutdown: boolean;
}

export function defaultLifecyclerConfig(): LifecyclerConfig {
  return {
    ringKey: 'ring/ingester',
    ringName: 'ingester',
    id: 'instance-0',
    addr: '127.0.0.1:9095',
    zone: '',
    numTokens: 128,
    heartbeatPeriodMs: 15_000,
    minReadyDurationMs: 0,
    unregisterOnShutdown: true,
  };
}

/**
 * Keeps one instance's entry in a token ring, writing only that entry (CAS read-modify-write of
 * the whole ring, so concurrent lifecyclers merge instead of overwriting each other).
 *
 * starting: register as JOINING with the tokens already in the ring for this id (a restart keeps
 * them) or new ones that collide with no other instance's; ACTIVE at once when
 * minReadyDurationMs is 0. running: ACTIVE after minReadyDurationMs, heartbeat every
 * heartbeatPeriodMs, re-adding the entry if someone removed it ("forget"). stopping: LEAVING,
 * then remove the entry (or keep it, LEAVING, when unregisterOnShutdown is false).
 */
export class Lifecycler extends Service {
  private ownState: InstanceState = 'PENDING';
  private currentTokens: number[] = [];
  private registeredAtMs = 0;
  private joinedLocallyAtMs = 0;
  private lastHeartbeatMs = 0;
  /** After a failed KV write, nothing is retried before this time. */
  private retryAtMs = 0;
  private readonly heartbeatFailures: Counter<'name'>;

  constructor(
    private readonly config: LifecyclerConfig,
    private readonly kv: KvStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
    private readonly tokenGenerator: TokenGenerator = new RandomTokenGenerator(),
  ) {
    super(`${config.ringName}-lifecycler`);
    this.logger = logger.with({ ring: config.ringName, instance: config.id });
    this.heartbeatFailures =
      (registry.getSingleMetric('panoptes_ring_heartbeat_failures_total') as Counter<'name'>) ??
      new Counter({
        name: 'panoptes_ring_heartbeat_failures_total',
        help: 'Ring heartbeats that could not be written to the KV store.',
        labelNames: ['name'],
        registers: [registry],
      });
  }

  /** This instance's state in the ring as last written (PENDING before registering, LEFT after unregistering). */
  get ringState(): InstanceState {
    return this.ownState;
  }

  /** Tokens this instance holds (empty before registering). */
  get tokens(): readonly number[] {
    return this.currentTokens;
  }

  get id(): string {
    return this.config.id;
  }

  protected override async starting(_signal: AbortSignal): Promise<void> {
    await this.register();
    if (this.config.minReadyDurationMs <= 0) await this.changeState('ACTIVE');
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const heartbeatAt = this.lastHeartbeatMs + this.config.heartbeatPeriodMs;
      const activateAt =
        this.ownState === 'JOINING' ? this.joinedLocallyAtMs + this.config.minReadyDurationMs : Infinity;
      try {
        const wakeAt = Math.max(Math.min(heartbeatAt, activateAt), this.retryAtMs);
        await this.clock.sleep(Math.max(0, wakeAt - now), signal);
      } catch {
        return;
      }
      const woke = this.clock.now();
      try {
        if (woke >= activateAt) await this.changeState('ACTIVE');
        else if (woke >= heartbeatAt) await this.heartbeat();
      } catch (err) {
        // Keep trying: the KV may be back by the next period, and the ring tolerates a late heartbeat.
        this.heartbeatFailures.inc({ name: this.config.ringName });
        this.retryAtMs = woke + Math.min(this.config.heartbeatPeriodMs, 1000);
        this.logger.warn('ring heartbeat failed', { err: errorMessage(err) });
      }
    }
  }

  protected override async stopping(_failure: unknown): Promise<void> {
    if (this.ownState === 'PENDING') return;
    await this.changeState('LEAVING');
    if (!this.config.unregisterOnShutdown) {
      this.logger.info('left the ring state LEAVING, keeping tokens for the next start');
      return;
    }
    await this.kv.cas(this.config.ringKey, (value) => {
      const desc = decodeRingDesc(value);
      if (!(this.config.id in desc.instances)) return null;
      return { value: encodeRingDesc(updateInstance(desc, this.config.id, () => undefined)) };
    });
    this.ownState = 'LEFT';
    this.logger.info('unregistered from the ring');
  }

  /** Writes a new state (and a heartbeat) for this instance. */
  async changeState(state: InstanceState): Promise<void> {
    await this.writeOwn(state);
    if (state !== this.ownState) this.logger.info('ring state changed', { from: this.ownState, to: state });
    this.ownState = state;
  }

  /** Refreshes this instance's heartbeat (re-adding its entry if it was removed). */
  async heartbeat(): Promise<void> {
    await this.writeOwn(this.ownState);
  }

  private async register(): Promise<void> {
    let tokens: number[] = [];
    let registeredAtMs = 0;
    await this.kv.cas(this.config.ringKey, (value) => {
      const desc = decodeRingDesc(value);
      const existing = desc.instances[this.config.id];
      const now = this.clock.now();
      tokens = existing?.tokens ?? [];
      if (tokens.length < this.config.numTokens) {
        const taken = new Set<number>();
        for (const [id, inst] of Object.entries(desc.instances)) {
          if (id !== this.config.id) for (const t of inst.tokens) taken.add(t);
        }
        for (const t of tokens) taken.add(t);
        tokens = [...tokens, ...this.tokenGenerator.generate(this.config.numTokens - tokens.length, taken)];
      }
      registeredAtMs = existing?.registeredAtMs || now;
      const entry = this.entry('JOINING', tokens, registeredAtMs, now);
      return { value: encodeRingDesc(updateInstance(desc, this.config.id, () => entry)) };
    });
    this.currentTokens = [...tokens].sort((a, b) => a - b);
    this.registeredAtMs = registeredAtMs;
    this.ownState = 'JOINING';
    this.joinedLocallyAtMs = this.clock.now();
    this.lastHeartbeatMs = this.joinedLocallyAtMs;
    this.logger.info('registered in the ring', { tokens: this.currentTokens.length, addr: this.config.addr });
  }

  private async writeOwn(state: InstanceState): Promise<void> {
    let now = 0;
    await this.kv.cas(this.config.ringKey, (value) => {
      const desc = decodeRingDesc(value);
      now = this.clock.now();
      if (!(this.config.id in desc.instances)) this.logger.warn('own ring entry was missing; re-adding it');
      const entry = this.entry(state, this.currentTokens, this.registeredAtMs, now);
      return { value: encodeRingDesc(updateInstance(desc, this.config.id, () => entry)) };
    });
    this.lastHeartbeatMs = now;
  }

  private entry(state: InstanceState, tokens: number[], registeredAtMs: number, now: number): InstanceDesc {
    return {
      addr: this.config.addr,
      zone: this.config.zone,
      state,
      tokens,
      heartbeatMs: now,
      registeredAtMs,
    };
  }
}
