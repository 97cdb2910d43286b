import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Registry } from 'prom-client';
import { NotFoundError, ValidationError } from '@panoptes/common';
import { StatusPage, renderServicesHtml, StatusSource } from './pages';

export const STATUS_SOURCE = Symbol('STATUS_SOURCE');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const STATUS_PAGES = Symbol('STATUS_PAGES');

function wantsJson(req: Request): boolean {
  return (req.headers.accept ?? '').includes('application/json') || req.query.format === 'json';
}

/** Endpoints every Panoptes process serves, whatever its target. */
@Controller()
export class AdminController {
  constructor(
    @Inject(STATUS_SOURCE) private readonly status: StatusSource,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(STATUS_PAGES) private readonly pages: Map<string, StatusPage>,
  ) {}

  @Get('ready')
  ready(@Res() res: Response): void {
    if (this.status.ready()) {
      res.status(200).type('text/plain').send('ready\n');
      return;
    }
    const notRunning = this.status.services().filter((s) => s.state !== 'Running');
    const lines = notRunning.map((s) => `${s.name}: ${s.state}${s.failure ? ` (${s.failure})` : ''}`);
    res.status(503).type('text/plain').send(`Some services are not Running:\n${lines.join('\n')}\n`);
  }

  @Get('metrics')
  async metrics(@Res() res: Response): Promise<void> {
    res.status(200).type(this.registry.contentType).send(await this.registry.metrics());
  }

  @Get('config')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  config(): string {
    return this.status.configYaml();
  }

  @Get('services')
  services(@Req() req: Request, @Res() res: Response): void {
    const services = this.status.services();
    if (wantsJson(req)) res.json({ services });
    else res.type('text/html').send(renderServicesHtml(services));
  }

  /** Serves a status page registered at the request's exact path. */
  async showPage(req: Request, res: Response): Promise<void> {
    const page = this.page(req.path);
    if (wantsJson(req)) res.json(await page.json());
    else res.type('text/html').send(await page.html());
  }

  /** The "forget" form of a status page. */
  async forget(req: Request, body: Record<string, unknown> | undefined, res: Response): Promise<void> {
    const page = this.page(req.path);
    const id = body?.forget;
    if (typeof id !== 'string' || id === '' || !page.forget) {
      throw new ValidationError('bad_forget', 'send forget=<instance id> as a form field to remove an instance from the ring');
    }
    await page.forget(id);
    res.redirect(303, req.path);
  }

  private page(path: string): StatusPage {
    const page = this.pages.get(path.replace(/\/$/, ''));
    if (!page) throw new NotFoundError('page_not_found', `no status page at ${path} in this process`);
    return page;
  }
}
