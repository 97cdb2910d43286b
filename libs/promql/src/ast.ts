import type { Matcher } from '@panoptes/tsdb';
import type { FunctionDef } from './functions';

/**
 * The PromQL syntax tree, shaped like Prometheus's `promql/parser/ast.go`.
 *
 * Invariants:
 * - Positions are offsets into the parsed string (JavaScript string indices), `end` exclusive.
 * - Durations and timestamps are milliseconds. A duration written as an expression of the
 *   experimental duration-expression language (`[5m+step()]`) keeps that expression in `*Expr`
 *   and leaves the millisecond field 0.
 * - Strings that held invalid UTF-8 (`"\xff"`) carry each invalid byte as a lone surrogate
 *   U+DC80+byte ("surrogate escape"): `isValidLabelName` is false for them, and `goQuote` turns
 *   them back into `\xNN`.
 * - Nodes are plain objects; the parser never shares a node between two parents.
 */

/** The type an expression evaluates to; `none` only for nodes that are no expression. */
export type ValueType = 'none' | 'vector' | 'scalar' | 'matrix' | 'string';

export interface PositionRange {
  start: number;
  end: number;
}

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'count_values'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio';

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
/** Native-histogram trimming (`h </ 0.5` keeps the part below 0.5, `>/` the part above). */
export type TrimOp = '</' | '>/';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp | TrimOp;

export type Expr =
  | AggregateExpr
  | BinaryExpr
  | Call
  | MatrixSelector
  | SubqueryExpr
  | NumberLiteral
  | StringLiteral
  | ParenExpr
  | UnaryExpr
  | VectorSelector
  | StepInvariantExpr;

export interface NumberLiteral {
  type: 'NumberLiteral';
  val: number;
  /** Written as a duration (`5m`): printed back as one. */
  duration: boolean;
  pos: PositionRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  val: string;
  pos: PositionRange;
}

export interface VectorSelector {
  type: 'VectorSelector';
  /** The metric name written before the braces, "" when there is none. */
  name: string;
  /** All matchers; a name written before the braces is the last one (`__name__="<name>"`). */
  matchers: Matcher[];
  /** The offset as written, in milliseconds (negative for `offset -5m`). */
  originalOffsetMs: number;
  /** The offset as an experimental duration expression (`offset step()`), instead of the above. */
  originalOffsetExpr?: DurationExpr;
  /** The offset the engine applies; equals `originalOffsetMs` after parsing, the engine may rewrite it. */
  offsetMs: number;
  /** `@ <timestamp>`, milliseconds. */
  timestampMs?: number;
  /** `@ start()` / `@ end()`. */
  startOrEnd?: 'start' | 'end';
  /** Experimental extended range selectors. */
  anchored: boolean;
  smoothed: boolean;
  /** Set for the label-selector argument of `info()`, which may match only empty values. */
  bypassEmptyMatcherCheck: boolean;
  pos: PositionRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  /** Always a VectorSelector once parsing succeeded. */
  vectorSelector: VectorSelector;
  rangeMs: number;
  rangeExpr?: DurationExpr;
  pos: PositionRange;
}

export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  rangeMs: number;
  rangeExpr?: DurationExpr;
  /** 0 when omitted (`[1h:]`): the engine uses its default evaluation interval. */
  stepMs: number;
  stepExpr?: DurationExpr;
  originalOffsetMs: number;
  originalOffsetExpr?: DurationExpr;
  offsetMs: number;
  timestampMs?: number;
  startOrEnd?: 'start' | 'end';
  pos: PositionRange;
}

