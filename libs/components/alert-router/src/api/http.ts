import type { AlertRouterMetrics } from '../metrics';
import { goJson } from '../notify/template-data';
import type { AlertRouterTenant } from '../tenant';

/** One request, as the HTTP layer hands it over. */
export interface AmApiRequest {
  method: string;
  /** Path relative to the mount point (`/api/v2/alerts`), still percent-encoded, no query string. */
  path: string;
  query: URLSearchParams;
  body?: Buffer | string;
}

/** What a handler returns; the HTTP layer copies it onto the wire unchanged. */
export interface AmApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The build Alertmanager reports in `/api/v2/status` (amtool shows it). */
export interface VersionInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  goVersion: string;
}

export function defaultVersionInfo(): VersionInfo {
  return { version: '0.25.0', revision: 'panoptes', branch: 'main', buildUser: 'panoptes', buildDate: '', goVersion: 'n/a' };
}

/** What every Alertmanager API v2 handler works with. */
export interface AmApiContext {
  tenant: AlertRouterTenant;
  /** Current time, ms. */
  now: number;
  metrics: AlertRouterMetrics;
  versionInfo: VersionInfo;
}

export type AmApiHandler = (req: AmApiRequest, ctx: AmApiContext, pathParams: Record<string, string>) => Promise<AmApiResponse> | AmApiResponse;

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export function jsonResponse(status: number, value: unknown): AmApiResponse {
  return { status, headers: { ...JSON_HEADERS }, body: `${goJson(value)}\n` };
}

export function emptyResponse(status: number): AmApiResponse {
  return { status, headers: {}, body: '' };
}

/** go-openapi's error body (`{"code":602,"message":"labels in body is required"}`, no trailing newline): parameter and body-schema errors. */
export function swaggerError(status: number, code: number, message: string): AmApiResponse {
  return { status, headers: { ...JSON_HEADERS }, body: goJson({ code, message }) };
}

/** The body as a string. */
export function bodyText(req: AmApiRequest): string {
  if (req.body === undefined) return '';
  return typeof req.body === 'string' ? req.body : req.body.toString('utf8');
}

const TRUE_VALUES = new Set(['true', '1', 'yes', 'ok', 'y', 'on', 'selected', 'checked', 't', 'enabled']);

/** A boolean query parameter as go-openapi reads it: absent or empty → default, unknown words → false. */
export function boolParam(query: URLSearchParams, name: string, defaultValue: boolean): boolean {
  const raw = query.get(name);
  if (raw === null || raw === '') return defaultValue;
  return TRUE_VALUES.has(raw.toLowerCase());
}
