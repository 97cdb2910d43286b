import type { RouteConfig } from '../config/config-codecs';
import { compileAnchored } from '../config/regex';
import { type LabelSet, Matcher, compareMatchers, matchersString, matchesAll } from '../matchers';

/** The settings a route applies to the alerts it matches; inherited down the tree (time intervals excepted). */
export interface RouteOpts {
  receiver: string;
  /** Labels to group by (ignored when groupByAll). */
  groupBy: ReadonlySet<string>;
  /** `group_by: ['...']`: every label of the alert. */
  groupByAll: boolean;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /** Not inherited: only the route that names them. */
  muteTimeIntervals: readonly string[];
  activeTimeIntervals: readonly string[];
}

/** Alertmanager's defaults for the root route. */
export const DEFAULT_ROUTE_OPTS: RouteOpts = {
  receiver: '',
  groupBy: new Set(),
  groupByAll: false,
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 3600_000,
  muteTimeIntervals: [],
  activeTimeIntervals: [],
};

/**
 * One node of the routing tree (Alertmanager's `dispatch.Route`). Matching is depth-first: the
 * first matching child wins unless it has `continue`; a node none of whose children match is
 * itself the match.
 */
export class Route {
  readonly routes: Route[];
  readonly opts: RouteOpts;
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  private cachedKey: string | undefined;

  constructor(
    cfg: RouteConfig,
    readonly parent?: Route,
  ) {
    const base = parent?.opts ?? DEFAULT_ROUTE_OPTS;
    const named = (cfg.group_by ?? []).filter((l) => l !== '...');
    const all = (cfg.group_by ?? []).includes('...');
    this.opts = {
      receiver: cfg.receiver || base.receiver,
      // Alertmanager replaces group_by only when named labels are given; `[]` inherits.
      groupBy: named.length > 0 ? new Set(named) : base.groupBy,
      groupByAll: named.length > 0 ? false : all || base.groupByAll,
      groupWaitMs: cfg.group_wait ?? base.groupWaitMs,
      groupIntervalMs: cfg.group_interval ?? base.groupIntervalMs,
      repeatIntervalMs: cfg.repeat_interval ?? base.repeatIntervalMs,
      muteTimeIntervals: cfg.mute_time_intervals ?? [],
      activeTimeIntervals: cfg.active_time_intervals ?? [],
    };
    const matchers: Matcher[] = [];
    for (const [name, value] of Object.entries(cfg.match ?? {})) matchers.push(new Matcher('=', name, value));
    // match_re values are kept as Alertmanager's compiled regexp prints them: `^(?:re)$`.
    for (const [name, value] of Object.entries(cfg.match_re ?? {})) {
      compileAnchored(value);
      matchers.push(new Matcher('=~', name, `^(?:${value})$`));
    }
    matchers.push(...(cfg.matchers ?? []));
    this.matchers = matchers.sort(compareMatchers);
    this.continue = cfg.continue;
    this.routes = (cfg.routes ?? []).map((c) => new Route(c, this));
  }

  /** The routes an alert with these labels goes to, in tree order (Alertmanager's Route.Match). */
  match(labels: LabelSet): Route[] {
    if (!matchesAll(this.matchers, labels)) return [];
    const all: Route[] = [];
    for (const child of this.routes) {
      const matches = child.match(labels);
      all.push(...matches);
      if (matches.length > 0 && !child.continue) break;
    }
    if (all.length === 0) all.push(this);
    return all;
  }

  /** `{}/{team="a"}`: the matchers of every ancestor; part of the group key. */
  key(): string {
    this.cachedKey ??= (this.parent ? `${this.parent.key()}/` : '') + matchersString(this.matchers);
    return this.cachedKey;
  }

  /** The key plus the position among its siblings (`{}/{team="a"}/0`): unique in the tree. */
  id(): string {
    const position = this.parent ? this.parent.routes.indexOf(this) : -1;
    return position >= 0 ? `${this.key()}/${position}` : this.key();
  }

  /** Calls fn for this route and every descendant, parents first. */
  walk(fn: (r: Route) => void): void {
    fn(this);
    for (const c of this.routes) c.walk(fn);
  }
}

/** Receiver names for an alert, as `amtool config routes test` prints them (comma-joined). */
export function matchRoutes(root: Route, labels: LabelSet): string[] {
  return root.match(labels).map((r) => r.opts.receiver);
}
