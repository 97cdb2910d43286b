import { parseGoFloat } from '../../literals';

/**
 * A bucket's `le` label as Prometheus reads it: Go's `strconv.ParseFloat(s, 64)` (decimal and
 * hexadecimal literals, Go's underscore rules, signed Inf/Infinity, NaN). Undefined when the text is
 * malformed or the value overflows (Go reports ErrRange for those).
 */
export function parseLe(value: string): number | undefined {
  const r = parseGoFloat(value);
  return r.ok ? r.value : undefined;
}
