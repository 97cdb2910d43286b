import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Service, ServiceState } from './service';

/**
 * Runs a list of services given in dependency order: starts them one after the other, stops them
 * in reverse. When any service fails (while starting or later), every other one is stopped and
 * `awaitStopped()` rejects with a message naming the failed service and why.
 */
export class ServiceManager {
  private stopping: Promise<void> | undefined;
  private firstFailure: { service: string; error: unknown } | undefined;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly services: Service[],
    private readonly logger: Logger,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    for (const s of services) {
      s.addListener((from, to) => {
        this.logger.debug('service state changed', { service: s.name, from, to });
        if (to === ServiceState.Failed) this.onFailure(s);
      });
    }
  }

  /** Starts every service in order. Rejects (after stopping the rest) when one fails to start. */
  async startAll(): Promise<void> {
    for (const s of this.services) {
      if (this.stopping) break;
      try {
        await s.start();
      } catch (err) {
        // A stop requested while this service was starting aborts it: that is not a failure.
        if (this.stopping && s.failureCase === undefined) break;
        this.firstFailure ??= { service: s.name, error: s.failureCase ?? err };
        await this.stopAll();
        throw this.failureError();
      }
    }
    if (this.firstFailure) throw this.failureError();
  }

  /** Stops every service in reverse order; safe to call many times. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const s of [...this.services].reverse()) {
        try {
          await s.stop();
        } catch (err) {
          this.logger.error('service failed while stopping', { service: s.name, err: errorMessage(err) });
        }
      }
      this.resolveDone();
    })();
    return this.stopping;
  }

  /** Resolves when all services stopped cleanly; rejects when they stopped because one failed. */
  async awaitStopped(): Promise<void> {
    await this.done;
    if (this.firstFailure) throw this.failureError();
  }

  /** Whether stopAll was called (by a signal, or because a service failed). */
  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  isHealthy(): boolean {
    return !this.stopping && this.services.every((s) => s.state === ServiceState.Running);
  }

  states(): Array<{ name: string; state: ServiceState; failure?: string }> {
    return this.services.map((s) => ({
      name: s.name,
      state: s.state,
      ...(s.failureCase !== undefined ? { failure: errorMessage(s.failureCase) } : {}),
    }));
  }

  private onFailure(s: Service): void {
    if (!this.firstFailure) {
      this.firstFailure = { service: s.name, error: s.failureCase };
      this.logger.error('service failed, stopping all services', { service: s.name, err: errorMessage(s.failureCase) });
    }
    void this.stopAll();
  }

  private failureError(): Error {
    const f = this.firstFailure!;
    return new Error(`service "${f.service}" failed: ${errorMessage(f.error)}`, { cause: f.error });
  }
}
