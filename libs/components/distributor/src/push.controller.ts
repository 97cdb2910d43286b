import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { remoteWriteStatsHeaders } from '@panoptes/proto';
import { Tenant, readRawBody } from '@panoptes/server';
import { Distributor } from './distributor';

/** Nest injection token of the process's Distributor. */
export const DISTRIBUTOR = Symbol('distributor');
/** Nest injection token of the largest compressed request body, in bytes. */
export const DISTRIBUTOR_MAX_BODY_BYTES = Symbol('distributor-max-body-bytes');

/** Paths whose bodies the push handlers read themselves (see `HttpServer.addRawBodyPaths`). */
export const PUSH_PATHS = ['/api/v1/push', '/otlp/v1/metrics'];

/**
 * The write endpoints: thin, all work happens in `Distributor`. Typed errors thrown from here are
 * mapped by the server's error filter (400/401/413/415/429/503, 202 for HA deduplication).
 */
@Controller()
export class PushController {
  constructor(
    @Inject(DISTRIBUTOR) private readonly distributor: Distributor,
    @Inject(DISTRIBUTOR_MAX_BODY_BYTES) private readonly maxBodyBytes: number,
  ) {}

  /** Prometheus remote write 1.0 and 2.0 (Mimir's path). */
  @Post('api/v1/push')
  @HttpCode(204)
  async push(@Tenant() tenant: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const body = await readRawBody(req, this.maxBodyBytes, 'remote write request body');
    const result = await this.distributor.pushRemoteWrite(
      tenant,
      { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'] },
      body,
    );
    res.set(remoteWriteStatsHeaders(result.written));
    if (result.error) {
      res.status(400).type('text/plain; charset=utf-8').send(`${result.error.message}\n`);
      return;
    }
    res.status(204).end();
  }

  /** OTLP/HTTP metrics (protobuf or JSON, optionally gzip). */
  @Post('otlp/v1/metrics')
  async otlp(@Tenant() tenant: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const body = await readRawBody(req, this.maxBodyBytes, 'OTLP request body');
    const result = await this.distributor.pushOtlpHttp(
      tenant,
      { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'] },
      body,
    );
    res.status(result.status).type(result.contentType).send(Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength));
  }
}
