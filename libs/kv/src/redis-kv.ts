import { UnavailableError, ValidationError, errorMessage, isPanoptesError } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import Redis from 'ioredis';
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

export interface RedisKvConfig extends KvCasConfig {
  /** Redis address as host:port. */
  addr: string;
  /** Redis password; empty for none. */
  password: string;
  /** Redis logical database number. */
  db: number;
  /** Prefix of every Redis key and channel this store uses, so tenants and tests can share one Redis. */
  prefix: string;
  /** How often watches re-read their keys in case a pub/sub message was missed, in milliseconds. */
  pollIntervalMs: number;
  /** Time allowed to open a connection, in milliseconds. */
  dialTimeoutMs: number;
  /** Time allowed for one Redis command (including waiting for a reconnect), in milliseconds. */
  requestTimeoutMs: number;
  /** Upper bound of the delay between reconnection (and watch re-subscription) attempts, in milliseconds. */
  maxReconnectBackoffMs: number;
  /** Connection name shown by Redis CLIENT LIST, to tell this store's connections apart. */
  clientName: string;
}

export function defaultRedisKvConfig(): RedisKvConfig {
  return {
    ...defaultKvCasConfig(),
    addr: '127.0.0.1:6379',
    password: '',
    db: 0,
    prefix: 'panoptes/',
    pollIntervalMs: 1000,
    dialTimeoutMs: 2000,
    requestTimeoutMs: 2000,
    maxReconnectBackoffMs: 2000,
    clientName: 'panoptes-kv',
  };
}

/**
 * Atomic compare-and-swap of one key. Every key is a hash {val, ver}; `ver` comes from one counter
 * per store prefix, so versions only grow, even across delete and re-create, which lets watchers
 * drop stale reads. The script checks the version read by the client, writes, maintains the sorted
 * key index used by `list`, and publishes the key on the change channel, all in one step.
 *
 * KEYS: data key, version counter, key index. ARGV: expected version ("0" = absent), "set"|"del",
 * value, logical key, change channel. Returns the new version, 0 for a no-op delete, -1 on conflict.
 */
const CAS_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], 'ver')
if not cur then cur = '0' end
if cur ~= ARGV[1] then return -1 end
if ARGV[2] == 'del' and cur == '0' then return 0 end
local ver = redis.call('INCR', KEYS[2])
if ARGV[2] == 'set' then
  redis.call('HSET', KEYS[1], 'val', ARGV[3], 'ver', ver)
  redis.call('ZADD', KEYS[3], 0, ARGV[4])
else
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[4])
end
redis.call('PUBLISH', ARGV[5], ARGV[4])
return ver
`;

/** Unconditional delete, with the same bookkeeping as CAS. Same KEYS/ARGV minus the expected version. */
const DELETE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ver = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[1])
return ver
`;

interface ScriptedRedis extends Redis {
  kvCas(
    dataKey: string,
    seqKey: string,
    indexKey: string,
    expected: string,
    op: 'set' | 'del',
    value: Buffer | string,
    key: string,
    channel: string,
  ): Promise<number>;
  kvDelete(dataKey: string, seqKey: string, indexKey: string, key: string, channel: string): Promise<number>;
}

interface Versioned {
  value: Buffer | undefined;
  /** 0 when the key is missing. */
  version: number;
}

/** First delay before retrying a failed watch subscription, in ms; doubles up to maxReconnectBackoffMs. */
const RESUBSCRIBE_INITIAL_BACKOFF_MS = 100;

/** What a watcher last delivered for one key. */
interface Seen {
  version: number;
  exists: boolean;
}

interface Watcher {
  target: string;
  prefix: boolean;
  signal: AbortSignal;
  notify: (key: string, value: Buffer | undefined) => void;
  seen: Map<string, Seen>;
  /** A full re-read (the key, or every key under the prefix) is due. */
  fullPending: boolean;
  /** Single keys of a prefix watch due for a re-read. */
  keysPending: Set<string>;
  /** The running pump, if any: it re-checks the pending flags before it ends. */
  pumping: Promise<void> | undefined;
}

