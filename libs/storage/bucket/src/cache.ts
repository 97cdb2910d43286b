/**
 * A key-value cache of byte strings with per-write TTLs. Implementations never throw from
 * getMulti, setMulti or delete: a failed lookup is a miss and a failed write is dropped, both
 * counted in `panoptes_cache_operation_failures_total`. Callers must not mutate returned buffers.
 */
export interface Cache {
  /** Labels this cache's metrics (`name`) and log lines. */
  readonly name: string;
  /** The values found, by key; missing keys are absent from the map. */
  getMulti(keys: string[]): Promise<Map<string, Buffer>>;
  /** Stores every item for `ttlMs` milliseconds. Values larger than the cache's item limit are skipped. */
  setMulti(items: ReadonlyMap<string, Buffer>, ttlMs: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
  close(): Promise<void>;
}
