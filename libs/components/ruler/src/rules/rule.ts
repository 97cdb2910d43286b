import type { Labels } from '@panoptes/block-formats';
import { formatExpr, parseExpr } from '@panoptes/promql';
import type { RuleQueryFunc, RuleSample } from '../contracts';
import { labelsFromRecord, labelsString } from '../labels';
import type { RuleSpec } from '../rulefmt';

/** Prometheus's rule health: unknown before the first evaluation, then ok or err. */
export type RuleHealth = 'unknown' | 'ok' | 'err';

/** One evaluation of one rule. */
export interface RuleEvalContext {
  /** The group's evaluation time, ms. Rules query at `tsMs - queryOffsetMs`. */
  tsMs: number;
  queryOffsetMs: number;
  query: RuleQueryFunc;
  /** The group's limit; 0 is none. */
  limit: number;
  signal?: AbortSignal;
}

/** What recording and alerting rules share: identity, health and timing of the last evaluation. */
export abstract class Rule {
  abstract readonly kind: 'recording' | 'alerting';
  readonly name: string;
  readonly expr: string;
  /** The expression as Prometheus prints it (`Expr.String()`): generator URLs use it. */
  readonly formattedExpr: string;
  /** The rule's labels with the group's labels under them (the rule's win). */
  readonly labels: Labels;

  health: RuleHealth = 'unknown';
  lastError = '';
  /** When the last evaluation started, ms; undefined before the first. */
  lastEvaluationMs: number | undefined;
  /** How long the last evaluation took, ms. */
  evaluationDurationMs = 0;

  constructor(
    readonly spec: RuleSpec,
    groupLabels: Readonly<Record<string, string>>,
  ) {
    this.name = spec.alert ?? spec.record ?? '';
    this.expr = spec.expr;
    this.formattedExpr = formatExpr(parseExpr(spec.expr));
    this.labels = labelsFromRecord({ ...groupLabels, ...spec.labels });
  }

  /** Evaluates at `ctx.tsMs`; returns the samples to write. Throws on failure. */
  abstract eval(ctx: RuleEvalContext): Promise<RuleSample[]>;

  /** Prometheus's `nameAndLabels`: how state is matched between two versions of a group. */
  identity(): string {
    return this.name + labelsString(this.labels);
  }
}
