/** What the admin pages need to know about the process; filled in by whoever runs the services. */
export interface ServiceStatus {
  name: string;
  state: string;
  failure?: string;
}

export interface StatusSource {
  /** True when every service of the process is Running. */
  ready(): boolean;
  services(): ServiceStatus[];
  /** The effective config as YAML, secrets masked. */
  configYaml(): string;
}

/**
 * A status page (a ring, the HA tracker…), rendered by the library that owns the state; the HTTP
 * layer only serves it at its exact path: HTML for browsers, JSON with `Accept: application/json`
 * (or `?format=json`).
 */
export interface StatusPage {
  /** URL path, e.g. `/ingester/ring`. */
  path: string;
  title: string;
  html(): Promise<string> | string;
  json(): Promise<unknown> | unknown;
  /** Removes an unhealthy instance: the page's "forget" form posts `forget=<id>` to the same path. */
  forget?(id: string): Promise<void>;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderServicesHtml(services: ServiceStatus[]): string {
  const rows = services
    .map((s) => `<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.state)}</td><td>${escapeHtml(s.failure ?? '')}</td></tr>`)
    .join('\n');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Panoptes services</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
</head><body><h1>Services</h1>
<table><thead><tr><th>Service</th><th>State</th><th>Failure</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}
