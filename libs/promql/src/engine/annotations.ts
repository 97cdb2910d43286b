import type { PositionRange } from '../ast';
import { lineAndColumn } from '../errors';

/**
 * Prometheus's query annotations: warnings and infos, each once, in the order first raised,
 * worded `PromQL warning: <text> (<line>:<column>)` with the position of the expression that caused
 * it (column in UTF-8 bytes, as Prometheus counts).
 */
export class Annotations {
  private readonly warningSet = new Set<string>();
  private readonly infoSet = new Set<string>();

  constructor(private readonly query: string) {}

  warn(text: string, pos?: PositionRange): void {
    this.warningSet.add(`PromQL warning: ${text}${this.where(pos)}`);
  }

  info(text: string, pos?: PositionRange): void {
    this.infoSet.add(`PromQL info: ${text}${this.where(pos)}`);
  }

  /** Adds a warning that is no PromQL annotation (storage warnings), as it is. */
  addRawWarning(text: string): void {
    this.warningSet.add(text);
  }

  get warnings(): string[] {
    return [...this.warningSet];
  }

  get infos(): string[] {
    return [...this.infoSet];
  }

  private where(pos: PositionRange | undefined): string {
    if (!pos) return '';
    const { line, column } = lineAndColumn(this.query, pos.start);
    return ` (${line}:${column})`;
  }
}
