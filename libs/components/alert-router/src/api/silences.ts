import { isPanoptesError } from '@panoptes/common';
import { formatApiTime, parseApiTime } from '../alerts/alert';
import { type Silence, type SilenceMatcher, silenceState } from '../silences/silences';
import { matchFilterLabels, parseFilter } from './alerts';
import { type AmApiContext, type AmApiRequest, type AmApiResponse, bodyText, emptyResponse, jsonResponse, swaggerError } from './http';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** GettableSilence, with go-swagger's field order. */
export function gettableSilence(s: Silence, now: number): Record<string, unknown> {
  return {
    id: s.id,
    status: { state: silenceState(s, now) },
    updatedAt: formatApiTime(s.updatedAt),
    comment: s.comment,
    createdBy: s.createdBy,
    endsAt: formatApiTime(s.endsAt),
    matchers: s.matchers.map((m) => ({ isEqual: m.isEqual, isRegex: m.isRegex, name: m.name, value: m.value })),
    startsAt: formatApiTime(s.startsAt),
  };
}

const STATE_ORDER = { active: 1, pending: 2, expired: 3 };

/** Alertmanager's listing order: active by end, then pending by start, then expired, latest first. */
export function sortSilences(silences: Silence[], now: number): Silence[] {
  return silences.sort((a, b) => {
    const sa = silenceState(a, now);
    const sb = silenceState(b, now);
    if (sa !== sb) return STATE_ORDER[sa] - STATE_ORDER[sb];
    if (sa === 'active') return a.endsAt - b.endsAt;
    if (sa === 'pending') return a.startsAt - b.startsAt;
    return b.endsAt - a.endsAt;
  });
}

/** GET /api/v2/silences */
export function getSilences(req: AmApiRequest, ctx: AmApiContext): AmApiResponse {
  let matchers;
  try {
    matchers = parseFilter(req.query);
  } catch (err) {
    return jsonResponse(400, (err as Error).message);
  }
  const kept = ctx.tenant.silences.list().filter((s) => matchFilterLabels(matchers, Object.fromEntries(s.matchers.map((m) => [m.name, m.value]))));
  return jsonResponse(
    200,
    sortSilences(kept, ctx.now).map((s) => gettableSilence(s, ctx.now)),
  );
}

/** Checks a PostableSilence against the OpenAPI schema; returns the error (`601:` etc. prefixes a go-openapi code other than 602) or the silence. */
function toPostable(raw: unknown): (Omit<Silence, 'updatedAt' | 'id'> & { id?: string }) | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'body in body must be of type object';
  const o = raw as Record<string, unknown>;
  for (const key of ['comment', 'createdBy', 'endsAt', 'matchers', 'startsAt']) if (o[key] === undefined || o[key] === null) return `${key} in body is required`;
  if (!Array.isArray(o.matchers)) return 'matchers in body must be of type array';
  if (o.matchers.length === 0) return '612:matchers in body should have at least 1 items';
  const matchers: SilenceMatcher[] = [];
  for (const [i, m] of (o.matchers as unknown[]).entries()) {
    if (typeof m !== 'object' || m === null) return `matchers.${i} in body must be of type object`;
    const mm = m as Record<string, unknown>;
    for (const key of ['isRegex', 'name', 'value']) if (mm[key] === undefined || mm[key] === null) return `matchers.${i}.${key} in body is required`;
    if (typeof mm.name !== 'string' || typeof mm.value !== 'string') return `matchers.${i}.name in body must be of type string`;
    if (typeof mm.isRegex !== 'boolean' || (mm.isEqual !== undefined && typeof mm.isEqual !== 'boolean')) return `matchers.${i}.isRegex in body must be of type boolean`;
    matchers.push({ name: mm.name, value: mm.value, isRegex: mm.isRegex, isEqual: mm.isEqual === undefined ? true : (mm.isEqual as boolean) });
  }
  const startsAt = typeof o.startsAt === 'string' ? parseApiTime(o.startsAt) : undefined;
  if (startsAt === undefined) return `601:startsAt in body must be of type date-time: ${JSON.stringify(o.startsAt)}`;
  const endsAt = typeof o.endsAt === 'string' ? parseApiTime(o.endsAt) : undefined;
  if (endsAt === undefined) return `601:endsAt in body must be of type date-time: ${JSON.stringify(o.endsAt)}`;
  if (typeof o.comment !== 'string' || typeof o.createdBy !== 'string') return 'comment in body must be of type string';
  const id = typeof o.id === 'string' && o.id !== '' ? o.id : undefined;
  return { id, matchers, startsAt, endsAt, createdBy: o.createdBy, comment: o.comment };
}

/** POST /api/v2/silences: creates a silence, or updates the one `id` names. */
export function postSilences(req: AmApiRequest, ctx: AmApiContext): AmApiResponse {
  let raw: unknown;
  try {
    raw = JSON.parse(bodyText(req));
  } catch (err) {
    return swaggerError(400, 400, `parsing silence body from "" failed, because ${(err as Error).message}`);
  }
  const sil = toPostable(raw);
  if (typeof sil === 'string') {
    const coded = /^(\d{3}):(.*)$/s.exec(sil);
    return swaggerError(422, coded ? Number(coded[1]) : 602, coded ? coded[2] : sil);
  }
  if (sil.startsAt >= sil.endsAt) return jsonResponse(400, 'Failed to create silence: start time must be before end time');
  if (sil.endsAt < ctx.now) return jsonResponse(400, "Failed to create silence: end time can't be in the past");
  try {
    const id = ctx.tenant.silences.set(sil);
    return jsonResponse(200, { silenceID: id });
  } catch (err) {
    if (isPanoptesError(err)) return jsonResponse(err.kind === 'not_found' ? 404 : 400, err.message);
    throw err;
  }
}

function checkId(id: string): AmApiResponse | undefined {
  return UUID.test(id) ? undefined : swaggerError(422, 601, `silenceID in path must be of type uuid: ${JSON.stringify(id)}`);
}

/** GET /api/v2/silence/{silenceID} */
export function getSilence(_req: AmApiRequest, ctx: AmApiContext, params: Record<string, string>): AmApiResponse {
  const bad = checkId(params.silenceID);
  if (bad) return bad;
  const s = ctx.tenant.silences.get(params.silenceID);
  return s ? jsonResponse(200, gettableSilence(s, ctx.now)) : emptyResponse(404);
}

/** DELETE /api/v2/silence/{silenceID}: expires it (an expired one stays expired). */
export function deleteSilence(_req: AmApiRequest, ctx: AmApiContext, params: Record<string, string>): AmApiResponse {
  const bad = checkId(params.silenceID);
  if (bad) return bad;
  try {
    ctx.tenant.silences.expire(params.silenceID);
    return emptyResponse(200);
  } catch (err) {
    if (isPanoptesError(err) && err.kind === 'not_found') return jsonResponse(404, err.message);
    throw err;
  }
}
