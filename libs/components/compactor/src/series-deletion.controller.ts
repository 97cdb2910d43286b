import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestParams, tenantOf } from '@panoptes/server';
import { SERIES_DELETION_API_PATHS, SeriesDeletionApi } from './series-deletion-api';

/** Nest injection token of the process's SeriesDeletionApi. */
export const SERIES_DELETION_API = Symbol('series-deletion-api');

/** Mounts `SeriesDeletionApi` at Prometheus' `delete_series` paths; no logic here. */
@Controller()
export class SeriesDeletionController {
  constructor(@Inject(SERIES_DELETION_API) private readonly api: SeriesDeletionApi) {}

  @All(SERIES_DELETION_API_PATHS.map((p) => p.slice(1)))
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    const out = await this.api.handle({ tenant: tenantOf(req), method: req.method, params: requestParams(req) });
    res.status(out.status).set(out.headers);
    if (out.status === 204) res.end();
    else res.send(out.body);
  }
}
