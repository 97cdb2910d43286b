// Harnesses for real peer programs (Prometheus, Alertmanager, node exporter, promtool, amtool)
// and a recording HTTP sink, for compatibility tests. Test-only.
export * from './peer-error';
export * from './output-ring';
export * from './free-port';
export * from './peer-registry';
export * from './managed-process';
export * from './run-tool';
export * from './prom-api-client';
export * from './prometheus';
export * from './node-exporter';
export * from './alertmanager';
export * from './http-sink';
export * from './header-proxy';
