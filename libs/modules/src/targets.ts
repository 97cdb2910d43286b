/** The components a process can run; `all` runs every one of them in one process. */
export const COMPONENTS = ['distributor', 'ingester', 'querier', 'query-frontend', 'compactor', 'ruler', 'alert-router'] as const;
export type ComponentName = (typeof COMPONENTS)[number];
export const TARGETS: readonly string[] = ['all', ...COMPONENTS];
