import * as fs from 'node:fs';
import * as path from 'node:path';
import { servicesRequired } from '@panoptes/testing';
import { Matcher } from '@panoptes/tsdb';
import type { Expr } from '../ast';
import { formatExpr } from '../format';
import { parseExpr, promqlTestParseOptions } from '../parser';
import { createTestEngine } from './engine-adapter';
import { runTestScript } from './runner';
import { type EvalCommand, type TestCommand, parseTestScript } from './script';

/**
 * Prometheus's own PromQL test scripts (shared/testdata/promql, read at run time, never copied
 * into the repository). Until the evaluator exists this checks the front half: every file loads,
 * and every `eval` expression parses with the options Prometheus runs its scripts with.
 * Prometheus parses each eval expression while reading a script, so all of them — `expect fail`
 * ones included — are valid PromQL; a failure to parse is always our bug. (Should a script ever
 * expect a parse error, the expression must fail to parse here with the same message.)
 */

/** Files that test features Prometheus keeps behind feature flags: tracked, not required. */
const EXPERIMENTAL = new Set([
  'duration_expression.test',
  'extended_vectors.test',
  'fill-modifier.test',
  'info.test',
  'limit.test',
  'name_label_dropping.test',
  'native_histograms.test',
  'start_timestamps.test',
  'type_and_unit.test',
]);

/**
 * Known gaps, by file and line, with the reason. Keep this list short and honest: the spec fails
 * when a listed case starts to parse (so the entry is removed) or an unlisted one stops parsing.
 */
const KNOWN_PARSE_FAILURES: Record<string, string> = {};

/**
 * Evaluation failures in the required (non-experimental) files that are not about native
 * histograms, with the reason. Native-histogram cases are recognised by their data (below) and
 * counted separately: the engine has float samples only, as the write path refuses native
 * histograms with a 400.
 */
const KNOWN_EVAL_FAILURES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(KNOWN_PARSE_FAILURES).map(([k, v]) => [k, `does not parse: ${v}`])),
  'aggregators.test:428': 'limit_ratio (experimental) needs Prometheus\'s label-set hash; not implemented',
};

/**
 * Lines of eval commands whose data involves native histograms: the block they run in (since the
 * last `clear`) loads a histogram sample or loads with NHCB, or the expected result holds one.
 */
function nativeHistogramCases(cmds: TestCommand[], text: string): Set<number> {
  const lines = text.split('\n');
  const out = new Set<number>();
  let histograms = false;
  for (const c of cmds) {
    if (c.kind === 'clear') histograms = false;
    if (c.kind === 'load') histograms ||= c.withNhcb || c.series.some((s) => s.values.some((v) => v.kind === 'histogram'));
    if (c.kind !== 'eval') continue;
    let expectsHistogram = false;
    for (let i = c.line; i < lines.length && lines[i].trim() !== '' && !/^(eval|load|clear)/.test(lines[i]); i++) {
      if (lines[i].includes('{{')) expectsHistogram = true;
    }
    if (histograms || expectsHistogram) out.add(c.line);
  }
  return out;
}

/** The tree without positions, matchers (as a sorted set) and functions by their text: equal for equal queries. */
function shape(e: Expr): string {
  return JSON.stringify(e, (key, value) => {
    if (key === 'pos') return undefined;
    if (key === 'matchers') return (value as Matcher[]).map((m) => m.toString()).sort(); // printed sorted
    if (value instanceof Matcher) return value.toString();
    if (key === 'func') return value.name;
    return value;
  });
}

function findTestdata(): string | undefined {
  const fromEnv = process.env.PANOPTES_PROMQL_TESTDATA;
  if (fromEnv) return fs.existsSync(fromEnv) ? fromEnv : undefined;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'testdata', 'promql');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const testdata = findTestdata();

