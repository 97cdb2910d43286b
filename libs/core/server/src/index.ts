// Public surface of server: the HTTP (NestJS) and gRPC servers every process runs, admin pages, tenancy at the edge.
export * from './http-server';
export * from './grpc-server';
export * from './pages';
export * from './tenant';
export * from './error-filter';
export { AdminController } from './admin.controller';
export * from './raw-body';
export * from './api-router';
