// Public surface of kv: everything else in this folder is internal.
export {
  CasFn,
  CasResult,
  CasRetriesExhaustedError,
  KvCasConfig,
  KvStore,
  defaultKvCasConfig,
} from './kv';
export { MemoryKv, MemoryKvConfig, defaultMemoryKvConfig } from './memory-kv';
export { RedisKv, RedisKvConfig, defaultRedisKvConfig } from './redis-kv';
