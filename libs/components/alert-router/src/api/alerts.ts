import { isPanoptesError } from '@panoptes/common';
import { type Alert, type PostableAlert, formatApiTime, parseApiTime, receiveAlert, resolvedAt, validateAlert } from '../alerts/alert';
import type { AlertStatus } from '../alerts/alert-store';
import { compileAnchored } from '../config/regex';
import { type Matcher, parseMatcher } from '../matchers';
import type { AlertRouterTenant } from '../tenant';
import { type AmApiContext, type AmApiRequest, type AmApiResponse, bodyText, boolParam, emptyResponse, jsonResponse, swaggerError } from './http';

/** Alertmanager's API filter semantics: an empty value on a missing (=) or present (!=) label is skipped. */
export function matchFilterLabels(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) {
    const present = Object.prototype.hasOwnProperty.call(labels, m.name);
    const v = present ? labels[m.name] : '';
    if (m.type === '!=' || m.type === '!~') {
      if (m.value === '' && present) continue;
    } else if (m.value === '' && !present) continue;
    if (!m.matches(v)) return false;
  }
  return true;
}

/** `filter=` parameters, one matcher each. Throws with the parser's message. */
export function parseFilter(query: URLSearchParams): Matcher[] {
  return query.getAll('filter').map((f) => parseMatcher(f));
}

function labelsJson(ls: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(ls).sort().map((k) => [k, ls[k]]));
}

/** GettableAlert, with go-swagger's field order. */
export function gettableAlert(a: Alert, fp: string, status: AlertStatus, receivers: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    annotations: labelsJson(a.annotations),
    endsAt: formatApiTime(a.endsAt),
    fingerprint: fp,
    receivers: receivers.map((name) => ({ name })),
    startsAt: formatApiTime(a.startsAt),
    status: { inhibitedBy: status.inhibitedBy, silencedBy: status.silencedBy, state: status.state },
    updatedAt: formatApiTime(a.updatedAt),
  };
  if (a.generatorURL) out.generatorURL = a.generatorURL;
  out.labels = labelsJson(a.labels);
  return out;
}

interface AlertFilterOptions {
  active: boolean;
  silenced: boolean;
  inhibited: boolean;
  unprocessed: boolean;
}

/** Refreshes an alert's muting status (as Alertmanager's API does before filtering) and applies the filters. */
function alertFilter(tenant: AlertRouterTenant, matchers: Matcher[], opts: AlertFilterOptions, now: number): (a: Alert, fp: string) => boolean {
  return (a, fp) => {
    if (a.endsAt !== 0 && a.endsAt < now) return false;
    tenant.inhibitor.mutes(a.labels);
    tenant.silences.mutes(a.labels, tenant.store);
    const status = tenant.store.statusOf(fp);
    if (!opts.active && status.state === 'active') return false;
    if (!opts.unprocessed && status.state === 'unprocessed') return false;
    if (!opts.silenced && status.silencedBy.length > 0) return false;
    if (!opts.inhibited && status.inhibitedBy.length > 0) return false;
    return matchFilterLabels(matchers, a.labels);
  };
}

type Parsed = { matchers: Matcher[]; receiver: RegExp | undefined; opts: AlertFilterOptions } | { error: AmApiResponse };

function parseAlertParams(req: AmApiRequest): Parsed {
  let matchers: Matcher[];
  try {
    matchers = parseFilter(req.query);
  } catch (err) {
    return { error: jsonResponse(400, (err as Error).message) };
  }
  let receiver: RegExp | undefined;
  const raw = req.query.get('receiver');
  if (raw) {
    try {
      receiver = compileAnchored(raw);
    } catch (err) {
      return { error: jsonResponse(400, `failed to parse receiver param: ${(err as Error).message}`) };
    }
  }
  const q = req.query;
  return {
    matchers,
    receiver,
    opts: { active: boolParam(q, 'active', true), silenced: boolParam(q, 'silenced', true), inhibited: boolParam(q, 'inhibited', true), unprocessed: boolParam(q, 'unprocessed', true) },
  };
}

