import type { Labels as LabelPairs } from '@panoptes/block-formats';
import { Engine, defaultEngineConfig } from '../engine/engine';
import { MemoryQueryable } from '../engine/memory-queryable';
import type { QueryResult } from '../engine/types';
import { promqlTestParseOptions } from '../parser';
import type { QueryOutcome, QueryValue, TestEngine, TestSeries } from './runner';
import type { Labels } from './series';

const TENANT = 'promqltest';

function toPairs(labels: Labels): LabelPairs {
  return Object.entries(labels);
}

function toRecord(labels: LabelPairs): Labels {
  return Object.fromEntries(labels);
}

function toOutcome(r: QueryResult): QueryOutcome {
  let value: QueryValue;
  const v = r.value;
  switch (v.resultType) {
    case 'scalar':
      value = { type: 'scalar', value: v.v };
      break;
    case 'string':
      value = { type: 'string', value: v.v };
      break;
    case 'vector':
      value = { type: 'vector', samples: v.result.map((s) => ({ labels: toRecord(s.labels), value: s.v })) };
      break;
    case 'matrix':
      value = {
        type: 'matrix',
        series: v.result.map((s) => ({
          labels: toRecord(s.labels),
          floats: Array.from(s.ts, (t, i) => ({ t, value: s.vs[i] })),
          histograms: [],
        })),
      };
      break;
  }
  return { value, warnings: r.warnings, infos: r.infos };
}

/**
 * Our engine over in-memory XOR chunks, as the PromQL test-script runner drives it: the same
 * settings Prometheus's own `promqltest` uses (5m lookback, 1m default subquery step, every
 * parser feature on). Native-histogram samples are not stored (the engine has float samples only).
 */
export function createTestEngine(): TestEngine {
  const storage = new MemoryQueryable();
  const engine = new Engine({ ...defaultEngineConfig(), parseOptions: promqlTestParseOptions() });
  const run = async (q: () => Promise<QueryResult>): Promise<QueryOutcome> => {
    try {
      return toOutcome(await q());
    } catch (err) {
      return { error: (err as Error).message };
    }
  };
  return {
    clear: () => storage.clear(),
    load: (series: TestSeries[]) => {
      for (const s of series) {
        const floats = s.samples.filter((x) => !x.histogram).map((x) => ({ t: x.t, v: x.value ?? 0, stale: x.stale }));
        if (floats.length > 0) storage.add(TENANT, toPairs(s.labels), floats);
      }
    },
    instantQuery: (expr, timeMs) => run(() => engine.instantQuery(storage, TENANT, expr, timeMs)),
    rangeQuery: (expr, startMs, endMs, stepMs) => run(() => engine.rangeQuery(storage, TENANT, expr, startMs, endMs, stepMs)),
  };
}
