import { Matcher, type MatchType } from '@panoptes/tsdb';
import {
  type AggregateExpr,
  type AggregateOp,
  type BinaryExpr,
  type BinaryOp,
  type Call,
  type DurationExpr,
  type Expr,
  type MatrixSelector,
  type NumberLiteral,
  type PositionRange,
  type SubqueryExpr,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
  documentedType,
  exprType,
  isAggregatorWithParam,
  isComparisonOp,
  isSetOp,
} from './ast';
import { PromQLParseError } from './errors';
import { FUNCTIONS } from './functions';
import { AGGREGATORS, type Token, type TokenType, describeToken, lex } from './lexer';
import { LiteralError, goQuote, isValidLabelName, parseDuration, parseNumber, unquoteString } from './literals';

/**
 * Which experimental parts of the language the parser accepts. Prometheus keeps them behind
 * feature flags; its own test scripts enable all of them (`promqlTestParseOptions`).
 */
export interface ParseOptions {
  /** Functions and aggregations marked experimental (limitk, limit_ratio, info, sort_by_label, …). */
  enableExperimentalFunctions: boolean;
  /** Arithmetic in durations: `[5m * 2]`, `offset (1h + 30m)`. */
  experimentalDurationExpr: boolean;
  /** The `anchored` and `smoothed` range modifiers. */
  enableExtendedRangeSelectors: boolean;
  /** fill(), fill_left() and fill_right() on binary operators. */
  enableBinopFillModifiers: boolean;
}

/** Prometheus's defaults: every experimental feature off. */
export function defaultParseOptions(): ParseOptions {
  return {
    enableExperimentalFunctions: false,
    experimentalDurationExpr: false,
    enableExtendedRangeSelectors: false,
    enableBinopFillModifiers: false,
  };
}

/** Everything on, as Prometheus's test scripts run (`promqltest.TestParserOpts`). */
export function promqlTestParseOptions(): ParseOptions {
  return {
    enableExperimentalFunctions: true,
    experimentalDurationExpr: true,
    enableExtendedRangeSelectors: true,
    enableBinopFillModifiers: true,
  };
}

/**
 * Parses a PromQL expression and checks it the way Prometheus's `parser.ParseExpr` does (types of
 * function arguments and operands, matchers, modifiers). Throws PromQLParseError with
 * Prometheus's message and the position of the first problem.
 */
export function parseExpr(input: string, options: Partial<ParseOptions> = {}): Expr {
  const parser = new Parser(input, { ...defaultParseOptions(), ...options });
  return parser.parse();
}

