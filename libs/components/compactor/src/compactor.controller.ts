import { Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { validateTenantId } from '@panoptes/common';
import { Tenant } from '@panoptes/server';
import { Compactor, type PlannedJobs } from './compactor';

/** Nest injection token of the process's Compactor. */
export const COMPACTOR = Symbol('compactor');

/** The compactor's endpoints (Mimir's paths). */
@Controller('compactor')
export class CompactorController {
  constructor(@Inject(COMPACTOR) private readonly compactor: Compactor) {}

  /** Requests the deletion of every block of the calling tenant (carried out by the next cycles). */
  @Post('delete_tenant')
  @HttpCode(200)
  async deleteTenant(@Tenant() tenant: string): Promise<void> {
    await this.compactor.cleaner.requestTenantDeletion(tenant);
  }

  @Get('delete_tenant_status')
  async deleteTenantStatus(@Tenant() tenant: string): Promise<{ tenant_id: string; blocks_deleted: boolean }> {
    return { tenant_id: tenant, blocks_deleted: await this.compactor.cleaner.tenantDeletionFinished(tenant) };
  }

  /** The tenant's compaction plan now: jobs (and which this compactor runs), deferred jobs, excluded blocks. */
  @Get('tenant/:tenant/planned_jobs')
  async plannedJobs(@Param('tenant') tenant: string): Promise<PlannedJobs> {
    const plan = await this.compactor.plannedJobs(validateTenantId(tenant));
    if (plan === undefined) throw new NotFoundException(`tenant ${JSON.stringify(tenant)} has no bucket index yet: no blocks, or the compactor has not run a cycle for it`);
    return plan;
  }

  /** Tenants this compactor owned in its last cycle. */
  @Get('tenants')
  tenants(): { tenants: string[] } {
    return { tenants: this.compactor.tenants() };
  }
}
