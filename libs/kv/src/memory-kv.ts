import { errorMessage } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { Registry } from 'prom-client';
import { KvMetrics } from './kv-metrics';
import {
  CasFn,
  CasResult,
  CasRetriesExhaustedError,
  KvCasConfig,
  KvStore,
  casBackoffMs,
  defaultKvCasConfig,
  isPromise,
  kvClosedError,
  sleep,
  validateKey,
} from './kv';

export type MemoryKvConfig = KvCasConfig;

export function defaultMemoryKvConfig(): MemoryKvConfig {
  return defaultKvCasConfig();
}

interface Entry {
  value: Buffer;
  version: number;
}

interface Watcher {
  /** The watched key, or the watched prefix when `prefix` is true. */
  target: string;
  prefix: boolean;
  signal: AbortSignal;
  notify: (key: string, value: Buffer | undefined) => void;
}

/**
 * In-process KV store: the all-in-one default. A CAS whose function is synchronous reads, decides
 * and writes in one synchronous step, so it cannot conflict; an asynchronous function is checked
 * against the key's version at commit time and retried like any other store.
 *
 * Invariants: stored buffers are private copies (callers get copies too); watchers are notified in
 * commit order, each in its own microtask queued at commit time.
 */
export class MemoryKv implements KvStore {
  // Shared by every view made with withConfig(); replaced only there, before the view is used.
  private data: Map<string, Entry>;
  private readonly watchers = new Set<Watcher>();
  private readonly metrics: KvMetrics;
  private shared: { version: number; views: Set<MemoryKv> };
  private closed = false;

  constructor(
    private readonly config: MemoryKvConfig,
    private readonly logger: Logger,
    private readonly registry: Registry,
  ) {
    this.metrics = new KvMetrics(registry);
    this.data = new Map();
    this.shared = { version: 0, views: new Set([this]) };
  }

  /**
   * Another client of the same data with its own CAS policy and its own watches (closing it
   * leaves this one open): what a second process would be for a networked store.
   */
  withConfig(overrides: Partial<MemoryKvConfig>): MemoryKv {
    const view = new MemoryKv({ ...this.config, ...overrides }, this.logger, this.registry);
    view.data = this.data;
    view.shared = this.shared;
    this.shared.views.add(view);
    return view;
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.metrics.time('get', async () => {
      this.checkOpen();
      validateKey(key);
      const entry = this.data.get(key);
      return entry && Buffer.from(entry.value);
    });
  }

  cas(key: string, fn: CasFn): Promise<void> {
    return this.metrics.time('cas', async () => {
      validateKey(key);
      const attempts = Math.max(1, this.config.casMaxRetries);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        this.checkOpen();
        const entry = this.data.get(key);
        const decided = fn(entry && Buffer.from(entry.value));
        let result: CasResult | null;
        if (isPromise(decided)) {
          result = await decided;
          this.checkOpen();
          if (this.data.get(key)?.version !== entry?.version) {
            await this.backoff(attempt, attempts);
            continue;
          }
        } else {
          result = decided;
        }
        if (result === null) return;
        if (result.retry) {
          await this.backoff(attempt, attempts);
          continue;
        }
        this.commit(key, result.value);
        return;
      }
      throw new CasRetriesExhaustedError(key, attempts);
    });
  }

  delete(key: string): Promise<void> {
    return this.metrics.time('delete', async () => {
      this.checkOpen();
      validateKey(key);
      this.commit(key, undefined);
    });
  }

  list(prefix: string): Promise<string[]> {
    return this.metrics.time('list', async () => {
      this.checkOpen();
      const keys: string[] = [];
      for (const key of this.data.keys()) if (key.startsWith(prefix)) keys.push(key);
      return keys.sort();
    });
  }

  async watchKey(key: string, signal: AbortSignal, onChange: (value: Buffer | undefined) => void): Promise<void> {
    validateKey(key);
    this.addWatcher({ target: key, prefix: false, signal, notify: (_key, value) => onChange(value) });
  }

  async watchPrefix(
    prefix: string,
    signal: AbortSignal,
    onChange: (key: string, value: Buffer | undefined) => void,
  ): Promise<void> {
    this.addWatcher({ target: prefix, prefix: true, signal, notify: onChange });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
    this.shared.views.delete(this);
  }

  private addWatcher(watcher: Watcher): void {
    this.checkOpen();
    if (watcher.signal.aborted) return;
    this.watchers.add(watcher);
    watcher.signal.addEventListener('abort', () => this.watchers.delete(watcher), { once: true });
    // The current state goes out first, in the same microtask order as later commits.
    if (watcher.prefix) {
      for (const [key, entry] of [...this.data].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (key.startsWith(watcher.target)) this.schedule(watcher, key, entry.value);
      }
    } else {
      this.schedule(watcher, watcher.target, this.data.get(watcher.target)?.value);
    }
  }

  private commit(key: string, value: Buffer | undefined): void {
    if (value === undefined) {
      if (!this.data.delete(key)) return;
    } else {
      this.data.set(key, { value: Buffer.from(value), version: ++this.shared.version });
    }
    const stored = this.data.get(key)?.value;
    for (const view of this.shared.views) {
      for (const watcher of view.watchers) {
        if (watcher.prefix ? key.startsWith(watcher.target) : key === watcher.target) {
          view.schedule(watcher, key, stored);
        }
      }
    }
  }

  private schedule(watcher: Watcher, key: string, value: Buffer | undefined): void {
    const copy = value && Buffer.from(value);
    queueMicrotask(() => {
      if (watcher.signal.aborted || this.closed) return;
      try {
        watcher.notify(key, copy);
      } catch (err) {
        this.logger.error('KV watch callback failed', { key, err: errorMessage(err) });
      }
    });
  }

  private async backoff(attempt: number, attempts: number): Promise<void> {
    if (attempt >= attempts) return;
    this.metrics.casRetries.inc();
    await sleep(casBackoffMs(this.config, attempt));
  }

  private checkOpen(): void {
    if (this.closed) throw kvClosedError('memory');
  }
}