class ParseFailure extends Error {
  constructor(
    readonly pos: PositionRange,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const BINARY_PRECEDENCE: Partial<Record<TokenType, number>> = {
  LOR: 1,
  LAND: 2,
  LUNLESS: 2,
  EQLC: 3,
  NEQ: 3,
  LTE: 3,
  LSS: 3,
  GTE: 3,
  GTR: 3,
  TRIM_UPPER: 3,
  TRIM_LOWER: 3,
  ADD: 4,
  SUB: 4,
  MUL: 5,
  DIV: 5,
  MOD: 5,
  ATAN2: 5,
  POW: 6,
};
const UNARY_OPERAND_PRECEDENCE = 6; // unary +/- binds like *, so only ^ is taken into its operand

const BINARY_OPS: Partial<Record<TokenType, BinaryOp>> = {
  LOR: 'or',
  LAND: 'and',
  LUNLESS: 'unless',
  EQLC: '==',
  NEQ: '!=',
  LTE: '<=',
  LSS: '<',
  GTE: '>=',
  GTR: '>',
  TRIM_UPPER: '</',
  TRIM_LOWER: '>/',
  ADD: '+',
  SUB: '-',
  MUL: '*',
  DIV: '/',
  MOD: '%',
  ATAN2: 'atan2',
  POW: '^',
};

/** Keywords that may also name a metric (`metric_identifier` in Prometheus's grammar). */
const METRIC_NAME_KEYWORDS = new Set<TokenType>([
  ...AGGREGATORS,
  'BY',
  'WITHOUT',
  'LAND',
  'LOR',
  'LUNLESS',
  'OFFSET',
  'START',
  'END',
  'STEP',
  'RANGE',
  'ANCHORED',
  'SMOOTHED',
]);

/** Keywords that may also name a label in grouping clauses (`maybe_label`). */
const LABEL_KEYWORDS = new Set<TokenType>([
  ...AGGREGATORS,
  'BOOL',
  'BY',
  'GROUP_LEFT',
  'GROUP_RIGHT',
  'IGNORING',
  'LAND',
  'LOR',
  'LUNLESS',
  'OFFSET',
  'ON',
  'START',
  'END',
  'ATAN2',
  'STEP',
  'RANGE',
  'ANCHORED',
  'SMOOTHED',
  'IDENTIFIER',
  'METRIC_IDENTIFIER',
]);

const MATCH_OPS: Partial<Record<TokenType, MatchType>> = { EQL: '=', NEQ: '!=', EQL_REGEX: '=~', NEQ_REGEX: '!~' };

/** Longest duration Prometheus accepts, in seconds (int64 nanoseconds). */
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

interface DurationContext {
  context: string;
  expected: string;
}
const RANGE_CONTEXT: DurationContext = { context: 'subquery or range selector', expected: 'number, duration, step(), or range()' };
const STEP_CONTEXT: DurationContext = { context: 'subquery selector', expected: 'number, duration, step(), range(), or "]"' };
const OFFSET_CONTEXT: DurationContext = { context: 'offset', expected: 'number, duration, step(), or range()' };

/** Seconds (as written in PromQL) to whole milliseconds, rounding like Prometheus (via nanoseconds). */
function secondsToMs(s: number): number {
  return Math.trunc(Math.round(s * 1e9) / 1e6);
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  /** End of the last consumed `)`, `}`, `]`, number or duration: where Prometheus ends a node. */
  private lastClosing = 0;

  constructor(
    private readonly input: string,
    private readonly opts: ParseOptions,
  ) {
    this.tokens = lex(input).filter((t) => t.type !== 'COMMENT');
  }

  parse(): Expr {
    try {
      if (this.peek().type === 'EOF') throw new ParseFailure({ start: 0, end: 0 }, 'no expression found in input');
      const expr = this.expr(0);
      const t = this.peek();
      if (t.type !== 'EOF') this.unexpected(t);
      this.check(expr);
      return expr;
    } catch (err) {
      if (err instanceof ParseFailure) throw new PromQLParseError(this.input, err.pos, err.detail);
      throw err;
    }
  }

  // ---- tokens ----

  private peek(k = 0): Token {
    const t = this.tokens[Math.min(this.i + k, this.tokens.length - 1)];
    if (t.type === 'ERROR') throw new ParseFailure({ start: t.pos, end: this.input.length }, t.val);
    return t;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    if (t.type === 'RIGHT_PAREN' || t.type === 'RIGHT_BRACE' || t.type === 'RIGHT_BRACKET' || t.type === 'NUMBER' || t.type === 'DURATION') {
      this.lastClosing = t.pos + t.val.length;
    }
    return t;
  }

  private expect(type: TokenType, context = '', expected = ''): Token {
    const t = this.peek();
    if (t.type !== type) this.unexpected(t, context, expected);
    return this.next();
  }

  private unexpected(t: Token, context = '', expected = ''): never {
    let msg = `unexpected ${describeToken(t)}`;
    if (context) msg += ` in ${context}`;
    if (expected) msg += `, expected ${expected}`;
    throw new ParseFailure(range(t), msg);
  }

  private fail(pos: PositionRange, detail: string): never {
    throw new ParseFailure(pos, detail);
  }

  // ---- expressions ----

  private expr(minPrec: number): Expr {
    let lhs = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = BINARY_PRECEDENCE[t.type];
      if (prec === undefined || prec < minPrec) return lhs;
      this.next();
      const mods = this.binModifiers();
      const rhs = this.expr(t.type === 'POW' ? prec : prec + 1);
      const bin: BinaryExpr = {
        type: 'BinaryExpr',
        op: BINARY_OPS[t.type]!,
        lhs,
        rhs,
        matching: mods.matching,
        returnBool: mods.returnBool,
        pos: { start: lhs.pos.start, end: rhs.pos.end },
      };
      if (!this.opts.enableBinopFillModifiers && (mods.matching.fillLhs !== undefined || mods.matching.fillRhs !== undefined)) {
        this.fail(bin.pos, 'binop fill modifiers are experimental and not enabled');
      }
      lhs = bin;
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.type === 'ADD' || t.type === 'SUB') {
      this.next();
      const operand = this.expr(UNARY_OPERAND_PRECEDENCE);
      if (operand.type === 'NumberLiteral') {
        if (t.type === 'SUB') operand.val = -operand.val;
        operand.pos.start = t.pos;
        return operand;
      }
      return { type: 'UnaryExpr', op: t.type === 'SUB' ? '-' : '+', expr: operand, pos: { start: t.pos, end: operand.pos.end } };
    }
    return this.postfix(this.primary());
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case 'NUMBER':
      case 'DURATION':
        this.next();
        return this.numberLiteral(t);
      case 'STRING':
        this.next();
        return { type: 'StringLiteral', val: unquoteString(t.val), pos: range(t) };
      case 'LEFT_PAREN': {
        this.next();
        const inner = this.expr(0);
        const close = this.expect('RIGHT_PAREN');
        return { type: 'ParenExpr', expr: inner, pos: { start: t.pos, end: close.pos + 1 } };
      }
      case 'LEFT_BRACE':
        return this.vectorSelector(undefined);
      case 'IDENTIFIER':
        if (this.peek(1).type === 'LEFT_PAREN') return this.call(t, t.val);
        return this.vectorSelector(t);
      case 'METRIC_IDENTIFIER':
        return this.vectorSelector(t);
      case 'START':
      case 'END':
      case 'STEP':
      case 'RANGE':
        if (this.peek(1).type === 'LEFT_PAREN') return this.call(t, t.val.toLowerCase());
        return this.vectorSelector(t);
      default:
        if (AGGREGATORS.has(t.type)) {
          const n = this.peek(1).type;
          if (n === 'LEFT_PAREN' || n === 'BY' || n === 'WITHOUT') return this.aggregate(t);
        }
        if (METRIC_NAME_KEYWORDS.has(t.type)) return this.vectorSelector(t);
        return this.unexpected(t);
    }
  }

