import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication, type LoggerService, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Registry } from 'prom-client';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { AdminController, METRICS_REGISTRY, RING_PAGES, STATUS_SOURCE } from './admin.controller';
import { HttpErrorFilter } from './error-filter';
import { RingPage, StatusSource } from './pages';
import { attachTenancy, TenancyOptions } from './tenant';

export interface HttpServerConfig {
  listenAddress: string;
  /** 0 picks a free port (tests). */
  listenPort: number;
  /** Longest request body accepted by the JSON and form parsers, in bytes. */
  maxRequestBodyBytes: number;
  gracefulShutdownTimeoutMs: number;
}

/** Routes the Nest logger into ours, so Nest's own messages are logfmt lines too. */
function nestLogger(logger: Logger): LoggerService {
  const l = logger.with({ component: 'http' });
  return {
    log: (message: unknown) => l.debug(String(message)),
    error: (message: unknown) => l.error(String(message)),
    warn: (message: unknown) => l.warn(String(message)),
    debug: (message: unknown) => l.debug(String(message)),
    verbose: () => undefined,
  };
}

/**
 * The process's HTTP server. Modules add their controllers and the values those controllers
 * inject while the module graph is initialised; the Nest application is built and listens when
 * this service starts, so it is always the complete set of routes of the process.
 */
export class HttpServer extends Service {
  private readonly controllers: Type[] = [AdminController];
  private readonly providers: Provider[] = [];
  private readonly ringPages = new Map<string, RingPage>();
  private app: INestApplication | undefined;
  private statusSource: StatusSource | undefined;

  constructor(
    private readonly config: HttpServerConfig,
    private readonly tenancy: TenancyOptions,
    private readonly logger: Logger,
    private readonly registry: Registry,
  ) {
    super('server');
  }

  addControllers(controllers: Type[], providers: Provider[] = []): void {
    if (this.app) throw new Error('controllers must be added before the HTTP server starts');
    this.controllers.push(...controllers);
    this.providers.push(...providers);
  }

  addRingPage(page: RingPage): void {
    this.ringPages.set(page.path, page);
  }

  setStatusSource(source: StatusSource): void {
    this.statusSource = source;
  }

  /** The port actually listened on (useful with port 0). */
  get port(): number {
    const server = this.app?.getHttpServer() as Server | undefined;
    return (server?.address() as AddressInfo | null)?.port ?? 0;
  }

  protected override async starting(): Promise<void> {
    const status = this.statusSource;
    if (!status) throw new Error('HTTP server has no status source; call setStatusSource before starting');
    @Module({
      controllers: this.controllers,
      providers: [
        { provide: STATUS_SOURCE, useValue: status },
        { provide: METRICS_REGISTRY, useValue: this.registry },
        { provide: RING_PAGES, useValue: this.ringPages },
        ...this.providers,
      ],
    })
    class PanoptesHttpModule {}

    const app = await NestFactory.create<NestExpressApplication>(PanoptesHttpModule, {
      logger: nestLogger(this.logger),
      bodyParser: false,
      abortOnError: false,
    });
    app.useBodyParser('json', { limit: this.config.maxRequestBodyBytes });
    app.useBodyParser('urlencoded', { limit: this.config.maxRequestBodyBytes, extended: false });
    app.useGlobalFilters(new HttpErrorFilter(this.logger.with({ component: 'http' })));
    app.disable('x-powered-by');
    attachTenancy(app.getHttpAdapter().getInstance() as { locals: Record<string, unknown> }, this.tenancy);
    app.enableShutdownHooks = () => app; // the ServiceManager owns signals, not Nest
    await app.listen(this.config.listenPort, this.config.listenAddress);
    this.app = app;
    this.logger.info('HTTP server listening', { component: 'server', addr: `${this.config.listenAddress}:${this.port}` });
  }

  protected override async stopping(): Promise<void> {
    if (!this.app) return;
    const app = this.app;
    const timeout = new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        (app.getHttpServer() as Server).closeAllConnections?.();
        resolve();
      }, this.config.gracefulShutdownTimeoutMs);
      t.unref();
    });
    await Promise.race([app.close(), timeout]);
  }
}
