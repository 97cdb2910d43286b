import { UnauthorizedError, ValidationError } from './errors';

/** The HTTP header (and, lower-cased, the gRPC metadata key) that names the tenant. */
export const TENANT_HEADER = 'X-Scope-OrgID';
export const TENANT_METADATA_KEY = 'x-scope-orgid';
/** The tenant used for every request when multi-tenancy is disabled. */
export const ANONYMOUS_TENANT = 'anonymous';
export const MAX_TENANT_ID_LENGTH = 150;

// Same rules as Mimir/Cortex: the ID becomes an object-store prefix, so it must be safe there.
const TENANT_CHARS = /^[a-zA-Z0-9!\-_.*'()]+$/;

/** Returns the tenant ID or throws a typed 400 error saying what is wrong with it. */
export function validateTenantId(id: string): string {
  if (id.length === 0) {
    throw new ValidationError('invalid_tenant', 'tenant ID is empty; set the X-Scope-OrgID header to a non-empty ID');
  }
  if (id.length > MAX_TENANT_ID_LENGTH) {
    throw new ValidationError(
      'invalid_tenant',
      `tenant ID is ${id.length} characters long, longer than the limit of ${MAX_TENANT_ID_LENGTH}`,
    );
  }
  if (id === '.' || id === '..') {
    throw new ValidationError('invalid_tenant', `tenant ID "${id}" is not allowed`);
  }
  if (!TENANT_CHARS.test(id)) {
    throw new ValidationError(
      'invalid_tenant',
      `tenant ID "${id.slice(0, 64)}" contains unsupported characters; allowed: letters, digits and !-_.*'()`,
    );
  }
  if (id.startsWith('__')) {
    throw new ValidationError('invalid_tenant', `tenant ID "${id.slice(0, 64)}" is reserved (starts with "__")`);
  }
  return id;
}

/**
 * Resolves the tenant of a request from the raw header value. With multi-tenancy off every request
 * belongs to `ANONYMOUS_TENANT` (or the configured default), whatever the header says.
 */
export function resolveTenant(
  headerValue: string | string[] | undefined,
  multitenancyEnabled: boolean,
  noAuthTenant: string = ANONYMOUS_TENANT,
): string {
  if (!multitenancyEnabled) return noAuthTenant;
  const raw = Array.isArray(headerValue) ? headerValue : headerValue === undefined ? [] : [headerValue];
  if (raw.length === 0 || (raw.length === 1 && raw[0] === '')) {
    throw new UnauthorizedError(
      'missing_tenant',
      'no tenant ID: send the X-Scope-OrgID header, or run with -auth.multitenancy-enabled=false',
    );
  }
  if (raw.length > 1) {
    throw new ValidationError('invalid_tenant', 'more than one X-Scope-OrgID header; send exactly one tenant ID');
  }
  return validateTenantId(raw[0].trim());
}