  private numberLiteral(t: Token): NumberLiteral {
    try {
      if (t.type === 'DURATION') return { type: 'NumberLiteral', val: parseDuration(t.val) / 1000, duration: true, pos: range(t) };
      return { type: 'NumberLiteral', val: parseNumber(t.val), duration: false, pos: range(t) };
    } catch (err) {
      if (err instanceof LiteralError) this.fail(range(t), err.message);
      throw err;
    }
  }

  private call(nameTok: Token, name: string): Call {
    this.next();
    const args = this.callBody('');
    const func = FUNCTIONS.get(name);
    if (!func) this.fail(range(nameTok), `unknown function with name ${goQuote(name)}`);
    if (func.experimental && !this.opts.enableExperimentalFunctions) this.fail(range(nameTok), `function ${goQuote(name)} is not enabled`);
    return { type: 'Call', func, args, pos: { start: nameTok.pos, end: this.lastClosing } };
  }

  /** `( expr, expr, … )`; `context` names the error context when `(` is missing. */
  private callBody(context: string): Expr[] {
    this.expect('LEFT_PAREN', context);
    const args: Expr[] = [];
    if (this.peek().type === 'RIGHT_PAREN') {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.expr(0));
      const t = this.peek();
      if (t.type === 'COMMA') {
        this.next();
        if (this.peek().type === 'RIGHT_PAREN') this.fail(range(t), 'trailing commas not allowed in function call args');
        continue;
      }
      if (t.type === 'RIGHT_PAREN') {
        this.next();
        return args;
      }
      this.unexpected(t);
    }
  }

  private aggregate(opTok: Token): AggregateExpr {
    this.next();
    const op = opTok.val.toLowerCase() as AggregateOp;
    let grouping: string[] = [];
    let without = false;
    let args: Expr[];
    const modifier = () => {
      without = this.next().type === 'WITHOUT';
      grouping = this.groupingLabels();
    };
    if (this.peek().type === 'BY' || this.peek().type === 'WITHOUT') {
      modifier();
      args = this.callBody('aggregation');
    } else {
      args = this.callBody('aggregation');
      if (this.peek().type === 'BY' || this.peek().type === 'WITHOUT') modifier();
    }
    const pos = { start: opTok.pos, end: this.lastClosing };
    if (args.length === 0) this.fail(pos, 'no arguments for aggregate expression provided');
    let desired = 1;
    let param: Expr | undefined;
    if (isAggregatorWithParam(op)) {
      if (!this.opts.enableExperimentalFunctions && (op === 'limitk' || op === 'limit_ratio')) {
        this.fail(pos, `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`);
      }
      desired = 2;
      param = args[0];
    }
    if (args.length !== desired) this.fail(pos, `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`);
    return { type: 'AggregateExpr', op, expr: args[desired - 1], param, grouping, without, pos };
  }

  private groupingLabels(): string[] {
    this.expect('LEFT_PAREN', 'grouping opts', '"("');
    const labels: string[] = [];
    if (this.peek().type === 'RIGHT_PAREN') {
      this.next();
      return labels;
    }
    for (;;) {
      const t = this.peek();
      if (LABEL_KEYWORDS.has(t.type)) {
        this.next();
        labels.push(t.val);
      } else if (t.type === 'STRING') {
        this.next();
        const name = unquoteString(t.val);
        if (!isValidLabelName(name)) this.fail(range(t), `invalid label name for grouping: ${goQuote(name)}`);
        labels.push(name);
      } else {
        this.unexpected(t, 'grouping opts', 'label');
      }
      const sep = this.peek();
      if (sep.type === 'COMMA') {
        this.next();
        if (this.peek().type === 'RIGHT_PAREN') {
          this.next();
          return labels;
        }
        continue;
      }
      if (sep.type === 'RIGHT_PAREN') {
        this.next();
        return labels;
      }
      this.unexpected(sep, 'grouping opts', '"," or ")"');
    }
  }

  private binModifiers(): { returnBool: boolean; matching: VectorMatching } {
    const matching: VectorMatching = { card: 'one-to-one', matchingLabels: [], on: false, include: [] };
    let returnBool = false;
    if (this.peek().type === 'BOOL') {
      this.next();
      returnBool = true;
    }
    const t = this.peek();
    if (t.type === 'ON' || t.type === 'IGNORING') {
      this.next();
      matching.on = t.type === 'ON';
      matching.matchingLabels = this.groupingLabels();
      const g = this.peek();
      if (g.type === 'GROUP_LEFT' || g.type === 'GROUP_RIGHT') {
        this.next();
        matching.card = g.type === 'GROUP_LEFT' ? 'many-to-one' : 'one-to-many';
        if (this.peek().type === 'LEFT_PAREN') matching.include = this.groupingLabels();
      }
    }
    // fill(v) | fill_left(v) [fill_right(v)] | fill_right(v) [fill_left(v)]
    const seen = new Set<TokenType>();
    for (;;) {
      const f = this.peek();
      if (f.type !== 'FILL' && f.type !== 'FILL_LEFT' && f.type !== 'FILL_RIGHT') break;
      if (seen.has('FILL') || seen.has(f.type) || (f.type === 'FILL' && seen.size > 0)) this.unexpected(f);
      seen.add(f.type);
      this.next();
      this.expect('LEFT_PAREN', 'fill modifier', '"("');
      const v = this.signedNumber({ context: 'fill modifier', expected: 'number' });
      this.expect('RIGHT_PAREN', 'fill modifier', '")"');
      if (f.type !== 'FILL_RIGHT') matching.fillLhs = v;
      if (f.type !== 'FILL_LEFT') matching.fillRhs = v;
    }
    return { returnBool, matching };
  }

  /** `[+|-] number|duration` as seconds. */
  private signedNumber(ctx: DurationContext): number {
    let sign = 1;
    const s = this.peek();
    if (s.type === 'ADD' || s.type === 'SUB') {
      this.next();
      if (s.type === 'SUB') sign = -1;
    }
    const t = this.peek();
    if (t.type !== 'NUMBER' && t.type !== 'DURATION') this.unexpected(t, ctx.context, ctx.expected);
    this.next();
    return sign * this.numberLiteral(t).val;
  }

  private vectorSelector(nameTok: Token | undefined): VectorSelector {
    let name = '';
    let start: number;
    let end: number;
    if (nameTok) {
      this.next();
      name = nameTok.val;
      start = nameTok.pos;
      end = nameTok.pos + nameTok.val.length;
    } else {
      start = this.peek().pos;
      end = start;
    }
    let matchers: Matcher[] = [];
    if (this.peek().type === 'LEFT_BRACE') {
      matchers = this.labelMatchers();
      end = this.lastClosing;
    }
    if (name !== '') matchers.push(new Matcher('=', '__name__', name));
    return {
      type: 'VectorSelector',
      name,
      matchers,
      originalOffsetMs: 0,
      offsetMs: 0,
      anchored: false,
      smoothed: false,
      bypassEmptyMatcherCheck: false,
      pos: { start, end },
    };
  }

  private labelMatchers(): Matcher[] {
    this.next(); // {
    const matchers: Matcher[] = [];
    if (this.peek().type === 'RIGHT_BRACE') {
      this.next();
      return matchers;
    }
    for (;;) {
      matchers.push(this.labelMatcher());
      const sep = this.peek();
      if (sep.type === 'COMMA') {
        this.next();
        if (this.peek().type === 'RIGHT_BRACE') {
          this.next();
          return matchers;
        }
        continue;
      }
      if (sep.type === 'RIGHT_BRACE') {
        this.next();
        return matchers;
      }
      this.unexpected(sep, 'label matching', '"," or "}"');
    }
  }

  private labelMatcher(): Matcher {
    const label = this.peek();
    let name: string;
    if (label.type === 'IDENTIFIER') {
      this.next();
      name = label.val;
      if (MATCH_OPS[this.peek().type] === undefined) this.unexpected(this.peek(), 'label matching', 'label matching operator');
    } else if (label.type === 'STRING') {
      this.next();
      name = unquoteString(label.val);
      if (MATCH_OPS[this.peek().type] === undefined) return this.newMatcher('=', '__name__', name, range(label));
    } else {
      return this.unexpected(label, 'label matching', 'identifier or "}"');
    }
    const op = MATCH_OPS[this.next().type]!;
    const value = this.peek();
    if (value.type !== 'STRING') this.unexpected(value, 'label matching', 'string');
    this.next();
    return this.newMatcher(op, name, unquoteString(value.val), { start: label.pos, end: value.pos + value.val.length });
  }

  private newMatcher(op: MatchType, name: string, value: string, pos: PositionRange): Matcher {
    try {
      return new Matcher(op, name, value);
    } catch (err) {
      return this.fail(pos, (err as Error).message);
    }
  }

  // ---- postfix modifiers: [range], [range:step], offset, @, anchored, smoothed ----

  private postfix(e: Expr): Expr {
    for (;;) {
      switch (this.peek().type) {
        case 'LEFT_BRACKET':
          e = this.rangeOrSubquery(e);
          break;
        case 'OFFSET':
          this.offset(e);
          break;
        case 'AT':
          this.at(e);
          break;
        case 'ANCHORED':
        case 'SMOOTHED':
          this.extendedRange(e, this.next());
          break;
        default:
          return e;
      }
    }
  }

  private rangeOrSubquery(e: Expr): MatrixSelector | SubqueryExpr {
    const lb = this.next();
    const rangeDur = this.positiveDuration(RANGE_CONTEXT);
    const t = this.peek();
    if (t.type === 'RIGHT_BRACKET') {
      const rb = this.next();
      let msg = '';
      if (e.type !== 'VectorSelector') msg = 'ranges only allowed for vector selectors';
      else if (e.originalOffsetMs !== 0) msg = 'no offset modifiers allowed before range';
      else if (e.timestampMs !== undefined) msg = 'no @ modifiers allowed before range';
      if (msg) this.fail({ start: lb.pos, end: rb.pos + 1 }, msg);
      return {
        type: 'MatrixSelector',
        vectorSelector: e as VectorSelector,
        rangeMs: rangeDur.ms,
        rangeExpr: rangeDur.expr,
        pos: { start: e.pos.start, end: rb.pos + 1 },
      };
    }
    if (t.type !== 'COLON') this.unexpected(t, 'subquery or range', '":" or "]"');
    this.next();
    let step: { ms: number; expr?: DurationExpr } = { ms: 0 };
    if (this.peek().type !== 'RIGHT_BRACKET') {
      step = this.positiveDuration(STEP_CONTEXT);
      if (this.peek().type !== 'RIGHT_BRACKET') this.unexpected(this.peek(), 'subquery selector', '"]"');
    }
    const rb = this.next();
    return {
      type: 'SubqueryExpr',
      expr: e,
      rangeMs: rangeDur.ms,
      rangeExpr: rangeDur.expr,
      stepMs: step.ms,
      stepExpr: step.expr,
      originalOffsetMs: 0,
      offsetMs: 0,
      pos: { start: e.pos.start, end: rb.pos + 1 },
    };
  }

  /** A range or step: a duration expression whose literal value must be > 0. */
  private positiveDuration(ctx: DurationContext): { ms: number; expr?: DurationExpr } {
    const d = this.durationExpr(0, ctx);
    const lit = stripDurationParens(d);
    if (lit.type === 'DurationNumber') {
      if (lit.val <= 0) this.fail(lit.pos, 'duration must be greater than 0');
      return { ms: secondsToMs(lit.val) };
    }
    return { ms: 0, expr: d };
  }

  private durationExpr(minPrec: number, ctx: DurationContext): DurationExpr {
    let lhs = this.durationUnary(ctx);
    for (;;) {
      const t = this.peek();
      const prec = BINARY_PRECEDENCE[t.type];
      if (prec === undefined || prec < 4 || t.type === 'ATAN2' || prec < minPrec) return lhs;
      this.next();
      const rhs = this.durationExpr(t.type === 'POW' ? prec : prec + 1, ctx);
      this.experimentalDuration(lhs.pos);
      const rlit = stripDurationParens(rhs);
      if (t.type === 'DIV' && rlit.type === 'DurationNumber' && rlit.val === 0) this.fail(range(t), 'division by zero');
      if (t.type === 'MOD' && rlit.type === 'DurationNumber' && rlit.val === 0) this.fail(range(t), 'modulo by zero');
      lhs = { type: 'DurationBinary', op: BINARY_OPS[t.type] as '+', lhs, rhs, pos: { start: lhs.pos.start, end: rhs.pos.end } };
    }
  }

  private durationUnary(ctx: DurationContext): DurationExpr {
    const t = this.peek();
    if (t.type === 'ADD' || t.type === 'SUB') {
      this.next();
      const operand = this.durationExpr(UNARY_OPERAND_PRECEDENCE, ctx);
      if (operand.type === 'DurationNumber') {
        if (t.type === 'SUB') operand.val = -operand.val;
        if (Math.abs(operand.val) > MAX_DURATION_SECONDS) this.fail(range(t), 'duration out of range');
        operand.pos.start = t.pos;
        return operand;
      }
      if (t.type === 'ADD') return operand;
      return { type: 'DurationUnary', op: '-', expr: operand, pos: { start: t.pos, end: operand.pos.end } };
    }
    return this.durationPrimary(ctx);
  }

  private durationPrimary(ctx: DurationContext): DurationExpr {
    const t = this.peek();
    switch (t.type) {
      case 'NUMBER':
      case 'DURATION': {
        this.next();
        const lit = this.numberLiteral(t);
        if (Math.abs(lit.val) > MAX_DURATION_SECONDS) this.fail(lit.pos, 'duration out of range');
        return { type: 'DurationNumber', val: lit.val, duration: lit.duration, pos: lit.pos };
      }
      case 'STEP':
      case 'RANGE': {
        this.next();
        this.expect('LEFT_PAREN', ctx.context, ctx.expected);
        const close = this.expect('RIGHT_PAREN', ctx.context, ctx.expected);
        return { type: 'DurationCall', fn: t.type === 'STEP' ? 'step' : 'range', pos: { start: t.pos, end: close.pos + 1 } };
      }
      case 'IDENTIFIER': {
        const fn = t.val.toLowerCase();
        if ((fn !== 'min_of' && fn !== 'max_of') || this.peek(1).type !== 'LEFT_PAREN') return this.unexpected(t, ctx.context, ctx.expected);
        this.next();
        this.next();
        const lhs = this.durationExpr(0, ctx);
        this.expect('COMMA', ctx.context, ctx.expected);
        const rhs = this.durationExpr(0, ctx);
        const close = this.expect('RIGHT_PAREN', ctx.context, ctx.expected);
        return { type: 'DurationMinMax', fn, lhs, rhs, pos: { start: t.pos, end: close.pos + 1 } };
      }
      case 'LEFT_PAREN': {
        this.next();
        const inner = this.durationExpr(0, ctx);
        const close = this.expect('RIGHT_PAREN', ctx.context, ctx.expected);
        this.experimentalDuration(inner.pos);
        return { type: 'DurationParen', expr: inner, pos: { start: t.pos, end: close.pos + 1 } };
      }
      default:
        return this.unexpected(t, ctx.context, ctx.expected);
    }
  }

  private experimentalDuration(pos: PositionRange): void {
    if (!this.opts.experimentalDurationExpr) this.fail(pos, 'experimental duration expression is not enabled');
  }

  /**
   * `offset <d>`: a signed number or duration, a signed step()/range()/min_of()/max_of(), or a
   * parenthesised duration expression. `foo offset 2 ^ 2` is `(foo offset 2) ^ 2`.
   */
  private offset(e: Expr): void {
    this.next();
    const s = this.peek();
    let sign: Token | undefined;
    if (s.type === 'ADD' || s.type === 'SUB') sign = this.next();
    const t = this.peek();
    let d: DurationExpr;
    if (t.type === 'NUMBER' || t.type === 'DURATION' || t.type === 'STEP' || t.type === 'RANGE' || t.type === 'LEFT_PAREN') {
      d = this.durationPrimary(OFFSET_CONTEXT);
    } else if (t.type === 'IDENTIFIER' && /^(min_of|max_of)$/i.test(t.val) && this.peek(1).type === 'LEFT_PAREN') {
      d = this.durationPrimary(OFFSET_CONTEXT);
    } else {
      return this.unexpected(t, OFFSET_CONTEXT.context, OFFSET_CONTEXT.expected);
    }
    if (sign) {
      if (d.type === 'DurationNumber') {
        if (sign.type === 'SUB') d.val = -d.val;
        d.pos.start = sign.pos;
      } else if (sign.type === 'SUB') {
        d = { type: 'DurationUnary', op: '-', expr: d, pos: { start: sign.pos, end: d.pos.end } };
      }
    }
    const lit = stripDurationParens(d);
    const ms = lit.type === 'DurationNumber' ? secondsToMs(lit.val) : 0;
    const expr = lit.type === 'DurationNumber' ? undefined : d;
    const target = e.type === 'MatrixSelector' ? e.vectorSelector : e;
    if (target.type !== 'VectorSelector' && target.type !== 'SubqueryExpr') {
      this.fail(e.pos, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    }
    if (target.originalOffsetMs !== 0 || target.originalOffsetExpr) this.fail(e.pos, 'offset may not be set multiple times');
    target.originalOffsetMs = ms;
    target.offsetMs = ms;
    target.originalOffsetExpr = expr;
    e.pos.end = this.lastClosing;
  }

  private at(e: Expr): void {
    this.next();
    const t = this.peek();
    let ts: number | undefined;
    let startOrEnd: 'start' | 'end' | undefined;
    if (t.type === 'START' || t.type === 'END') {
      this.next();
      this.expect('LEFT_PAREN', '@', 'timestamp');
      this.expect('RIGHT_PAREN', '@', 'timestamp');
      startOrEnd = t.type === 'START' ? 'start' : 'end';
    } else if (t.type === 'NUMBER' || t.type === 'DURATION' || t.type === 'ADD' || t.type === 'SUB') {
      ts = this.signedNumber({ context: '@', expected: 'timestamp' });
      if (!Number.isFinite(ts) || ts >= 2 ** 63 || ts <= -(2 ** 63)) this.fail(e.pos, `timestamp out of bounds for @ modifier: ${goFormatF(ts)}`);
    } else {
      return this.unexpected(t, '@', 'timestamp');
    }
    const target = e.type === 'MatrixSelector' ? e.vectorSelector : e;
    if (target.type !== 'VectorSelector' && target.type !== 'SubqueryExpr') {
      this.fail(e.pos, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    }
    if (target.timestampMs !== undefined || target.startOrEnd !== undefined) this.fail(e.pos, '@ <timestamp> may not be set multiple times');
    if (ts !== undefined) target.timestampMs = Math.round(ts * 1000);
    target.startOrEnd = startOrEnd;
    e.pos.end = this.lastClosing;
  }

  private extendedRange(e: Expr, t: Token): void {
    const kind = t.type === 'ANCHORED' ? 'anchored' : 'smoothed';
    if (!this.opts.enableExtendedRangeSelectors) this.fail(e.pos, `${kind} modifier is experimental and not enabled`);
    const target = e.type === 'MatrixSelector' ? e.vectorSelector : e;
    if (target.type === 'SubqueryExpr') this.fail(e.pos, `${kind} modifier is not supported for subqueries`);
    if (target.type !== 'VectorSelector') this.fail(e.pos, `${kind} modifier not implemented`);
    target[kind] = true;
    if (target.anchored && target.smoothed) this.fail(e.pos, 'anchored and smoothed modifiers cannot be used together');
  }

  // ---- semantic checks (Prometheus's checkAST) ----

  private check(node: Expr): ValueType {
    const typ = exprType(node);
    switch (node.type) {
      case 'AggregateExpr':
        this.expectType(node.expr, 'vector', 'aggregation expression');
        if (node.op === 'topk' || node.op === 'bottomk' || node.op === 'quantile' || node.op === 'limitk' || node.op === 'limit_ratio') {
          this.expectType(node.param!, 'scalar', 'aggregation parameter');
        }
        if (node.op === 'count_values') this.expectType(node.param!, 'string', 'aggregation parameter');
        break;
      case 'BinaryExpr':
        this.checkBinaryChain(node);
        break;
      case 'Call':
        this.checkCall(node);
        break;
      case 'ParenExpr':
      case 'StepInvariantExpr':
        this.check(node.expr);
        break;
      case 'UnaryExpr': {
        const t = this.check(node.expr);
        if (t !== 'scalar' && t !== 'vector') {
          this.fail(node.pos, `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`);
        }
        break;
      }
      case 'SubqueryExpr': {
        const t = this.check(node.expr);
        if (t !== 'vector') this.fail(node.pos, `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }
      case 'MatrixSelector':
        this.check(node.vectorSelector);
        break;
      case 'VectorSelector':
        this.checkVectorSelector(node);
        break;
      case 'NumberLiteral':
      case 'StringLiteral':
        break;
    }
    return typ;
  }

  private expectType(node: Expr, want: ValueType, context: string): void {
    const t = this.check(node);
    if (t !== want) this.fail(node.pos, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
  }

  /**
   * Checks a left-nested chain of binary expressions (`a - b - c - …`, thousands deep in
   * generated queries) without recursing down the chain, in the order a recursive check would:
   * the innermost left operand, then each right operand followed by its operator's own checks.
   */
  private checkBinaryChain(top: BinaryExpr): void {
    const chain: BinaryExpr[] = [];
    let cur: Expr = top;
    while (cur.type === 'BinaryExpr') {
      chain.push(cur);
      cur = cur.lhs;
    }
    let lt = this.check(cur);
    for (let i = chain.length - 1; i >= 0; i--) {
      const n = chain[i];
      const rt = this.check(n.rhs);
      this.checkBinary(n, lt, rt);
      lt = lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
    }
  }

  private checkBinary(n: BinaryExpr, lt: ValueType, rt: ValueType): void {
    const opRange = (): PositionRange => {
      let start = n.lhs.pos.end;
      while (start < this.input.length && /\s/.test(this.input[start])) start++;
      let end = n.rhs.pos.start - 1;
      while (end > start && /\s/.test(this.input[end])) end--;
      return { start, end };
    };
    if (n.returnBool && !isComparisonOp(n.op)) this.fail(opRange(), 'bool modifier can only be used on comparison operators');
    if (isComparisonOp(n.op) && !n.returnBool && lt === 'scalar' && rt === 'scalar') {
      this.fail(opRange(), 'comparisons between scalars must use BOOL modifier');
    }
    const m = n.matching;
    if (m && isSetOp(n.op) && m.card === 'one-to-one') m.card = 'many-to-many';
    if (m && m.on) {
      for (const l of m.matchingLabels) {
        if (m.include.includes(l)) this.fail(opRange(), `label ${goQuote(l)} must not occur in ON and GROUP clause at once`);
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') this.fail(n.lhs.pos, 'binary expression must contain only scalar and instant vector types');
    if (rt !== 'scalar' && rt !== 'vector') this.fail(n.rhs.pos, 'binary expression must contain only scalar and instant vector types');
    const hasFill = m !== undefined && (m.fillLhs !== undefined || m.fillRhs !== undefined);
    if ((lt !== 'vector' || rt !== 'vector') && m) {
      if (m.matchingLabels.length > 0) this.fail(n.pos, 'vector matching only allowed between instant vectors');
      if (hasFill) this.fail(n.pos, 'filling in missing series only allowed between instant vectors');
      n.matching = undefined;
    } else if (isSetOp(n.op) && m) {
      if (m.card === 'one-to-many' || m.card === 'many-to-one') this.fail(n.pos, `no grouping allowed for ${goQuote(n.op)} operation`);
      if (m.card !== 'many-to-many') this.fail(n.pos, 'set operations must always be many-to-many');
      if (hasFill) this.fail(n.pos, 'filling in missing series not allowed for set operators');
    }
    if ((lt === 'scalar' || rt === 'scalar') && isSetOp(n.op)) this.fail(n.pos, `set operator ${goQuote(n.op)} not allowed in binary scalar expression`);
  }

  private checkCall(n: Call): void {
    const f = n.func;
    const nargs = f.argTypes.length;
    if (f.variadic === 0) {
      if (nargs !== n.args.length) this.fail(n.pos, `expected ${nargs} argument(s) in call to ${goQuote(f.name)}, got ${n.args.length}`);
    } else {
      const na = nargs - 1;
      if (na > n.args.length) this.fail(n.pos, `expected at least ${na} argument(s) in call to ${goQuote(f.name)}, got ${n.args.length}`);
      else if (f.variadic > 0 && na + f.variadic < n.args.length) {
        this.fail(n.pos, `expected at most ${na + f.variadic} argument(s) in call to ${goQuote(f.name)}, got ${n.args.length}`);
      }
    }
    if (f.name === 'info' && n.args.length > 1) {
      const sel = n.args[1];
      if (exprType(sel) !== 'vector') {
        this.fail(n.pos, `expected type instant vector in call to function "info", got ${documentedType(exprType(sel))}`);
      }
      if (sel.type === 'VectorSelector' && sel.name !== '') this.fail(sel.pos, 'expected label selectors only, got vector selector instead');
      else if (sel.type === 'VectorSelector') sel.bypassEmptyMatcherCheck = true;
      else this.fail(sel.pos, 'expected label selectors only');
    }
    for (let i = 0; i < n.args.length; i++) {
      let k = i;
      if (k >= nargs) {
        if (f.variadic === 0) break;
        k = nargs - 1;
      }
      const t = this.check(n.args[i]);
      if (t !== f.argTypes[k]) {
        this.fail(n.args[i].pos, `expected type ${documentedType(f.argTypes[k])} in call to function ${goQuote(f.name)}, got ${documentedType(t)}`);
      }
    }
  }

  private checkVectorSelector(n: VectorSelector): void {
    if (n.name !== '') {
      for (const m of n.matchers.slice(0, -1)) {
        if (m.name === '__name__') this.fail(n.pos, `metric name must not be set twice: ${goQuote(n.name)} or ${goQuote(m.value)}`);
      }
      return;
    }
    if (!n.bypassEmptyMatcherCheck && !n.matchers.some((m) => !m.matchesEmpty)) {
      this.fail(n.pos, 'vector selector must contain at least one non-empty matcher');
    }
  }
}

function range(t: Token): PositionRange {
  return { start: t.pos, end: t.pos + t.val.length };
}

function stripDurationParens(d: DurationExpr): DurationExpr {
  while (d.type === 'DurationParen') d = d.expr;
  return d;
}

/** Go's `%f`: six decimals, `+Inf`, `-Inf`, `NaN`. */
function goFormatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}
