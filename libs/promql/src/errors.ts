import { type PanoptesErrorOptions, UnavailableError, UnprocessableError, ValidationError } from '@panoptes/common';
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

export function lineAndColumn(query: string, pos: number): { line: number; column: number } {
  const before = query.slice(0, Math.max(0, Math.min(pos, query.length)));
  const lastBreak = before.lastIndexOf('\n');
  const line = before.split('\n').length;
  return { line, column: Buffer.byteLength(before.slice(lastBreak + 1), 'utf8') + 1 };
}

/** A query that parsed but could not be evaluated (Prometheus `errorType: execution`, HTTP 422). */
export class PromQLExecutionError extends UnprocessableError {
  constructor(message: string, options?: PanoptesErrorOptions) {
    super('promql_execution', message, options);
  }
}

/** The query would hold more than `-querier.max-samples` samples at once (`execution`, 422). */
export class QueryTooManySamplesError extends UnprocessableError {
  constructor(message: string, options?: PanoptesErrorOptions) {
    super('max_samples', message, options);
  }
}

/** The query ran past its timeout (`errorType: timeout`, HTTP 503). */
export class QueryTimeoutError extends UnavailableError {
  constructor(message: string, options?: PanoptesErrorOptions) {
    super('query_timeout', message, options);
  }
}

/** The caller went away or cancelled the query (`errorType: canceled`). */
export class QueryCanceledError extends UnavailableError {
  constructor(message: string, options?: PanoptesErrorOptions) {
    super('query_canceled', message, options);
  }
}
