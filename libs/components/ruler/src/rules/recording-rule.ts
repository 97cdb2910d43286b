import type { RuleSample } from '../contracts';
import { LabelsBuilder, METRIC_NAME, labelsKey } from '../labels';
import { Rule, type RuleEvalContext } from './rule';

/**
 * A recording rule: the expression's result at `ts - query_offset`, renamed to `record` and with
 * the rule's labels set (Prometheus's `RecordingRule.Eval`).
 */
export class RecordingRule extends Rule {
  readonly kind = 'recording';

  async eval(ctx: RuleEvalContext): Promise<RuleSample[]> {
    const vector = await ctx.query(this.expr, ctx.tsMs - ctx.queryOffsetMs, ctx.signal);
    const out: RuleSample[] = [];
    const seen = new Set<string>();
    let duplicate = false;
    for (const s of vector) {
      const lb = new LabelsBuilder(s.labels).set(METRIC_NAME, this.name);
      for (const [n, v] of this.labels) lb.set(n, v);
      const labels = lb.labels();
      const key = labelsKey(labels);
      if (seen.has(key)) duplicate = true;
      seen.add(key);
      out.push({ labels, t: s.t, v: s.v });
    }
    if (duplicate) throw new Error('vector contains metrics with the same labelset after applying rule labels');
    if (ctx.limit > 0 && out.length > ctx.limit) throw new Error(`exceeded limit of ${ctx.limit} with ${out.length} series`);
    return out;
  }
}
