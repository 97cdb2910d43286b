import { PromApiClient, describeWithTool, stopAllPeers, uniqueName, vectorOf } from '@panoptes/testing';
import { QueryAnswer, compareAnswers } from './compare';
import { SAMPLE_INTERVAL_MS, generateDataset } from './dataset';
import { KNOWN_DIFFERENCES } from './known-differences';
import { CompareQuery, compareQueries } from './queries';
import { Holdings, SideBySide } from './side-by-side';

// Two hours of samples ending a minute ago, and range queries over the last 90 minutes of them.
// Samples sit 5 s past the 15 s grid and the range queries evaluate 7 s past it, so no window
// boundary (range, lookback, subquery step) lands on a sample and no subquery range starts on
// its own step: Prometheus 2.42's closed windows and Prometheus 3's left-open ones select the
// same samples, and only the queries made to hit a boundary differ.
const SEED = 20260601;
const POINTS = 480;
const SAMPLE_PHASE_MS = 5_000;
const EVAL_PHASE_MS = 7_000;
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const FIRST_T = BASE - POINTS * SAMPLE_INTERVAL_MS + SAMPLE_PHASE_MS;
const END = BASE - 60_000 + EVAL_PHASE_MS;
const START = END - 90 * 60_000;
const STEP_MS = 60_000;
/** Queries in flight at once (each runs on both sides in parallel). */
const CONCURRENCY = 4;

type Status = 'agree' | 'known' | 'mismatch' | 'stale entry';

interface Outcome {
  query: CompareQuery;
  status: Status;
  problems: string[];
  /** Both sides answered with no series at all. */
  empty: boolean;
  prometheusMs: number;
  panoptesMs: number;
}

interface Timed {
  answer: QueryAnswer;
  /** Milliseconds from request to parsed answer (with CONCURRENCY queries in flight). */
  ms: number;
}

async function answer(client: PromApiClient, expr: string): Promise<Timed> {
  const t0 = Date.now();
  try {
    return { answer: { result: await client.queryRange(expr, START, END, STEP_MS) }, ms: Date.now() - t0 };
  } catch (err) {
    return { answer: { error: err instanceof Error ? err.message : String(err) }, ms: Date.now() - t0 };
  }
}

function isEmpty(a: QueryAnswer): boolean {
  return 'result' in a && (a.result.resultType === 'matrix' || a.result.resultType === 'vector') && a.result.result.length === 0;
}

async function compareOne(sides: SideBySide, query: CompareQuery): Promise<Outcome> {
  const [want, got] = await Promise.all([answer(sides.prometheus, query.expr), answer(sides.panoptes, query.panoptesExpr ?? query.expr)]);
  const { problems } = compareAnswers(want.answer, got.answer);
  const known = KNOWN_DIFFERENCES[query.expr] !== undefined;
  const status: Status = problems.length === 0 ? (known ? 'stale entry' : 'agree') : known ? 'known' : 'mismatch';
  return { query, status, problems, empty: isEmpty(want.answer) && isEmpty(got.answer), prometheusMs: want.ms, panoptesMs: got.ms };
}

