import 'reflect-metadata';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Get, Inject, Module, Post, Req, Res, type INestApplication, type LoggerService, type Provider, type Type } from '@nestjs/common';
import type { Request, Response } from 'express';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Registry } from 'prom-client';
import { matchRoutePath } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { AdminController, METRICS_REGISTRY, STATUS_PAGES, STATUS_SOURCE } from './admin.controller';
import { ApiMount, ApiRouter } from './api-router';
import { HttpErrorFilter } from './error-filter';
import { StatusPage, StatusSource } from './pages';
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
  private readonly statusPages = new Map<string, StatusPage>();
  private readonly apiMounts: ApiMount[] = [];
  private readonly rawBodyPaths = new Set<string>();
  /** Raw body paths with `:param` segments, matched segment by segment. */
  private readonly rawBodyPatterns: string[] = [];
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

  /**
   * Mounts framework-free API handlers (the query APIs): served by the plain `ApiRouter` ahead of
   * the Nest application, which never sees their requests.
   */
  addApi(mount: ApiMount): void {
    if (this.app) throw new Error('APIs must be added before the HTTP server starts');
    this.apiMounts.push(mount);
  }

  /**
   * Routes whose handlers read the request body themselves (protobuf, snappy, OTLP JSON with its
   * own decoder and limits, rule-group YAML whatever its Content-Type): the JSON and form parsers
   * leave their bodies unread. A `:param` segment matches any one non-empty segment.
   */
  addRawBodyPaths(paths: string[]): void {
    if (this.app) throw new Error('raw body paths must be added before the HTTP server starts');
    for (const p of paths) {
      if (p.split('/').some((segment) => segment.startsWith(':'))) this.rawBodyPatterns.push(p);
      else this.rawBodyPaths.add(p);
    }
  }

  /** Serves a status page at its exact path (GET; POST for its forget form). */
  addStatusPage(page: StatusPage): void {
    if (this.app) throw new Error('status pages must be added before the HTTP server starts');
    if (this.statusPages.has(page.path)) throw new Error(`two status pages at ${page.path}`);
    this.statusPages.set(page.path, page);
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
    const pagePaths = [...this.statusPages.keys()];
    // One controller with exactly the registered paths, so no pattern shadows other components' routes.
    @Controller()
    class StatusPagesController {
      constructor(@Inject(AdminController) private readonly admin: AdminController) {}

      @Get(pagePaths)
      show(@Req() req: Request, @Res() res: Response): Promise<void> {
        return this.admin.showPage(req, res);
      }

      @Post(pagePaths)
      forget(@Req() req: Request, @Body() body: Record<string, unknown> | undefined, @Res() res: Response): Promise<void> {
        return this.admin.forget(req, body, res);
      }
    }

    @Module({
      controllers: pagePaths.length > 0 ? [...this.controllers, StatusPagesController] : this.controllers,
      providers: [
        { provide: STATUS_SOURCE, useValue: status },
        { provide: METRICS_REGISTRY, useValue: this.registry },
        { provide: STATUS_PAGES, useValue: this.statusPages },
        AdminController,
        ...this.providers,
      ],
    })
    class PanoptesHttpModule {}

    const app = await NestFactory.create<NestExpressApplication>(PanoptesHttpModule, {
      logger: nestLogger(this.logger),
      bodyParser: false,
      abortOnError: false,
    });
    const raw = this.rawBodyPaths;
    const rawPatterns = this.rawBodyPatterns;
    const isRaw = (path: string) => raw.has(path) || rawPatterns.some((p) => matchRoutePath(p, path) !== undefined);
    // The content type first: it rules out most requests for each parser before the path patterns are walked.
    const parses = (pattern: RegExp) => (req: Request) => pattern.test(req.headers['content-type'] ?? '') && !isRaw(req.path);
    app.useBodyParser('json', { limit: this.config.maxRequestBodyBytes, type: parses(/^application\/([\w.+-]+\+)?json\b/i) });
    app.useBodyParser('urlencoded', {
      limit: this.config.maxRequestBodyBytes,
      extended: false,
      type: parses(/^application\/x-www-form-urlencoded\b/i),
    });
    app.useGlobalFilters(new HttpErrorFilter(this.logger.with({ component: 'http' })));
    app.disable('x-powered-by');
    // API answers are not revalidated (Prometheus sends no ETag); hashing every large query answer cost CPU for nothing.
    app.disable('etag');
    attachTenancy(app.getHttpAdapter().getInstance() as { locals: Record<string, unknown> }, this.tenancy);
    if (this.apiMounts.length > 0) {
      const router = new ApiRouter(this.apiMounts, { tenancy: this.tenancy, maxRequestBodyBytes: this.config.maxRequestBodyBytes }, this.logger.with({ component: 'http' }));
      // The router sees each request first; what it does not serve goes to Nest's listener.
      const server = app.getHttpServer() as Server;
      const nest = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
      server.removeAllListeners('request');
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        if (!router.serve(req, res)) for (const listener of nest) listener.call(server, req, res);
      });
    }
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
