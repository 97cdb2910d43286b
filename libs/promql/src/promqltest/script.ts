import { LiteralError, parseDuration, parseGoFloat, unquoteString } from '../literals';
import { type Labels, type SequenceValue, SeriesSyntaxError, parseSeriesDesc } from './series';

/**
 * The Prometheus PromQL test-script language (`promql/promqltest/README.md`): `load <step>`
 * blocks of series, `clear`, and `eval instant at <t> <expr>` / `eval range from <a> to <b>
 * step <s> <expr>` blocks with `expect …` lines and expected results. The loader only reads the
 * script; the expressions are not parsed here (the runner does that through the engine).
 */
export type TestCommand = LoadCommand | ClearCommand | EvalCommand;

export interface LoadCommand {
  kind: 'load';
  /** 1-based line of the `load` line. */
  line: number;
  intervalMs: number;
  /** `load_with_nhcb`: classic histogram series are also loaded as native histograms with custom buckets. */
  withNhcb: boolean;
  series: LoadSeries[];
}

export interface LoadSeries {
  labels: Labels;
  /** Position k is at time k * intervalMs. */
  values: SequenceValue[];
  /** Start timestamps (`@st` lines) as offsets from each sample's time, undefined where omitted. */
  startOffsetsMs?: (number | undefined)[];
  line: number;
}

export interface ClearCommand {
  kind: 'clear';
  line: number;
}

export type ExpectType = 'fail' | 'ordered' | 'warn' | 'no_warn' | 'info' | 'no_info';

export interface Expectation {
  type: ExpectType;
  /** Exact message (`msg:`), or a pattern (`regex:`, unanchored); neither means "any". */
  message?: string;
  regex?: RegExp;
}

export interface ExpectedSeries {
  labels: Labels;
  values: SequenceValue[];
  /** 1-based position among the expected results, for `ordered`. */
  pos: number;
}

export interface EvalCommand {
  kind: 'eval';
  line: number;
  expr: string;
  /** Instant: evaluation time; range: start/end/step. Milliseconds since the epoch. */
  range: boolean;
  startMs: number;
  endMs: number;
  stepMs: number;
  /** The time an instant query runs at. */
  evalMs: number;
  /** Deprecated `eval_fail`/`eval_warn`/`eval_info`/`eval_ordered` spellings. */
  fail: boolean;
  warn: boolean;
  info: boolean;
  ordered: boolean;
  expectedFailMessage?: string;
  expectedFailRegexp?: RegExp;
  expectations: Expectation[];
  /** A scalar result (a bare number line). */
  expectedScalar?: number;
  expectedSeries: ExpectedSeries[];
  /** `expect string "…"`. */
  expectedString?: string;
  /** `expect range vector from … to … step …`: an instant query returning a range vector. */
  expectRangeVector: boolean;
  /** Not re-run as a range query (range-vector and string results). */
  excludeFromRangeQuery: boolean;
}

export class TestScriptError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const PAT_SPACE = /[\t ]+/;
const PAT_LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const PAT_EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const PAT_EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const PAT_EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const PAT_EXPECT_RANGE = /^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;

/** Reads a test script. Throws TestScriptError (with the 1-based line) on the first malformed command. */
export function parseTestScript(input: string): TestCommand[] {
  const lines = input.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: TestCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === '') continue;
    const c = l.split(PAT_SPACE, 1)[0].toLowerCase();
    if (c === 'clear') {
      cmds.push({ kind: 'clear', line: i + 1 });
    } else if (c.startsWith('load')) {
      const [next, cmd] = parseLoad(lines, i);
      cmds.push(cmd);
      i = next;
    } else if (c.startsWith('eval')) {
      const [next, cmd] = parseEval(lines, i);
      cmds.push(cmd);
      i = next;
    } else {
      throw new TestScriptError(i + 1, `invalid command ${JSON.stringify(l)}`);
    }
  }
  return cmds;
}

function duration(s: string, line: number, what: string): number {
  try {
    return parseDuration(s);
  } catch (err) {
    if (err instanceof LiteralError) throw new TestScriptError(line, `invalid ${what} ${JSON.stringify(s)}: ${err.message}`);
    throw err;
  }
}

function series(defLine: string, line: number): { labels: Labels; values: SequenceValue[] } {
  try {
    return parseSeriesDesc(defLine);
  } catch (err) {
    if (err instanceof SeriesSyntaxError || err instanceof LiteralError) throw new TestScriptError(line, err.message);
    throw err;
  }
}