function report(outcomes: Outcome[], dataset: { series: unknown[]; samples: number; staleMarkers: number }, timings: string): string {
  const lines = outcomes.map((o) => {
    const head = `${o.status.padEnd(11)} [${o.query.group}] ${o.query.expr}${o.query.panoptesExpr ? `  (Panoptes: ${o.query.panoptesExpr})` : ''}${o.empty ? '  (empty on both)' : ''}`;
    if (o.status === 'known') return `${head}\n      ${KNOWN_DIFFERENCES[o.query.expr].kind}: ${o.problems[0]}`;
    if (o.status === 'mismatch') return `${head}\n      ${o.problems.join('\n      ')}`;
    return head;
  });
  const byKind = new Map<string, number>();
  for (const o of outcomes) {
    if (o.status !== 'known') continue;
    const kind = KNOWN_DIFFERENCES[o.query.expr].kind;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  const count = (s: Status): number => outcomes.filter((o) => o.status === s).length;
  const total = (side: 'prometheusMs' | 'panoptesMs'): number => outcomes.reduce((n, o) => n + o[side], 0);
  const slowest = [...outcomes].sort((x, y) => y.panoptesMs - x.panoptesMs).slice(0, 5);
  return [
    'promql-compare: per query',
    ...lines,
    '',
    `promql-compare: ${dataset.series.length} series, ${dataset.samples} samples (+${dataset.staleMarkers} staleness markers) on both sides; range ${new Date(START).toISOString()} .. ${new Date(END).toISOString()}, step ${STEP_MS / 1000}s`,
    `  ${outcomes.length} queries: ${count('agree')} agree (${outcomes.filter((o) => o.status === 'agree' && o.empty).length} of them empty on both sides), ${count('known')} known differences, ${count('mismatch')} mismatches, ${count('stale entry')} listed differences that did not occur`,
    `  known differences by kind: ${[...byKind].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none'}`,
    `  ${timings}; answer times summed: Prometheus ${total('prometheusMs')} ms, Panoptes ${total('panoptesMs')} ms`,
    `  slowest on Panoptes: ${slowest.map((o) => `${o.query.expr} (${o.panoptesMs} ms; Prometheus ${o.prometheusMs} ms)`).join(', ')}`,
  ].join('\n');
}

describeWithTool('prometheus', 'PromQL range queries: Panoptes against a real Prometheus 2.42 over the same data (black box)', () => {
  const dataset = generateDataset({ seed: SEED, firstT: FIRST_T, points: POINTS });
  const queries = compareQueries({ startMs: START });
  let sides: SideBySide | undefined;
  let held: { prometheus: Holdings; panoptes: Holdings } | undefined;
  const outcomes: Outcome[] = [];
  /** Which of the ended batch series each side still returns a minute after the end (b1: staleness marker; b2: last sample). */
  const afterEnd: Record<string, string[]> = {};

  beforeAll(async () => {
    let setup: string;
    ({ sides, held, timings: setup } = await SideBySide.start(dataset, uniqueName('promql-compare'), BASE + 1000));
    const cpuBefore = sides.cpuSeconds();
    const t1 = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queries.length) {
        const i = next++;
        outcomes[i] = await compareOne(sides!, queries[i]);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // A minute after b1's staleness marker and after b2's last sample (b2 just stops): only b2
    // is still within its lookback.
    const endOf = (instance: string): number => {
      const s = dataset.series.find((x) => x.labels.instance === instance)!;
      return s.staleAt ?? s.ts[s.ts.length - 1];
    };
    for (const [side, client] of [
      ['prometheus', sides.prometheus],
      ['panoptes', sides.panoptes],
    ] as const) {
      const seen: string[] = [];
      for (const instance of ['b1', 'b2']) {
        const result = vectorOf(await client.query(`batch_last_success_timestamp_seconds{instance="${instance}"}`, endOf(instance) + 60_000));
        seen.push(...result.map((r) => r.metric.instance));
      }
      afterEnd[side] = seen;
    }
    const queriesMs = Date.now() - t1;
    const cpuAfter = sides.cpuSeconds();
    const cpu = (side: 'prometheus' | 'panoptes'): string => {
      const [a, b] = [cpuBefore[side], cpuAfter[side]];
      return a === undefined || b === undefined ? '?' : `${b.toFixed(1)} s (${(b - a).toFixed(1)} s on the queries)`;
    };
    console.log(report(outcomes, dataset, `${setup}; ${queries.length} queries ${queriesMs} ms; CPU used: Prometheus ${cpu('prometheus')}, Panoptes ${cpu('panoptes')}`));
  }, 150_000);

  afterAll(async () => {
    await sides?.stop();
    await stopAllPeers();
  }, 30_000);

  it('holds the whole data set on both sides (series and samples counted by query)', () => {
    const want = { series: dataset.series.length, samples: dataset.samples };
    expect(held).toEqual({ prometheus: want, panoptes: want });
  });

  it('honours the staleness marker on both sides: b1 is gone a minute after its marker, b2 (no marker) is still looked back to', () => {
    expect(afterEnd).toEqual({ prometheus: ['b2'], panoptes: ['b2'] });
  });

  it('compares at least 250 distinct queries', () => {
    expect(outcomes.filter(Boolean)).toHaveLength(queries.length);
    expect(new Set(queries.map((q) => q.expr)).size).toBe(queries.length);
    expect(queries.length).toBeGreaterThanOrEqual(250);
  });

  it('answers every range query like Prometheus 2.42 except the listed Prometheus 3 differences', () => {
    const mismatches = outcomes.filter((o) => o.status === 'mismatch').map((o) => `${o.query.expr}: ${o.problems.join('; ')}`);
    expect(mismatches).toEqual([]);
  });

  it('lists only differences that still occur, for queries that exist', () => {
    const exprs = new Set(queries.map((q) => q.expr));
    expect(Object.keys(KNOWN_DIFFERENCES).filter((e) => !exprs.has(e))).toEqual([]);
    expect(outcomes.filter((o) => o.status === 'stale entry').map((o) => o.query.expr)).toEqual([]);
  });
});