if (!testdata) {
  const message = 'shared/testdata/promql not found (looked above this folder and in PANOPTES_PROMQL_TESTDATA): Prometheus conformance scripts not checked';
  if (servicesRequired()) {
    describe('PromQL conformance scripts', () => {
      it('needs shared/testdata/promql (PANOPTES_REQUIRE_SERVICES=1)', () => {
        throw new Error(message);
      });
    });
  } else {
    console.warn(`SKIPPED: ${message}`);
    describe.skip('PromQL conformance scripts', () => {
      it('skipped', () => undefined);
    });
  }
} else {
  const dir = testdata;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test'))
    .sort();

  describe('PromQL conformance scripts', () => {
    const rows: string[] = [];
    afterAll(() => {
      console.log(`PromQL conformance (parse), ${dir}\n${rows.join('\n')}`);
    });

    it('finds the test scripts', () => {
      expect(files.length).toBeGreaterThan(0);
    });

    it.each(files)('%s loads without script errors', (file) => {
      expect(() => parseTestScript(fs.readFileSync(path.join(dir, file), 'utf8'))).not.toThrow();
    });

    it.each(files)('%s: every eval expression parses', (file) => {
      const cmds = parseTestScript(fs.readFileSync(path.join(dir, file), 'utf8'));
      const evals = cmds.filter((c): c is EvalCommand => c.kind === 'eval');
      const unexpected: string[] = [];
      const nowParsing: string[] = [];
      const notRoundTripping: string[] = [];
      const parseErrorsNotMatched: string[] = [];
      let parsed = 0;
      for (const ev of evals) {
        const key = `${file}:${ev.line}`;
        let error: string | undefined;
        try {
          const e = parseExpr(ev.expr, promqlTestParseOptions());
          parsed++;
          const printed = formatExpr(e);
          if (shape(parseExpr(printed, promqlTestParseOptions())) !== shape(e)) notRoundTripping.push(`${key} ${ev.expr} printed as ${printed}`);
        } catch (err) {
          error = (err as Error).message;
        }
        // A failure the script expects to be a parse error must be ours too, with the same text.
        const fail = ev.expectations.find((x) => x.type === 'fail');
        const expectsParseError =
          /parse error/.test(ev.expectedFailMessage ?? '') || /parse error/.test(ev.expectedFailRegexp?.source ?? '') || /parse error/.test(fail?.message ?? fail?.regex?.source ?? '');
        if (expectsParseError) {
          const ok = error !== undefined && (ev.expectedFailMessage ?? fail?.message ?? error) === error && (ev.expectedFailRegexp ?? fail?.regex ?? /(?:)/).test(error);
          if (!ok) parseErrorsNotMatched.push(`${key} ${ev.expr}: ${error ?? 'parsed'}`);
          continue;
        }
        if (error !== undefined && !(key in KNOWN_PARSE_FAILURES)) unexpected.push(`${key} ${ev.expr}: ${error}`);
        if (error === undefined && key in KNOWN_PARSE_FAILURES) nowParsing.push(key);
      }
      const tag = EXPERIMENTAL.has(file) ? ' (experimental)' : '';
      rows.push(`${file.padEnd(28)} ${String(parsed).padStart(4)} / ${String(evals.length).padEnd(4)} parsed${tag}`);
      expect(unexpected).toEqual([]);
      expect(nowParsing).toEqual([]);
      expect(notRoundTripping).toEqual([]);
      expect(parseErrorsNotMatched).toEqual([]);
    });
  });

  describe('PromQL conformance scripts: evaluation', () => {
    const rows: string[] = [];
    afterAll(() => {
      console.log(`PromQL conformance (evaluation), ${dir}\n${rows.join('\n')}`);
    });

    it.each(files)('%s: every float case passes', async (file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const result = await runTestScript(text, createTestEngine());
      expect(result.loadError).toBeUndefined();
      const nh = nativeHistogramCases(parseTestScript(text), text);
      const failed = result.cases.filter((c) => !c.passed);
      const failedNh = failed.filter((c) => nh.has(c.line));
      const unexpected = failed.filter((c) => !nh.has(c.line) && !(`${file}:${c.line}` in KNOWN_EVAL_FAILURES)).map((c) => `${file}:${c.line} ${c.expr}: ${c.reason}`);
      const nowPassing = result.cases.filter((c) => c.passed && `${file}:${c.line}` in KNOWN_EVAL_FAILURES).map((c) => `${file}:${c.line}`);
      const tag = EXPERIMENTAL.has(file) ? ' (experimental)' : '';
      rows.push(
        `${file.padEnd(28)} ${String(result.passed).padStart(4)} / ${String(result.total).padEnd(4)} passed; ${failedNh.length} native-histogram, ${failed.length - failedNh.length} other failures${tag}`,
      );
      if (EXPERIMENTAL.has(file)) return; // tracked, not required
      expect(unexpected).toEqual([]);
      expect(nowPassing).toEqual([]);
    });
  });
}