function parseLoad(lines: string[], i: number): [number, LoadCommand] {
  const m = PAT_LOAD.exec(lines[i]);
  if (!m) throw new TestScriptError(i + 1, 'invalid load command. (load[_with_nhcb] <step:duration>)');
  const cmd: LoadCommand = { kind: 'load', line: i + 1, intervalMs: duration(m[2], i + 1, 'step definition'), withNhcb: m[1] === 'with_nhcb', series: [] };
  let defaultSt: (number | undefined)[] | undefined;
  let pending: { labels: Labels; offsets: (number | undefined)[]; line: number } | undefined;
  while (i + 1 < lines.length && lines[i + 1] !== '') {
    i++;
    const def = lines[i];
    if (isStartTimestampLine(def)) {
      if (pending) throw new TestScriptError(pending.line, '@st line has no following sample line');
      const space = def.search(/[ \t]/);
      const metricPart = def.slice(0, space).replace(/@st$/, '');
      const offsets = parseStSequence(def.slice(space + 1).trim(), i + 1);
      if (metricPart === '') defaultSt = offsets;
      else pending = { labels: series(`${metricPart} _`, i + 1).labels, offsets, line: i + 1 };
      continue;
    }
    const s = series(def, i + 1);
    let startOffsetsMs: (number | undefined)[] | undefined;
    if (pending) {
      if (labelsKey(pending.labels) !== labelsKey(s.labels)) throw new TestScriptError(pending.line, '@st metric does not match the following sample line metric');
      if (pending.offsets.length !== s.values.length) {
        throw new TestScriptError(pending.line, `@st line has ${pending.offsets.length} values but sample line has ${s.values.length}`);
      }
      startOffsetsMs = pending.offsets;
      pending = undefined;
    } else if (defaultSt && defaultSt.length > 0) {
      startOffsetsMs = s.values.map((_, k) => defaultSt![k % defaultSt!.length]);
    }
    cmd.series.push({ labels: s.labels, values: s.values, startOffsetsMs, line: i + 1 });
  }
  if (pending) throw new TestScriptError(pending.line, '@st line has no following sample line');
  return [i, cmd];
}

function isStartTimestampLine(def: string): boolean {
  const space = def.search(/[ \t]/);
  return space >= 0 && def.slice(0, space).endsWith('@st');
}

/**
 * `@st` sequences: `_`, `_xN` (N gaps), `<dur>`, `<dur>xN` (N+1 copies), `<dur>±<dur>xN`
 * (N+1 values stepping by the second duration), `*`/`*xN` (repeat the last value). Durations
 * may be signed; the values are milliseconds relative to each sample's time.
 */
function parseStSequence(input: string, line: number): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  const prev = () => {
    for (let k = out.length - 1; k >= 0; k--) if (out[k] !== undefined) return out[k]!;
    return 0;
  };
  for (const item of input.split(/\s+/).filter(Boolean)) {
    const bad = (why: string) => new TestScriptError(line, `invalid @st sequence: invalid ST item ${JSON.stringify(item)}: ${why}`);
    if (item === '_') {
      out.push(undefined);
      continue;
    }
    let m = /^_x([0-9]+)$/.exec(item);
    if (m) {
      if (Number(m[1]) === 0) throw bad('invalid repeat count');
      for (let k = 0; k < Number(m[1]); k++) out.push(undefined);
      continue;
    }
    m = /^\*(?:x([0-9]+))?$/.exec(item);
    if (m) {
      const v = prev();
      for (let k = 0; k <= Number(m[1] ?? 0); k++) out.push(v);
      continue;
    }
    m = /^([+-]?)([0-9]+[a-wyz]*)(?:([+-])([0-9]+[a-wyz]*))?(?:x([0-9]+))?$/.exec(item);
    if (!m) throw bad('malformed item');
    if (m[3] !== undefined && m[5] === undefined) throw bad("expected 'x<count>' after step duration");
    let base = duration(m[2], line, '@st duration') * (m[1] === '-' ? -1 : 1);
    const delta = m[3] !== undefined ? duration(m[4], line, '@st duration') * (m[3] === '-' ? -1 : 1) : 0;
    const n = m[5] === undefined ? 0 : Number(m[5]);
    for (let k = 0; k <= n; k++) {
      out.push(base);
      base += delta;
    }
  }
  return out;
}