/**
 * Redis-backed KV store for microservices mode.
 *
 * Atomicity: CAS reads {val, ver}, runs the update function, then runs a Lua script (EVALSHA via
 * ioredis' defineCommand) that writes only if `ver` is unchanged. Lua scripts run atomically in
 * Redis, so concurrent writers from many processes can never both win; the loser retries.
 *
 * Watches: a change is published on `<prefix>~kv/changes` (the message is the key) by the same
 * script that commits it; each watcher re-reads the key and delivers it if its version is newer
 * than the last one it delivered (or lower: Redis lost its data and the counter started again). A
 * poll every `pollIntervalMs` re-reads everything watched, so a message lost during a reconnect
 * only delays delivery.
 *
 * Connection loss: commands fail with `UnavailableError` after `requestTimeoutMs`; ioredis keeps
 * reconnecting in the background. A subscription that was established is restored by ioredis
 * itself on reconnect (`autoResubscribe`); one that could not be established at all (Redis
 * unreachable when the first watch started) is retried with backoff while watchers remain, so
 * watchers never stay on polling alone.
 */
export class RedisKv implements KvStore {
  private readonly client: ScriptedRedis;
  private subscriber: Redis | undefined;
  private subscribing: Promise<void> | undefined;
  /** Failed subscription attempts since the last success: drives the backoff and the log level. */
  private subscribeFailures = 0;
  private resubscribeTimer: NodeJS.Timeout | undefined;
  private readonly watchers = new Set<Watcher>();
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly metrics: KvMetrics;
  private readonly seqKey: string;
  private readonly indexKey: string;
  private readonly channel: string;
  private closed = false;
  private connected = false;

