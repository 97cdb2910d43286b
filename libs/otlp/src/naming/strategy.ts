/**
 * Prometheus 3's `otlp.translation_strategy` values (prometheus/otlptranslator `strategy.go`).
 * - `UnderscoreEscapingWithSuffixes` (default): names escaped to the legacy character set, unit and
 *   type suffixes added (`http_server_request_duration_seconds`, `requests_total`).
 * - `UnderscoreEscapingWithoutSuffixes`: escaped, no suffixes.
 * - `NoUTF8EscapingWithSuffixes`: names kept as sent (UTF-8), suffixes added.
 * - `NoTranslation` (experimental in Prometheus): names kept as sent, no suffixes.
 */
export type TranslationStrategy =
  | 'UnderscoreEscapingWithSuffixes'
  | 'UnderscoreEscapingWithoutSuffixes'
  | 'NoUTF8EscapingWithSuffixes'
  | 'NoTranslation';

export const TRANSLATION_STRATEGIES: readonly TranslationStrategy[] = [
  'UnderscoreEscapingWithSuffixes',
  'UnderscoreEscapingWithoutSuffixes',
  'NoUTF8EscapingWithSuffixes',
  'NoTranslation',
];

/** Whether metric and label names are escaped to `[a-zA-Z0-9_:]` (`ShouldEscape`). */
export function strategyEscapes(s: TranslationStrategy): boolean {
  return s === 'UnderscoreEscapingWithSuffixes' || s === 'UnderscoreEscapingWithoutSuffixes';
}

/** Whether unit and type suffixes are added to metric names (`ShouldAddSuffixes`). */
export function strategyAddsSuffixes(s: TranslationStrategy): boolean {
  return s === 'UnderscoreEscapingWithSuffixes' || s === 'NoUTF8EscapingWithSuffixes';
}

/** A name that cannot be translated; the metric or data point carrying it is rejected. */
export class NameTranslationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NameTranslationError';
  }
}

/** Go's `%q` for the names in our messages (JSON quoting is close enough for printable text). */
export function quote(s: string): string {
  return JSON.stringify(s);
}
