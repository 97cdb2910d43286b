import type { IncomingMessage } from 'node:http';
import { TooLargeError, ValidationError } from '@panoptes/common';

/**
 * Reads a request body that the JSON/form parsers left alone (see `HttpServer.addRawBodyPaths`)
 * into one Buffer, refusing more than `limitBytes` with a 413: at once when Content-Length says so,
 * otherwise as soon as the stream passes the limit (the rest is drained, not buffered).
 */
export function readRawBody(req: IncomingMessage, limitBytes: number, what = 'request body'): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  const tooLarge = (n: number | string) =>
    new TooLargeError(
      'request_too_large',
      `${what} of ${n} bytes is over the limit of ${limitBytes} bytes; send smaller batches or raise the server's maximum request size`,
    );
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return Promise.reject(tooLarge(declared));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limitBytes) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(`more than ${limitBytes}`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('aborted', () => {
      if (failed) return;
      failed = true;
      reject(new ValidationError('request_aborted', `the client closed the connection before sending the whole ${what}`));
    });
    req.on('error', (err) => {
      if (failed) return;
      failed = true;
      reject(new ValidationError('request_aborted', `reading the ${what} failed: ${err.message}`));
    });
  });
}