/** GET /api/v2/alerts */
export function getAlerts(req: AmApiRequest, ctx: AmApiContext): AmApiResponse {
  const parsed = parseAlertParams(req);
  if ('error' in parsed) return parsed.error;
  const { tenant, now } = ctx;
  const keep = alertFilter(tenant, parsed.matchers, parsed.opts, now);
  const out: Record<string, unknown>[] = [];
  for (const [fp, a] of tenant.store.list()) {
    const receivers = tenant.route.match(a.labels).map((r) => r.opts.receiver);
    if (parsed.receiver && !receivers.some((r) => parsed.receiver!.test(r))) continue;
    if (!keep(a, fp)) continue;
    out.push(gettableAlert(a, fp, tenant.store.statusOf(fp), receivers));
  }
  out.sort((x, y) => (String(x.fingerprint) < String(y.fingerprint) ? -1 : 1));
  return jsonResponse(200, out);
}

/** GET /api/v2/alerts/groups */
export function getAlertGroups(req: AmApiRequest, ctx: AmApiContext): AmApiResponse {
  const parsed = parseAlertParams(req);
  if ('error' in parsed) return parsed.error;
  const { tenant, now } = ctx;
  const keep = alertFilter(tenant, parsed.matchers, { ...parsed.opts, unprocessed: true }, now);
  const { groups, receivers } = tenant.dispatcher.view((r) => !parsed.receiver || parsed.receiver.test(r.opts.receiver), keep);
  return jsonResponse(
    200,
    groups.map((g) => ({
      alerts: g.alerts.map(([fp, a]) => gettableAlert(a, fp, tenant.store.statusOf(fp), receivers.get(fp) ?? [])),
      labels: labelsJson(g.labels),
      receiver: { name: g.receiver },
    })),
  );
}

/** Checks one PostableAlert against the OpenAPI schema; returns the error message or the alert. */
function toPostable(raw: unknown, i: number): PostableAlert | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `${i} in body must be of type object`;
  const o = raw as Record<string, unknown>;
  if (o.labels === undefined || o.labels === null) return `${i}.labels in body is required`;
  for (const key of ['labels', 'annotations'] as const) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) return `${i}.${key} in body must be a map of strings`;
  }
  const times: Record<string, number | undefined> = {};
  for (const key of ['startsAt', 'endsAt'] as const) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    const t = typeof v === 'string' ? parseApiTime(v) : undefined;
    if (t === undefined) return `601:${i}.${key} in body must be of type date-time: ${JSON.stringify(v)}`;
    times[key] = t;
  }
  if (o.generatorURL !== undefined && o.generatorURL !== null && typeof o.generatorURL !== 'string') return `${i}.generatorURL in body must be of type uri`;
  return {
    labels: o.labels as Record<string, string>,
    annotations: (o.annotations ?? {}) as Record<string, string>,
    startsAt: times.startsAt,
    endsAt: times.endsAt,
    generatorURL: (o.generatorURL as string | undefined) ?? '',
  };
}

/** POST /api/v2/alerts: stores the valid alerts; 400 lists the invalid ones. */
export function postAlerts(req: AmApiRequest, ctx: AmApiContext): AmApiResponse {
  let raw: unknown;
  try {
    raw = JSON.parse(bodyText(req));
  } catch (err) {
    return swaggerError(400, 400, `parsing alerts body from "" failed, because ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) return swaggerError(400, 400, 'parsing alerts body from "" failed, because the body must be a JSON array of alerts');
  const postable: PostableAlert[] = [];
  for (const [i, item] of raw.entries()) {
    const p = toPostable(item, i);
    if (typeof p === 'string') {
      const coded = /^(\d{3}):(.*)$/s.exec(p);
      return swaggerError(422, coded ? Number(coded[1]) : 602, coded ? coded[2] : p);
    }
    postable.push(p);
  }
  const { tenant, now, metrics } = ctx;
  const resolveTimeout = tenant.loaded.config.global.resolve_timeout;
  const valid: Alert[] = [];
  const errors: string[] = [];
  for (const p of postable) {
    const a = receiveAlert(p, now, resolveTimeout);
    metrics.alertsReceived.inc({ tenant: tenant.tenant, status: resolvedAt(a, now) ? 'resolved' : 'firing' });
    const problem = validateAlert(a);
    if (problem) {
      errors.push(problem);
      metrics.alertsInvalid.inc({ tenant: tenant.tenant });
      continue;
    }
    valid.push(a);
  }
  try {
    tenant.putAlerts(valid);
  } catch (err) {
    if (isPanoptesError(err) && err.kind === 'limit') return jsonResponse(429, err.message);
    throw err;
  }
  if (errors.length > 0) return jsonResponse(400, errors.join('; '));
  return emptyResponse(200);
}
