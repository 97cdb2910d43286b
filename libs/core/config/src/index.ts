// Public surface of config: option descriptors, the loader (YAML + flags + env), rendering, per-tenant limits.
export * from './duration';
export * from './spec';
export * from './loader';
export * from './render';
export * from './overrides';
