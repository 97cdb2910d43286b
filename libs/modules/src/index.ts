// Public surface of modules: the Panoptes config, the module graph of every target, the process runner.
export * from './config';
export * from './targets';
export * from './runner';
export * from './main';
export { buildModules } from './wiring';
export type { ProcessWiring } from './wiring';
