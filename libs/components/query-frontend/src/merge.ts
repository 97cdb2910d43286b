import { compareLabels } from '@panoptes/block-formats';

/** One series of a Prometheus matrix response, as JSON gives it. */
interface JsonSeries {
  metric: Record<string, string>;
  values?: [number, string][];
}

/** The Prometheus JSON envelope of a successful query_range. */
export interface MatrixResponse {
  status: 'success';
  data: { resultType: 'matrix'; result: JsonSeries[] };
  warnings?: string[];
  infos?: string[];
}

function pairs(metric: Record<string, string>): [string, string][] {
  return Object.entries(metric).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Joins the responses of consecutive splits of one range query: series matched by labels, points
 * appended in split order (splits never share a step), annotations merged, series sorted by
 * labels as Prometheus sorts a matrix.
 */
export function mergeMatrixResponses(parts: readonly MatrixResponse[]): MatrixResponse {
  const byKey = new Map<string, JsonSeries>();
  const warnings = new Set<string>();
  const infos = new Set<string>();
  for (const p of parts) {
    for (const w of p.warnings ?? []) warnings.add(w);
    for (const i of p.infos ?? []) infos.add(i);
    for (const s of p.data.result) {
      const key = JSON.stringify(pairs(s.metric));
      const prev = byKey.get(key);
      if (!prev) byKey.set(key, { metric: s.metric, values: [...(s.values ?? [])] });
      else prev.values!.push(...(s.values ?? []));
    }
  }
  const result = [...byKey.values()].sort((a, b) => compareLabels(pairs(a.metric), pairs(b.metric)));
  const out: MatrixResponse = { status: 'success', data: { resultType: 'matrix', result } };
  if (warnings.size > 0) out.warnings = [...warnings];
  if (infos.size > 0) out.infos = [...infos];
  return out;
}
