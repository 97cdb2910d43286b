import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { errorMessage, grpcCodeOf, isPanoptesError, resolveTenant, TENANT_METADATA_KEY } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import type { TenancyOptions } from './tenant';

export interface GrpcServerConfig {
  listenAddress: string;
  /** 0 picks a free port (tests). */
  listenPort: number;
  maxRecvMessageBytes: number;
  maxSendMessageBytes: number;
  gracefulShutdownTimeoutMs: number;
}

/** The tenant of a gRPC call, from the `x-scope-orgid` metadata the caller set with `withTenant`. */
export function tenantFromMetadata(metadata: grpc.Metadata, tenancy: TenancyOptions): string {
  const values = metadata.get(TENANT_METADATA_KEY).map(String);
  return resolveTenant(values.length === 1 ? values[0] : values.length === 0 ? undefined : values, tenancy.multitenancyEnabled, tenancy.noAuthTenant);
}

/** Metadata that carries the tenant to the next hop. */
export function withTenant(tenant: string, metadata = new grpc.Metadata()): grpc.Metadata {
  metadata.set(TENANT_METADATA_KEY, tenant);
  return metadata;
}

/** A gRPC status error with the code our error kinds map to and the error's message. */
export function toGrpcError(err: unknown): grpc.ServiceError {
  const e = new Error(errorMessage(err)) as grpc.ServiceError;
  e.code = grpcCodeOf(err);
  e.details = errorMessage(err);
  e.metadata = new grpc.Metadata();
  if (isPanoptesError(err)) e.metadata.set('panoptes-reason', err.reason);
  return e;
}

/**
 * Wraps an async unary handler: resolves the tenant from metadata, maps typed errors to gRPC codes
 * once, and logs unexpected ones. Handlers stay plain async functions.
 */
export function unaryHandler<Req, Res>(
  tenancy: TenancyOptions,
  logger: Logger,
  fn: (request: Req, tenant: string, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let tenant: string;
    try {
      tenant = tenantFromMetadata(call.metadata, tenancy);
    } catch (err) {
      callback(toGrpcError(err));
      return;
    }
    fn(call.request, tenant, call).then(
      (res) => callback(null, res),
      (err: unknown) => {
        if (!isPanoptesError(err)) logger.error('gRPC call failed', { tenant, method: call.getPath(), err: errorMessage(err) });
        callback(toGrpcError(err));
      },
    );
  };
}

// The standard gRPC health service (grpc.health.v1), described inline so no .proto file has to be
// shipped next to the compiled code.
const HEALTH_PROTO = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
                },
                Health: {
                  methods: {
                    Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse' },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

export const healthService = (
  grpc.loadPackageDefinition(fromJSON(HEALTH_PROTO as Parameters<typeof fromJSON>[0], { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  }
).grpc.health.v1.Health;

/**
 * The process's gRPC server. Modules register services while the module graph is initialised;
 * the server binds when this service starts. Serves grpc.health.v1.Health, SERVING when the
 * process is ready.
 */
export class GrpcServer extends Service {
  private readonly server: grpc.Server;
  private boundPort = 0;
  private ready: () => boolean = () => false;

  constructor(
    private readonly config: GrpcServerConfig,
    private readonly logger: Logger,
  ) {
    super('grpc-server');
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': config.maxRecvMessageBytes,
      'grpc.max_send_message_length': config.maxSendMessageBytes,
    });
    this.server.addService(healthService.service, {
      Check: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, { status: this.ready() ? 'SERVING' : 'NOT_SERVING' }),
    });
  }

  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    this.server.addService(definition, implementation);
  }

  setReadiness(ready: () => boolean): void {
    this.ready = ready;
  }

  get port(): number {
    return this.boundPort;
  }

  protected override async starting(): Promise<void> {
    const addr = `${this.config.listenAddress}:${this.config.listenPort}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.logger.info('gRPC server listening', { component: 'server', addr: `${this.config.listenAddress}:${this.boundPort}` });
  }

  protected override async stopping(): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, this.config.gracefulShutdownTimeoutMs);
      t.unref();
      this.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