export interface Call {
  type: 'Call';
  func: FunctionDef;
  args: Expr[];
  pos: PositionRange;
}

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** The parameter of topk, bottomk, quantile, count_values, limitk, limit_ratio. */
  param?: Expr;
  grouping: string[];
  without: boolean;
  pos: PositionRange;
}

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  /** The labels of `on(...)` / `ignoring(...)`. */
  matchingLabels: string[];
  /** `on` (true) or `ignoring` (false; also when no clause was written). */
  on: boolean;
  /** The extra labels of `group_left(...)` / `group_right(...)`. */
  include: string[];
  /** Experimental fill modifiers: the value used for a missing series on that side. */
  fillLhs?: number;
  fillRhs?: number;
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** Present only when both sides are instant vectors. */
  matching?: VectorMatching;
  /** `bool` on a comparison. */
  returnBool: boolean;
  pos: PositionRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '+' | '-';
  expr: Expr;
  pos: PositionRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  pos: PositionRange;
}

/** Marks a subtree whose value is the same at every step; made by the engine, never by the parser. */
export interface StepInvariantExpr {
  type: 'StepInvariantExpr';
  expr: Expr;
  pos: PositionRange;
}

/**
 * An experimental duration expression (`[5m * 2]`, `offset step()`), evaluated to seconds by the
 * engine. Leaves are numbers (seconds); `step`/`range` are the query's step and range.
 */
export type DurationExpr =
  | { type: 'DurationNumber'; val: number; duration: boolean; pos: PositionRange }
  | { type: 'DurationCall'; fn: 'step' | 'range'; pos: PositionRange }
  | { type: 'DurationMinMax'; fn: 'min_of' | 'max_of'; lhs: DurationExpr; rhs: DurationExpr; pos: PositionRange }
  | { type: 'DurationBinary'; op: '+' | '-' | '*' | '/' | '%' | '^'; lhs: DurationExpr; rhs: DurationExpr; pos: PositionRange }
  | { type: 'DurationUnary'; op: '-'; expr: DurationExpr; pos: PositionRange }
  | { type: 'DurationParen'; expr: DurationExpr; pos: PositionRange };

export function isComparisonOp(op: BinaryOp): op is ComparisonOp {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

export function isSetOp(op: BinaryOp): op is SetOp {
  return op === 'and' || op === 'or' || op === 'unless';
}

export function isAggregatorWithParam(op: AggregateOp): boolean {
  return op === 'topk' || op === 'bottomk' || op === 'count_values' || op === 'quantile' || op === 'limitk' || op === 'limit_ratio';
}

/** The value type of an expression, as Prometheus's `Expr.Type()`. */
export function exprType(e: Expr): ValueType {
  switch (e.type) {
    case 'AggregateExpr':
    case 'VectorSelector':
      return 'vector';
    case 'BinaryExpr': {
      // Iterative down the left spine: long operator chains (`a - b - c - …`) nest to the left.
      let cur: Expr = e;
      while (cur.type === 'BinaryExpr') {
        if (exprType(cur.rhs) !== 'scalar') return 'vector';
        cur = cur.lhs;
      }
      return exprType(cur) === 'scalar' ? 'scalar' : 'vector';
    }
    case 'Call':
      return e.func.returnType;
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return exprType(e.expr);
  }
}

/** The name Prometheus uses for a value type in messages ("instant vector", "range vector"…). */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

/** The direct children of a node, in source order. */
export function children(e: Expr): Expr[] {
  switch (e.type) {
    case 'AggregateExpr':
      return e.param ? [e.param, e.expr] : [e.expr];
    case 'BinaryExpr':
      return [e.lhs, e.rhs];
    case 'Call':
      return e.args;
    case 'MatrixSelector':
      return [e.vectorSelector];
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return [e.expr];
    default:
      return [];
  }
}

/** Visits every node depth-first, parents before children; `path` holds the ancestors. Iterative, so deep trees are fine. */
export function walk(e: Expr, visit: (node: Expr, path: readonly Expr[]) => void): void {
  const path: Expr[] = [];
  const stack: { node: Expr; depth: number }[] = [{ node: e, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    path.length = depth;
    visit(node, path);
    path.push(node);
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i], depth: depth + 1 });
  }
}
