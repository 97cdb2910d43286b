import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { resolveTenant, TENANT_HEADER } from '@panoptes/common';

export interface TenancyOptions {
  multitenancyEnabled: boolean;
  /** The tenant used when multi-tenancy is off. */
  noAuthTenant: string;
}

const TENANCY = Symbol('panoptes.tenancy');

/** Called once per app: makes the tenancy settings available to the @Tenant() decorator. */
export function attachTenancy(app: { locals: Record<string | symbol, unknown> }, options: TenancyOptions): void {
  app.locals[TENANCY as unknown as string] = options;
}

/** The request's tenant, resolved from X-Scope-OrgID; throws a typed 401/400 error when absent or invalid. */
export function tenantOf(req: Request): string {
  const options = req.app.locals[TENANCY as unknown as string] as TenancyOptions | undefined;
  return resolveTenant(
    req.headers[TENANT_HEADER.toLowerCase()],
    options?.multitenancyEnabled ?? true,
    options?.noAuthTenant,
  );
}

/** Controller parameter decorator: `handler(@Tenant() tenant: string)`. */
export const Tenant = createParamDecorator((_data: unknown, ctx: ExecutionContext): string =>
  tenantOf(ctx.switchToHttp().getRequest<Request>()),
);
