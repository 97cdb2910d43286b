import { UnavailableError, ValidationError } from '@panoptes/common';

/**
 * What a compare-and-swap update function decides, given the current value:
 * - `{ value }` writes `value` (a `Buffer`), or deletes the key when `value` is `undefined`;
 * - `{ value, retry: true }` writes nothing and asks to be called again after a backoff, with the
 *   then-current value (for "not yet" decisions); it counts against the retry bound;
 * - `null` leaves the key as it is and ends the CAS successfully.
 */
export interface CasResult {
  value: Buffer | undefined;
  retry?: boolean;
}

/**
 * Computes the new value from the current one. It may be called several times (once per attempt),
 * so it must not have side effects beyond building its answer. Throwing aborts the CAS with that
 * error. It may return a promise; synchronous functions are cheaper (no await between read and write).
 */
export type CasFn = (current: Buffer | undefined) => CasResult | null | Promise<CasResult | null>;

/**
 * A key-value store with compare-and-swap: the ring's state store (the role of dskit's kv.Client).
 * Values are opaque bytes.
 *
 * Watches deliver the current value first (`undefined` when the key is missing; for a prefix, one
 * call per existing key), then changes in commit order, until the signal aborts. A store may
 * coalesce changes that happen in quick succession (Redis does), but never reorders them and
 * always delivers the latest value eventually. Callbacks must not throw (errors are logged).
 */
export interface KvStore {
  get(key: string): Promise<Buffer | undefined>;
  /** Atomically replaces the value with what `fn` returns; retries on conflicts, then throws `CasRetriesExhaustedError`. */
  cas(key: string, fn: CasFn): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Resolves once the watch is in place and the current value was delivered (or its fetch failed). */
  watchKey(key: string, signal: AbortSignal, onChange: (value: Buffer | undefined) => void): Promise<void>;
  /** Like `watchKey` for every key under `prefix`; a deleted key is reported with `undefined`. */
  watchPrefix(
    prefix: string,
    signal: AbortSignal,
    onChange: (key: string, value: Buffer | undefined) => void,
  ): Promise<void>;
  /** Ends every watch and releases connections. Further operations fail with `UnavailableError`. */
  close(): Promise<void>;
}

/** Retry policy of compare-and-swap, shared by every store. */
export interface KvCasConfig {
  /** Attempts a CAS makes before giving up with `CasRetriesExhaustedError` (at least 1). */
  casMaxRetries: number;
  /** Backoff before the first retry, in milliseconds; it doubles on each retry, with jitter. */
  casBackoffMinMs: number;
  /** Upper bound of the backoff between retries, in milliseconds. */
  casBackoffMaxMs: number;
}

export function defaultKvCasConfig(): KvCasConfig {
  return { casMaxRetries: 10, casBackoffMinMs: 5, casBackoffMaxMs: 200 };
}

/** A CAS gave up: every attempt conflicted with another writer (or its function asked to retry). */
export class CasRetriesExhaustedError extends UnavailableError {
  constructor(
    readonly key: string,
    readonly attempts: number,
  ) {
    super(
      'kv_cas_retries_exhausted',
      `compare-and-swap on KV key "${key}" gave up after ${attempts} attempts because other writers kept changing it; retry later or raise the KV CAS max retries`,
    );
  }
}

export function kvClosedError(store: string): UnavailableError {
  return new UnavailableError('kv_closed', `the ${store} KV store is closed; it cannot be used after close()`);
}

/** Keys are non-empty and must not start with "~", which the stores reserve for their own bookkeeping. */
export function validateKey(key: string): void {
  if (key.length === 0) throw new ValidationError('invalid_kv_key', 'KV key is empty; use a key like "ring/ingester"');
  if (key.startsWith('~')) {
    throw new ValidationError('invalid_kv_key', `KV key "${key}" starts with "~", which is reserved; choose another key`);
  }
}

/** Jittered exponential backoff for retry `retry` (1-based): a random value in [d/2, d]. */
export function casBackoffMs(config: KvCasConfig, retry: number): number {
  const d = Math.min(config.casBackoffMaxMs, config.casBackoffMinMs * 2 ** Math.min(retry - 1, 20));
  return d / 2 + Math.random() * (d / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
