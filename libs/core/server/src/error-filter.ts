import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { errorMessage, httpStatusOf, isPanoptesError, reasonOf } from '@panoptes/common';
import type { Logger } from '@panoptes/log';

/**
 * The one place HTTP errors are mapped and logged: a typed PanoptesError gets its status and its
 * message as the body; Nest's own HttpExceptions (unknown route, bad method) keep their status;
 * anything else is a 500 and is logged with its stack. Client errors log at debug, server errors
 * at error, once.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
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
      method: req.method,
      path: req.path,
      status,
      reason: reasonOf(err),
      tenant: isPanoptesError(err) ? err.tenant : undefined,
      err: errorMessage(err),
    };
    if (status >= 500) {
      // A typed error says what failed; only an unexpected one needs its stack to be understood.
      this.logger.error('request failed', { ...fields, stack: !isPanoptesError(err) && err instanceof Error ? err.stack : undefined });
    }
    else this.logger.debug('request rejected', fields);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).type('text/plain; charset=utf-8').send(message.endsWith('\n') ? message : `${message}\n`);
  }
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
