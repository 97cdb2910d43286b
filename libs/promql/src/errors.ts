import { ValidationError } from '@panoptes/common';
import type { PositionRange } from './ast';

/**
 * A PromQL syntax or type error, worded as Prometheus words it:
 * `1:12: parse error: unexpected <op:+>` — line and column (1-based, the column counted in UTF-8
 * bytes as Prometheus does) of where the problem starts, then the detail.
 */
export class PromQLParseError extends ValidationError {
  /** The message without the position prefix. */
  readonly detail: string;
  /** Where in the query the problem is (string offsets). */
  readonly positionRange: PositionRange;
  readonly line: number;
  readonly column: number;

  constructor(
    readonly query: string,
    positionRange: PositionRange,
    detail: string,
  ) {
    const { line, column } = lineAndColumn(query, positionRange.start);
    super('promql_parse_error', `${line}:${column}: parse error: ${detail}`);
    this.detail = detail;
    this.positionRange = positionRange;
    this.line = line;
    this.column = column;
  }
}

function lineAndColumn(query: string, pos: number): { line: number; column: number } {
  const before = query.slice(0, Math.max(0, Math.min(pos, query.length)));
  const lastBreak = before.lastIndexOf('\n');
  const line = before.split('\n').length;
  return { line, column: Buffer.byteLength(before.slice(lastBreak + 1), 'utf8') + 1 };
}
