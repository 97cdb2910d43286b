import { type Alert, fingerprint, resolvedAt } from '../alerts/alert';
import type { AlertStore } from '../alerts/alert-store';
import type { InhibitRuleConfig } from '../config/config-codecs';
import { type LabelSet, Matcher, matchesAll } from '../matchers';

/** One inhibit rule with its source and target matchers combined from all three syntaxes. */
export class InhibitRule {
  readonly source: Matcher[];
  readonly target: Matcher[];
  readonly equal: string[];
  /** Firing alerts that match the source side, by fingerprint (Alertmanager's scache). */
  private readonly sources = new Map<string, Alert>();

  constructor(cfg: InhibitRuleConfig) {
    this.source = combine(cfg.source_match, cfg.source_match_re, cfg.source_matchers);
    this.target = combine(cfg.target_match, cfg.target_match_re, cfg.target_matchers);
    this.equal = cfg.equal ?? [];
  }

  observe(alert: Alert, fp: string): void {
    if (matchesAll(this.source, alert.labels)) this.sources.set(fp, alert);
  }

  /** Keeps only the cached sources `keep` accepts. */
  retain(keep: (fp: string) => boolean): void {
    for (const fp of [...this.sources.keys()]) if (!keep(fp)) this.sources.delete(fp);
  }

  /**
   * The fingerprint of a source alert that inhibits `labels`, if any. When `labels` itself matches
   * both sides, alerts that also match both sides cannot inhibit it (no mutual inhibition).
   */
  inhibitingSource(labels: LabelSet, now: number): string | undefined {
    if (!matchesAll(this.target, labels)) return undefined;
    const twoSided = matchesAll(this.source, labels);
    for (const [fp, a] of this.sources) {
      if (resolvedAt(a, now)) continue;
      if (this.equal.some((n) => (a.labels[n] ?? '') !== (labels[n] ?? ''))) continue;
      if (twoSided && matchesAll(this.target, a.labels)) continue;
      return fp;
    }
    return undefined;
  }
}

function combine(match?: Record<string, string>, matchRe?: Record<string, string>, matchers?: Matcher[]): Matcher[] {
  return [
    ...Object.entries(match ?? {}).map(([n, v]) => new Matcher('=', n, v)),
    ...Object.entries(matchRe ?? {}).map(([n, v]) => new Matcher('=~', n, v)),
    ...(matchers ?? []),
  ];
}

/**
 * Mutes alerts that an inhibit rule's firing source alerts cover (Alertmanager's Inhibitor). It
 * follows the tenant's alert store; `mutes` also records the result in the alert's status.
 */
export class Inhibitor {
  readonly rules: InhibitRule[];
  private readonly unsubscribe: () => void;

  constructor(
    rules: readonly InhibitRuleConfig[],
    private readonly store: AlertStore,
    private readonly now: () => number,
  ) {
    this.rules = rules.map((r) => new InhibitRule(r));
    this.unsubscribe = store.subscribe((a, fp) => {
      for (const r of this.rules) r.observe(a, fp);
    });
  }

  /** Whether an alert with these labels is inhibited now; records `inhibitedBy` in the store. */
  mutes(labels: LabelSet): boolean {
    const fp = fingerprint(labels);
    const now = this.now();
    for (const r of this.rules) {
      const source = r.inhibitingSource(labels, now);
      if (source !== undefined) {
        this.store.setInhibitedBy(fp, [source]);
        return true;
      }
    }
    this.store.setInhibitedBy(fp, []);
    return false;
  }

  /** Drops cached sources that the store no longer holds. */
  gc(): void {
    for (const r of this.rules) r.retain((fp) => this.store.get(fp) !== undefined);
  }

  stop(): void {
    this.unsubscribe();
  }
}