  constructor(
    private readonly config: RedisKvConfig,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    const [host, portText] = splitAddr(config.addr);
    this.metrics = new KvMetrics(registry);
    this.seqKey = `${config.prefix}~kv/version`;
    this.indexKey = `${config.prefix}~kv/keys`;
    this.channel = `${config.prefix}~kv/changes`;
    this.client = new Redis({
      host,
      port: portText,
      password: config.password || undefined,
      db: config.db,
      connectTimeout: config.dialTimeoutMs,
      commandTimeout: config.requestTimeoutMs,
      // Fail queued commands after one failed reconnect rather than twenty: callers retry.
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 50, config.maxReconnectBackoffMs),
      lazyConnect: false,
      connectionName: config.clientName || undefined,
      // After close(), a socket that does not end cleanly is destroyed this soon (ms).
      disconnectTimeout: 200,
    }) as ScriptedRedis;
    this.client.defineCommand('kvCas', { numberOfKeys: 3, lua: CAS_SCRIPT });
    this.client.defineCommand('kvDelete', { numberOfKeys: 3, lua: DELETE_SCRIPT });
    this.watchConnection(this.client, 'commands');
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.metrics.time('get', async () => {
      this.checkOpen();
      validateKey(key);
      return (await this.read(key)).value;
    });
  }

  cas(key: string, fn: CasFn): Promise<void> {
    return this.metrics.time('cas', async () => {
      validateKey(key);
      const attempts = Math.max(1, this.config.casMaxRetries);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        this.checkOpen();
        const current = await this.read(key);
        const decided = fn(current.value);
        const result: CasResult | null = isPromise(decided) ? await decided : decided;
        if (result === null) return;
        if (!result.retry) {
          const op = result.value === undefined ? 'del' : 'set';
          const outcome = await this.call(() =>
            this.client.kvCas(
              this.dataKey(key),
              this.seqKey,
              this.indexKey,
              String(current.version),
              op,
              result.value ?? '',
              key,
              this.channel,
            ),
          );
          if (outcome !== -1) return;
        }
        if (attempt < attempts) {
          this.metrics.casRetries.inc();
          await sleep(casBackoffMs(this.config, attempt));
        }
      }
      throw new CasRetriesExhaustedError(key, attempts);
    });
  }

  delete(key: string): Promise<void> {
    return this.metrics.time('delete', async () => {
      this.checkOpen();
      validateKey(key);
      await this.call(() => this.client.kvDelete(this.dataKey(key), this.seqKey, this.indexKey, key, this.channel));
    });
  }

  list(prefix: string): Promise<string[]> {
    return this.metrics.time('list', async () => {
      this.checkOpen();
      return this.listKeys(prefix);
    });
  }

  watchKey(key: string, signal: AbortSignal, onChange: (value: Buffer | undefined) => void): Promise<void> {
    validateKey(key);
    return this.addWatcher(key, false, signal, (_key, value) => onChange(value));
  }

  watchPrefix(
    prefix: string,
    signal: AbortSignal,
    onChange: (key: string, value: Buffer | undefined) => void,
  ): Promise<void> {
    return this.addWatcher(prefix, true, signal, onChange);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.stopPolling();
    clearTimeout(this.resubscribeTimer);
    await Promise.all([quit(this.client), this.subscriber && quit(this.subscriber)]);
  }

  private async addWatcher(
    target: string,
    prefix: boolean,
    signal: AbortSignal,
    notify: (key: string, value: Buffer | undefined) => void,
  ): Promise<void> {
    this.checkOpen();
    if (signal.aborted) return;
    const watcher: Watcher = {
      target,
      prefix,
      signal,
      notify,
      seen: new Map(),
      fullPending: true,
      keysPending: new Set(),
      pumping: undefined,
    };
    this.watchers.add(watcher);
    signal.addEventListener(
      'abort',
      () => {
        this.watchers.delete(watcher);
        if (this.watchers.size === 0) this.stopPolling();
      },
      { once: true },
    );
    this.startPolling();
    // Subscribe before the first read so no change can slip between them. A failure is logged
    // and retried by ensureSubscribed; meanwhile polling delivers.
    await this.ensureSubscribed().catch(() => undefined);
    await this.pump(watcher);
  }

  /**
   * Re-reads what the watcher has pending until nothing is. One pump per watcher at a time keeps
   * deliveries ordered; a caller arriving while one runs waits for it (it sees the new flags).
   */
  private pump(watcher: Watcher): Promise<void> {
    watcher.pumping ??= this.drain(watcher).finally(() => {
      watcher.pumping = undefined;
    });
    return watcher.pumping;
  }

  private async drain(watcher: Watcher): Promise<void> {
    try {
      while (!watcher.signal.aborted && !this.closed && (watcher.fullPending || watcher.keysPending.size > 0)) {
        if (watcher.fullPending) {
          watcher.fullPending = false;
          watcher.keysPending.clear();
          const keys = watcher.prefix ? await this.listKeys(watcher.target) : [watcher.target];
          // Keys that disappeared from the index since the last read were deleted.
          const gone = [...watcher.seen.keys()].filter((k) => watcher.seen.get(k)?.exists && !keys.includes(k));
          for (const key of [...keys, ...gone]) await this.refreshKey(watcher, key);
        } else {
          const [key] = watcher.keysPending;
          watcher.keysPending.delete(key);
          await this.refreshKey(watcher, key);
        }
      }
    } catch (err) {
      // Polling retries; the store may be unreachable for a while.
      watcher.fullPending = true;
      this.logger.debug('KV watch read failed; will retry on the next poll', {
        key: watcher.target,
        err: errorMessage(err),
      });
    }
  }

  private async refreshKey(watcher: Watcher, key: string): Promise<void> {
    const current = await this.read(key);
    if (watcher.signal.aborted || this.closed) return;
    const seen = watcher.seen.get(key);
    const exists = current.value !== undefined;
    let deliver: boolean;
    if (!seen) {
      // First read of a key: a plain key watch reports even a missing key; a prefix watch does not.
      deliver = exists || !watcher.prefix;
    } else if (exists) {
      // Reads of one watcher are sequential, so versions only grow while Redis keeps its data;
      // a lower version means Redis lost it (restart without persistence, failover to an empty
      // replica) and the key was written again from 1: deliver it, or the watcher would ignore
      // every change until the counter passed the old version.
      deliver = current.version !== seen.version;
    } else {
      deliver = seen.exists;
    }
    if (!deliver) {
      if (!seen) watcher.seen.set(key, { version: 0, exists: false });
      return;
    }
    watcher.seen.set(key, { version: exists ? current.version : (seen?.version ?? 0), exists });
    if (!exists && watcher.prefix) watcher.seen.delete(key);
    try {
      watcher.notify(key, current.value);
    } catch (err) {
      this.logger.error('KV watch callback failed', { key, err: errorMessage(err) });
    }
  }

  private ensureSubscribed(): Promise<void> {
    if (!this.subscribing) {
      // autoResubscribe (the ioredis default, spelled out because watches depend on it) restores
      // the subscription after every reconnect; the retryStrategy never gives up reconnecting.
      const subscriber = this.client.duplicate({ autoResubscribe: true });
      this.subscriber = subscriber;
      this.watchConnection(subscriber, 'watch');
      subscriber.on('message', (_channel: string, key: string) => this.onChangeMessage(key));
      // After a reconnect messages may have been lost: re-read everything right away.
      subscriber.on('ready', () => this.pollAll());
      this.subscribing = subscriber.subscribe(this.channel).then(() => undefined);
      this.subscribing.then(
        () => {
          if (this.subscribeFailures > 0) {
            this.logger.info('KV watch subscription restored', { attempts: this.subscribeFailures + 1 });
          }
          this.subscribeFailures = 0;
        },
        (err: unknown) => {
          this.subscribing = undefined;
          this.subscriber = undefined;
          subscriber.disconnect();
          this.retrySubscribeLater(err);
        },
      );
    }
    return this.subscribing;
  }

  /** Schedules another subscription attempt while watchers remain; warns once per outage. */
  private retrySubscribeLater(err: unknown): void {
    if (this.closed) return;
    this.subscribeFailures++;
    const delayMs = Math.min(
      RESUBSCRIBE_INITIAL_BACKOFF_MS * 2 ** (this.subscribeFailures - 1),
      Math.max(this.config.maxReconnectBackoffMs, RESUBSCRIBE_INITIAL_BACKOFF_MS),
    );
    const fields = {
      addr: this.config.addr,
      attempts: this.subscribeFailures,
      retryInMs: delayMs,
      err: errorMessage(err),
    };
    if (this.subscribeFailures === 1) {
      this.logger.warn('KV watch subscription failed; relying on polling and retrying', fields);
    } else {
      this.logger.debug('KV watch subscription retry failed', fields);
    }
    if (this.resubscribeTimer) return;
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      if (this.closed || this.subscribing) return;
      if (this.watchers.size === 0) {
        // No one to serve: the next watch subscribes afresh (and warns afresh if that fails).
        this.subscribeFailures = 0;
        return;
      }
      this.ensureSubscribed().catch(() => undefined);
    }, delayMs);
    this.resubscribeTimer.unref();
  }

  private onChangeMessage(key: string): void {
    for (const watcher of this.watchers) {
      if (watcher.prefix) {
        if (!key.startsWith(watcher.target)) continue;
        watcher.keysPending.add(key);
      } else {
        if (key !== watcher.target) continue;
        watcher.fullPending = true;
      }
      void this.pump(watcher);
    }
  }

  private pollAll(): void {
    for (const watcher of this.watchers) {
      watcher.fullPending = true;
      void this.pump(watcher);
    }
  }

  private startPolling(): void {
    if (this.pollTimer || this.config.pollIntervalMs <= 0) return;
    this.pollTimer = setInterval(() => this.pollAll(), this.config.pollIntervalMs);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async read(key: string): Promise<Versioned> {
    const [val, ver] = await this.call(() => this.client.hmgetBuffer(this.dataKey(key), 'val', 'ver'));
    if (val === null || ver === null) return { value: undefined, version: 0 };
    return { value: val, version: Number(ver.toString()) };
  }

  private listKeys(prefix: string): Promise<string[]> {
    // Every member has score 0, so the index is ordered by key bytes and a prefix is a lex range.
    // 0xff never occurs in UTF-8, so "(prefix\xff" bounds exactly the keys that start with prefix.
    const min = `[${prefix}`;
    const max = prefix === '' ? '+' : Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([0xff])]);
    return this.call(() => this.client.zrangebylex(this.indexKey, min, max));
  }

  private dataKey(key: string): string {
    return this.config.prefix + key;
  }

  /** Runs a Redis command, turning client and connection failures into `UnavailableError`. */
  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      if (isPanoptesError(err)) throw err;
      if (this.closed) throw kvClosedError('redis');
      throw new UnavailableError(
        'kv_unavailable',
        `Redis KV at ${this.config.addr} is unavailable: ${errorMessage(err)}; check that Redis is running and reachable`,
        { cause: err },
      );
    }
  }

  private watchConnection(client: Redis, role: string): void {
    client.on('ready', () => {
      if (!this.connected && role === 'commands') this.logger.info('KV connected to Redis', { addr: this.config.addr });
      if (role === 'commands') this.connected = true;
    });
    client.on('error', (err: Error) => {
      // ioredis emits an error on every failed reconnect; warn once per outage.
      if (role === 'commands' && this.connected) {
        this.connected = false;
        this.logger.warn('KV lost its Redis connection; reconnecting', { addr: this.config.addr, err: err.message });
      } else {
        this.logger.debug('KV Redis connection error', { addr: this.config.addr, role, err: err.message });
      }
    });
  }

  private checkOpen(): void {
    if (this.closed) throw kvClosedError('redis');
  }
}

function splitAddr(addr: string): [string, number] {
  const idx = addr.lastIndexOf(':');
  const port = Number(addr.slice(idx + 1));
  if (idx <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ValidationError('invalid_kv_addr', `Redis KV address "${addr}" is not host:port; set it like 127.0.0.1:6379`);
  }
  return [addr.slice(0, idx), port];
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  client.disconnect();
}
