import type { Matcher } from '@panoptes/tsdb';
import type { BinaryExpr, DurationExpr, Expr, NumberLiteral, SubqueryExpr, VectorSelector } from './ast';
import { formatDuration, formatGoFloat, goQuote, isLegacyLabelName, isLegacyMetricName } from './literals';

/**
 * Prints an expression on one line the way Prometheus's `Expr.String()` does (no prettifying):
 * `sum by (job) (rate(http_requests_total{code=~"5.."}[5m] offset 1h))`. Parsing the output
 * gives the same tree back (positions aside). Label matchers are sorted, the metric name is
 * written before the braces, durations are normalised (`[300]` prints as `[5m]`).
 */
export function formatExpr(e: Expr): string {
  switch (e.type) {
    case 'AggregateExpr': {
      let s: string = e.op;
      if (e.without) s += ` without (${joinLabels(e.grouping)}) `;
      else if (e.grouping.length > 0) s += ` by (${joinLabels(e.grouping)}) `;
      s += '(';
      if (e.param) s += `${formatExpr(e.param)}, `;
      return `${s}${formatExpr(e.expr)})`;
    }
    case 'BinaryExpr': {
      // Iterative down the left spine, so long operator chains do not exhaust the stack.
      const chain: BinaryExpr[] = [];
      let cur: Expr = e;
      while (cur.type === 'BinaryExpr') {
        chain.push(cur);
        cur = cur.lhs;
      }
      let s = formatExpr(cur);
      for (let i = chain.length - 1; i >= 0; i--) {
        const b = chain[i];
        s += ` ${b.op}${b.returnBool ? ' bool' : ''}${matchingString(b)} ${formatExpr(b.rhs)}`;
      }
      return s;
    }
    case 'Call':
      return `${e.func.name}(${e.args.map(formatExpr).join(', ')})`;
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      const range = e.rangeExpr ? formatDurationExpr(e.rangeExpr) : formatDuration(e.rangeMs);
      return `${selectorString(vs)}[${range}]${extendedString(vs)}${atString(vs)}${offsetString(vs)}`;
    }
    case 'SubqueryExpr':
      return `${formatExpr(e.expr)}${subquerySuffix(e)}`;
    case 'NumberLiteral':
      return numberString(e);
    case 'StringLiteral':
      return goQuote(e.val);
    case 'ParenExpr':
      return `(${formatExpr(e.expr)})`;
    case 'UnaryExpr':
      return `${e.op}${formatExpr(e.expr)}`;
    case 'VectorSelector':
      return `${selectorString(e)}${extendedString(e)}${atString(e)}${offsetString(e)}`;
    case 'StepInvariantExpr':
      return formatExpr(e.expr);
  }
}

/** A matcher as Prometheus prints it: `job="api"`, `"a.b"=~"x.*"`. */
export function formatMatcher(m: Matcher): string {
  return `${isLegacyLabelName(m.name) ? m.name : goQuote(m.name)}${m.type}${goQuote(m.value)}`;
}

/** A duration expression: `5m`, `step() * 2`, `min_of(1h, range())`. */
export function formatDurationExpr(d: DurationExpr): string {
  switch (d.type) {
    case 'DurationNumber':
      return durationNumberString(d.val, d.duration);
    case 'DurationCall':
      return `${d.fn}()`;
    case 'DurationMinMax':
      return `${d.fn}(${formatDurationExpr(d.lhs)}, ${formatDurationExpr(d.rhs)})`;
    case 'DurationBinary':
      return `${formatDurationExpr(d.lhs)} ${d.op} ${formatDurationExpr(d.rhs)}`;
    case 'DurationUnary':
      return `-${formatDurationExpr(d.expr)}`;
    case 'DurationParen':
      return `(${formatDurationExpr(d.expr)})`;
  }
}

function joinLabels(labels: readonly string[]): string {
  return labels.map((l) => (isLegacyLabelName(l) ? l : goQuote(l))).join(', ');
}

function numberString(n: NumberLiteral): string {
  return durationNumberString(n.val, n.duration);
}

function durationNumberString(seconds: number, duration: boolean): string {
  const ms = seconds * 1000;
  if (duration && Number.isInteger(ms)) return ms < 0 ? `-${formatDuration(-ms)}` : formatDuration(ms);
  return formatGoFloat(seconds);
}

function matchingString(e: BinaryExpr): string {
  const m = e.matching;
  if (!m) return '';
  let s = '';
  if (m.matchingLabels.length > 0 || m.on) {
    s = ` ${m.on ? 'on' : 'ignoring'} (${joinLabels(m.matchingLabels)})`;
    if (m.card === 'many-to-one' || m.card === 'one-to-many') {
      s += ` group_${m.card === 'many-to-one' ? 'left' : 'right'} (${joinLabels(m.include)})`;
    }
  }
  if (m.fillLhs !== undefined && m.fillRhs !== undefined && Object.is(m.fillLhs, m.fillRhs)) {
    s += ` fill(${formatGoFloat(m.fillLhs)})`;
  } else {
    if (m.fillLhs !== undefined) s += ` fill_left(${formatGoFloat(m.fillLhs)})`;
    if (m.fillRhs !== undefined) s += ` fill_right(${formatGoFloat(m.fillRhs)})`;
  }
  return s;
}

function selectorString(vs: VectorSelector): string {
  const strs: string[] = [];
  for (const m of vs.matchers) {
    if (m.name === '__name__' && m.type === '=' && m.value === vs.name && m.value !== '') continue;
    strs.push(formatMatcher(m));
  }
  strs.sort();
  if (vs.name !== '' && !isLegacyMetricName(vs.name)) return `{${[goQuote(vs.name), ...strs].join(',')}}`;
  if (strs.length === 0) return vs.name;
  return `${vs.name}{${strs.join(',')}}`;
}

function extendedString(vs: VectorSelector): string {
  return vs.anchored ? ' anchored' : vs.smoothed ? ' smoothed' : '';
}

function atString(n: VectorSelector | SubqueryExpr): string {
  if (n.timestampMs !== undefined) return ` @ ${(n.timestampMs / 1000).toFixed(3)}`;
  if (n.startOrEnd) return ` @ ${n.startOrEnd}()`;
  return '';
}

function offsetString(n: VectorSelector | SubqueryExpr): string {
  if (n.originalOffsetExpr) return ` offset ${formatDurationExpr(n.originalOffsetExpr)}`;
  if (n.originalOffsetMs > 0) return ` offset ${formatDuration(n.originalOffsetMs)}`;
  if (n.originalOffsetMs < 0) return ` offset -${formatDuration(-n.originalOffsetMs)}`;
  return '';
}

function subquerySuffix(e: SubqueryExpr): string {
  const range = e.rangeExpr ? formatDurationExpr(e.rangeExpr) : formatDuration(e.rangeMs);
  const step = e.stepExpr ? formatDurationExpr(e.stepExpr) : e.stepMs !== 0 ? formatDuration(e.stepMs) : '';
  return `[${range}:${step}]${atString(e)}${offsetString(e)}`;
}
