// Public surface of services: the service lifecycle, the manager that runs many, the module graph.
export * from './service';
export * from './service-manager';
export * from './modules';
