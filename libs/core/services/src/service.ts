import { errorMessage } from '@panoptes/common';

/**
 * A service's life, as in dskit:
 *
 *   New ──start()──▶ Starting ──▶ Running ──stop()──▶ Stopping ──▶ Terminated
 *                       │            │                    │
 *                       └────────────┴──── error ────────▶ Failed
 *
 * `starting()` prepares (may be slow: replay, join a ring); `running()` does the work until the
 * abort signal fires or it fails; `stopping()` releases resources and always runs after `running()`
 * began, even when it failed. A stop requested while Starting aborts starting and goes to Stopping.
 */
export enum ServiceState {
  New = 'New',
  Starting = 'Starting',
  Running = 'Running',
  Stopping = 'Stopping',
  Terminated = 'Terminated',
  Failed = 'Failed',
}

export type StateListener = (from: ServiceState, to: ServiceState, service: Service) => void;

export class ServiceFailedError extends Error {
  constructor(
    readonly serviceName: string,
    readonly failure: unknown,
  ) {
    super(`service ${serviceName} failed: ${errorMessage(failure)}`, { cause: failure });
  }
}

export abstract class Service {
  private currentState = ServiceState.New;
  private failure: unknown;
  private readonly abort = new AbortController();
  private readonly listeners: StateListener[] = [];
  private runningPromise: Promise<void> | undefined;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly name: string) {}

  get state(): ServiceState {
    return this.currentState;
  }

  /** What made the service fail, if it did. */
  get failureCase(): unknown {
    return this.failure;
  }

  /** Fires when stop is requested; long operations in starting/running should honour it. */
  protected get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Default: nothing to prepare. */
  protected async starting(_signal: AbortSignal): Promise<void> {
    return undefined;
  }

  /** Default: idle until stop is requested. */
  protected running(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Default: nothing to release. */
  protected async stopping(_failure: unknown): Promise<void> {
    return undefined;
  }

  addListener(listener: StateListener): void {
    this.listeners.push(listener);
  }

  /** Starts the service; resolves once it is Running, rejects if it fails or is stopped first. */
  async start(): Promise<void> {
    if (this.currentState !== ServiceState.New) {
      throw new Error(`service ${this.name} cannot start from state ${this.currentState}`);
    }
    this.runningPromise = this.lifecycle();
    await this.awaitRunning();
  }

  /** Requests stop and waits until the service is Terminated or Failed. */
  async stop(): Promise<void> {
    if (this.currentState === ServiceState.New) {
      this.transition(ServiceState.Terminated);
      return;
    }
    this.abort.abort(new Error(`service ${this.name} stopping`));
    await this.runningPromise;
  }

  async awaitRunning(): Promise<void> {
    await this.until((s) => s === ServiceState.Running || s === ServiceState.Terminated || s === ServiceState.Failed);
    if (this.currentState === ServiceState.Failed) throw new ServiceFailedError(this.name, this.failure);
    if (this.currentState !== ServiceState.Running) {
      throw new Error(`service ${this.name} is ${this.currentState}, not Running`);
    }
  }

  /** Resolves when Terminated, rejects with the failure when Failed. */
  async awaitTerminated(): Promise<void> {
    await this.until((s) => s === ServiceState.Terminated || s === ServiceState.Failed);
    if (this.currentState === ServiceState.Failed) throw new ServiceFailedError(this.name, this.failure);
  }

  private until(done: (s: ServiceState) => boolean): Promise<void> {
    if (done(this.currentState)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (done(this.currentState)) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private transition(to: ServiceState): void {
    const from = this.currentState;
    this.currentState = to;
    for (const listener of this.listeners) listener(from, to, this);
    const waiting = this.waiters.splice(0);
    for (const w of waiting) w();
  }

  private async lifecycle(): Promise<void> {
    this.transition(ServiceState.Starting);
    try {
      await this.starting(this.abort.signal);
    } catch (err) {
      if (this.abort.signal.aborted) {
        // Stopped while starting: not a failure.
        await this.finish(undefined);
      } else {
        await this.finish(err);
      }
      return;
    }
    if (this.abort.signal.aborted) {
      this.transition(ServiceState.Stopping);
      await this.finishStopping(undefined);
      return;
    }
    this.transition(ServiceState.Running);
    let failure: unknown;
    try {
      await this.running(this.abort.signal);
    } catch (err) {
      if (!this.abort.signal.aborted) failure = err;
    }
    this.transition(ServiceState.Stopping);
    await this.finishStopping(failure);
  }

  private async finish(failure: unknown): Promise<void> {
    this.transition(ServiceState.Stopping);
    await this.finishStopping(failure);
  }

  private async finishStopping(failure: unknown): Promise<void> {
    try {
      await this.stopping(failure);
    } catch (err) {
      failure ??= err;
    }
    if (failure !== undefined) {
      this.failure = failure;
      this.transition(ServiceState.Failed);
    } else {
      this.transition(ServiceState.Terminated);
    }
  }
}

/** A service built from functions, for small pieces that need no class of their own. */
export class FunctionService extends Service {
  constructor(
    name: string,
    private readonly fns: {
      starting?: (signal: AbortSignal) => Promise<void>;
      running?: (signal: AbortSignal) => Promise<void>;
      stopping?: (failure: unknown) => Promise<void>;
    },
  ) {
    super(name);
  }

  protected override async starting(signal: AbortSignal): Promise<void> {
    await this.fns.starting?.(signal);
  }

  protected override running(signal: AbortSignal): Promise<void> {
    return this.fns.running ? this.fns.running(signal) : super.running(signal);
  }

  protected override async stopping(failure: unknown): Promise<void> {
    await this.fns.stopping?.(failure);
  }
}
