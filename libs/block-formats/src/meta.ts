import { CorruptBlockError } from './errors';

/**
 * `meta.json`: Prometheus' block meta plus the `thanos` section Thanos and Mimir read (external
 * labels, downsampling resolution, who produced the block, which files it has).
 */
export interface BlockStats {
  numSamples: number;
  numSeries: number;
  numChunks: number;
}

export interface BlockCompaction {
  level: number;
  sources: string[];
  parents?: Array<{ ulid: string; minTime: number; maxTime: number }>;
}

export interface ThanosFile {
  rel_path: string;
  size_bytes?: number;
}

export interface ThanosMeta {
  /** External labels identifying the producer and tenant, e.g. `{ __org_id__: "t1" }`. */
  labels: Record<string, string>;
  downsample: { resolution: number };
  /** Who wrote the block: `receive` (ingesters, Mimir's name for them), `compactor`, … */
  source: string;
  segment_files?: string[];
  files?: ThanosFile[];
}

export interface BlockMeta {
  ulid: string;
  /** First sample's timestamp, ms (inclusive). */
  minTime: number;
  /** Last sample's timestamp + 1, ms (exclusive). */
  maxTime: number;
  stats: BlockStats;
  compaction: BlockCompaction;
  version: 1;
  thanos?: ThanosMeta;
}

export const META_VERSION_1 = 1;

/**
 * The external label Cortex and Mimir put the tenant ID in (`TenantIDExternalLabel`). The tenant
 * is also in the object key (`<tenant>/<ulid>/`); the label keeps a block attributable when moved.
 */
export const TENANT_ID_EXTERNAL_LABEL = '__org_id__';

/** Source value of blocks cut by ingesters (Mimir's `block.ReceiveSource`). */
export const SOURCE_RECEIVE = 'receive';
/** Source value of blocks written by the compactor. */
export const SOURCE_COMPACTOR = 'compactor';

/** Tab-indented JSON, the layout Prometheus writes. */
export function encodeMeta(meta: BlockMeta): string {
  return JSON.stringify(meta, null, '\t');
}

export function parseMeta(json: string, what = 'meta.json'): BlockMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new CorruptBlockError(`${what}: not valid JSON`, { cause: err });
  }
  const m = raw as Partial<BlockMeta> | null;
  if (!m || typeof m !== 'object') throw new CorruptBlockError(`${what}: not a JSON object`);
  if (m.version !== META_VERSION_1) throw new CorruptBlockError(`${what}: unsupported version ${String(m.version)}`);
  if (typeof m.ulid !== 'string' || typeof m.minTime !== 'number' || typeof m.maxTime !== 'number') {
    throw new CorruptBlockError(`${what}: ulid, minTime and maxTime are required`);
  }
  const stats = m.stats ?? { numSamples: 0, numSeries: 0, numChunks: 0 };
  return {
    ...m,
    ulid: m.ulid,
    minTime: m.minTime,
    maxTime: m.maxTime,
    stats: { numSamples: stats.numSamples ?? 0, numSeries: stats.numSeries ?? 0, numChunks: stats.numChunks ?? 0 },
    compaction: m.compaction ?? { level: 1, sources: [m.ulid] },
    version: META_VERSION_1,
  };
}
