import { Controller, Delete, Get, HttpCode, Inject, Optional, Post } from '@nestjs/common';
import { ValidationError } from '@panoptes/common';
import { Ingester } from './ingester';

/** Nest injection token of the process's Ingester. */
export const INGESTER = Symbol('ingester');

/** Nest injection token of the ingester's partition (ingest-log mode only). */
export const INGESTER_PARTITION = Symbol('ingester-partition');

/** What the scale-down endpoints need of the ingester's partition (`PartitionInstanceLifecycler`). */
export interface IngesterPartition {
  /** true: the partition goes INACTIVE and ownership ends on shutdown; false undoes it. Returns `downscaleState()`. */
  prepareDownscale(prepare: boolean): Promise<number>;
  /** When the partition became INACTIVE (ms since the epoch), or 0 when it is not INACTIVE. */
  downscaleState(): Promise<number>;
}

/** The ingester's operator endpoints (Mimir's paths). */
@Controller('ingester')
export class IngesterController {
  constructor(
    @Inject(INGESTER) private readonly ingester: Ingester,
    @Optional() @Inject(INGESTER_PARTITION) private readonly partition?: IngesterPartition,
  ) {}

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

  /**
   * Ingest-log mode scale-down (Mimir's path): the ingester's partition goes INACTIVE (no new
   * writes, still read) and the ingester gives up the partition on shutdown. Answers
   * `{"timestamp": <unix seconds it became INACTIVE>}`.
   */
  @Post('prepare-partition-downscale')
  @HttpCode(200) // as Mimir answers it (Nest's default for a POST is 201)
  async preparePartitionDownscale(): Promise<{ timestamp: number }> {
    return { timestamp: Math.floor((await this.requirePartition().prepareDownscale(true)) / 1000) };
  }

  /** `{"timestamp": N}` while the partition is INACTIVE, `{"timestamp": 0}` otherwise. */
  @Get('prepare-partition-downscale')
  async getPartitionDownscale(): Promise<{ timestamp: number }> {
    return { timestamp: Math.floor((await this.requirePartition().downscaleState()) / 1000) };
  }

  /** Undoes the preparation: the partition is ACTIVE again and stays owned across a restart. */
  @Delete('prepare-partition-downscale')
  async cancelPartitionDownscale(): Promise<{ timestamp: number }> {
    return { timestamp: Math.floor((await this.requirePartition().prepareDownscale(false)) / 1000) };
  }

  private requirePartition(): IngesterPartition {
    if (!this.partition) {
      throw new ValidationError(
        'not_ingest_storage',
        'this ingester owns no partition (classic ingest mode); scale classic ingesters down with /ingester/prepare-shutdown',
      );
    }
    return this.partition;
  }
}
