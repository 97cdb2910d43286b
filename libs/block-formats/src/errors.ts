import { PanoptesError, PanoptesErrorOptions } from '@panoptes/common';

/**
 * A stored block (or a piece of one) does not decode: bad magic, unknown version, checksum
 * mismatch, truncated data. Not the caller's fault, so it maps to 500; the message names the file
 * or section so an operator can find and remove the block.
 */
export class CorruptBlockError extends PanoptesError {
  constructor(message: string, options?: PanoptesErrorOptions) {
    super('internal', 'block_corrupt', message, options);
  }
}