/** A canonical key of a label set (sorted `name="value"` pairs). */
export function labelsKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${JSON.stringify(k)}=${JSON.stringify(labels[k])}`)
    .join(',');
}

function parseEval(lines: string[], i: number): [number, EvalCommand] {
  const line = i + 1;
  const inst = PAT_EVAL_INSTANT.exec(lines[i]);
  const rng = PAT_EVAL_RANGE.exec(lines[i]);
  if (!inst && !rng) {
    throw new TestScriptError(
      line,
      "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> <query>'",
    );
  }
  const mod = (inst ? inst[1] : rng![1]) ?? '';
  const expr = inst ? inst[3] : rng![5];
  const where = (msg: string) => new TestScriptError(line, `error in eval ${expr}: ${msg}`);
  const cmd: EvalCommand = {
    kind: 'eval',
    line,
    expr,
    range: !inst,
    startMs: 0,
    endMs: 0,
    stepMs: 0,
    evalMs: 0,
    fail: mod === 'fail',
    warn: mod === 'warn',
    info: mod === 'info',
    ordered: mod === 'ordered',
    expectations: [],
    expectedSeries: [],
    expectRangeVector: false,
    excludeFromRangeQuery: false,
  };
  if (inst) {
    cmd.evalMs = cmd.startMs = duration(inst[2] ?? '', line, 'timestamp definition');
  } else {
    cmd.startMs = duration(rng![2], line, 'start timestamp definition');
    cmd.endMs = duration(rng![3], line, 'end timestamp definition');
    if (cmd.endMs < cmd.startMs) throw where(`invalid test definition, end timestamp (${rng![3]}) is before start timestamp (${rng![2]})`);
    cmd.stepMs = duration(rng![4], line, 'step definition');
  }
  let pos = 0;
  while (i + 1 < lines.length && lines[i + 1] !== '') {
    i++;
    const def = lines[i];
    if (cmd.fail && def.startsWith('expected_fail_message')) {
      cmd.expectedFailMessage = def.slice('expected_fail_message'.length).trim();
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_regexp')) {
      cmd.expectedFailRegexp = compileRegex(def.slice('expected_fail_regexp'.length).trim(), i + 1);
      break;
    }
    if (def.startsWith('expect range vector')) {
      const m = PAT_EXPECT_RANGE.exec(def);
      if (!m) throw where(`invalid range vector definition ${JSON.stringify(def)}`);
      cmd.startMs = duration(m[1], i + 1, 'start timestamp definition');
      cmd.endMs = duration(m[2], i + 1, 'end timestamp definition');
      cmd.stepMs = duration(m[3], i + 1, 'step definition');
      cmd.evalMs = cmd.endMs;
      cmd.expectRangeVector = true;
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (def.startsWith('expect string')) {
      const str = def === 'expect string' ? '' : def.slice('expect string '.length);
      if (str === '') throw where('expected string literal not valid - a quoted string literal is required');
      if (!/^(["'`])[\s\S]*\1$/.test(str) || str.length < 2) throw where('expected string literal not valid - check that the string is correctly quoted');
      cmd.expectedString = unquoteString(str);
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (def.split(' ')[0] === 'expect') {
      const m = PAT_EXPECT.exec(def.trim());
      if (!m) throw where('invalid expect statement, must match `expect <type> <match_type>: <string>` format');
      const e: Expectation = { type: m[1] as ExpectType };
      if (m[2] === 'msg') e.message = m[3].trim();
      else if (m[2] === 'regex') e.regex = compileRegex(m[3].trim(), i + 1);
      cmd.expectations.push(e);
      const count = (t: ExpectType) => cmd.expectations.filter((x) => x.type === t).length;
      if (count('info') > 0 && count('no_info') > 0) throw where('invalid expect lines, info and no_info cannot be used together');
      if (count('warn') > 0 && count('no_warn') > 0) throw where('invalid expect lines, warn and no_warn cannot be used together');
      if (count('fail') > 1) throw where('invalid expect lines, multiple expect fail lines are not allowed');
      continue;
    }
    const scalar = parseScalarLine(def);
    if (scalar !== undefined) {
      cmd.expectedScalar = scalar;
      break;
    }
    pos++;
    const s = series(def, i + 1);
    if (s.values.length > 1 && !cmd.range && !cmd.expectRangeVector) {
      throw where(
        "expecting multiple values in instant evaluation not allowed. consider using 'expect range vector' directive to enable a range vector result for an instant query",
      );
    }
    const key = labelsKey(s.labels);
    const existing = cmd.expectedSeries.findIndex((x) => labelsKey(x.labels) === key);
    const entry = { labels: s.labels, values: s.values, pos };
    if (existing >= 0) cmd.expectedSeries[existing] = entry;
    else cmd.expectedSeries.push(entry);
  }
  return [i, cmd];
}

/** A bare number line (`3`, `-Inf`, `0x10`, `NaN`): a scalar expectation. */
function parseScalarLine(s: string): number | undefined {
  if (/^[+-]?(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[1-9][0-9_]*|0)$/.test(s)) {
    const neg = s.startsWith('-');
    const body = s.replace(/^[+-]/, '').replace(/_/g, '');
    const v = /^0[0-7]+$/.test(body) ? parseInt(body, 8) : Number(body.replace(/^0[oO]/, '0o'));
    if (!Number.isNaN(v)) return neg ? -v : v;
  }
  const f = parseGoFloat(s);
  return f.ok ? f.value : undefined;
}

function compileRegex(pattern: string, line: number): RegExp {
  try {
    return new RegExp(pattern);
  } catch (err) {
    throw new TestScriptError(line, `invalid regexp '${pattern}': ${(err as Error).message}`);
  }
}

