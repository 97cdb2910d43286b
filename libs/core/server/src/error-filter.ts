import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { errorMessage, httpStatusOf, isPanoptesError, reasonOf } from '@panoptes/common';
import type { Logger } from '@panoptes/log';

/** Nest's side of the HTTP error boundary: answers with `errorAnswer`'s status and text. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const { status, message } = errorAnswer(err, { method: req.method, path: req.path }, this.logger);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).type('text/plain; charset=utf-8').send(message.endsWith('\n') ? message : `${message}\n`);
  }
}

/**
 * The status and text of a failed request, logged once: a typed PanoptesError gets its status and
 * its message; a body parser's error its 4xx; Nest's own HttpExceptions (unknown route, bad
 * method) keep their status; anything else is a 500, logged with its stack. Client errors log at
 * debug, server errors at error. The Nest filter and the plain `ApiRouter` both answer through it.
 */
export function errorAnswer(err: unknown, request: { method: string; path: string }, logger: Logger): { status: number; message: string } {
  let status: number;
  let message: string;
  const parseError = isBodyParserError(err) ? err : isBodyParserError((err as Error | undefined)?.cause) ? ((err as Error).cause as BodyParserError) : undefined;
  if (parseError) {
    status = parseError.status;
    message = status === 413 ? `request body too large: ${parseError.message}` : `cannot parse request body: ${parseError.message}`;
  } else if (isPanoptesError(err)) {
    status = httpStatusOf(err);
    message = err.message;
  } else if (err instanceof HttpException) {
    status = err.getStatus();
    const body = err.getResponse();
    message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? err.message);
    // Nest turns the JSON parser's SyntaxError into a bare BadRequestException; say what failed.
    if (status === 400 && /JSON/.test(message)) message = `cannot parse request body: ${message}`;
  } else {
    status = 500;
    message = 'internal error';
  }
  const fields = {
    method: request.method,
    path: request.path,
    status,
    reason: reasonOf(err),
    tenant: isPanoptesError(err) ? err.tenant : undefined,
    err: errorMessage(err),
  };
  if (status >= 500) {
    // A typed error says what failed; only an unexpected one needs its stack to be understood.
    logger.error('request failed', { ...fields, stack: !isPanoptesError(err) && err instanceof Error ? err.stack : undefined });
  } else logger.debug('request rejected', fields);
  return { status, message };
}

interface BodyParserError {
  status: number;
  message: string;
  type: string;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  const e = err as { status?: unknown; type?: unknown };
  return typeof e?.status === 'number' && typeof e.type === 'string' && e.status >= 400 && e.status < 500;
}
