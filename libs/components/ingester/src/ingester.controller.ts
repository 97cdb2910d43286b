import { Controller, Delete, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { Ingester } from './ingester';

/** Nest injection token of the process's Ingester. */
export const INGESTER = Symbol('ingester');

/** The ingester's operator endpoints (Mimir's paths). */
@Controller('ingester')
export class IngesterController {
  constructor(@Inject(INGESTER) private readonly ingester: Ingester) {}

  /** Cuts every head into blocks and uploads them now; answers when done. */
  @Post('flush')
  async flush(): Promise<{ blocksCut: number; blocksShipped: number; shipFailures: number }> {
    return this.ingester.flush();
  }

  /** After this, a shutdown flushes every head to blocks and uploads them before stopping. */
  @Post('prepare-shutdown')
  @HttpCode(204)
  setPrepareShutdown(): void {
    this.ingester.prepareShutdown = true;
  }

  @Get('prepare-shutdown')
  getPrepareShutdown(): string {
    return this.ingester.prepareShutdown ? 'set\n' : 'unset\n';
  }

  @Delete('prepare-shutdown')
  @HttpCode(204)
  unsetPrepareShutdown(): void {
    this.ingester.prepareShutdown = false;
  }
}
