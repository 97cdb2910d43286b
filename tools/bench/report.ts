/** One line of the result table: a figure for each side, its target, and the verdict. */
export interface ReportRow {
  figure: string;
  panoptes: string;
  prometheus: string;
  target: string;
  /** PASS / FAIL for a target, `info` for context, `n/a` when a side could not be measured. */
  result: 'PASS' | 'FAIL' | 'info' | 'n/a';
}

export function verdict(ok: boolean | undefined): ReportRow['result'] {
  return ok === undefined ? 'n/a' : ok ? 'PASS' : 'FAIL';
}

/** A plain-text table, columns padded to their widest cell. */
export function renderTable(rows: readonly ReportRow[]): string {
  const header: ReportRow = { figure: 'figure', panoptes: 'panoptes', prometheus: 'prometheus / promtool', target: 'target', result: 'info' };
  const cells = [header, ...rows].map((r) => [r.figure, r.panoptes, r.prometheus, r.target, r === header ? 'result' : r.result]);
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const line = (row: string[]): string => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** 1234567.8 → "1,234,568". */
export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

export function fixed(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(0)} MiB` : '-';
}
