/**
 * Integration tests against the real backing services started by `tools/dev-services`.
 * Their addresses come from environment variables (see docs/dev-services.md). When a service is
 * missing the suite is skipped with a loud warning, unless PANOPTES_REQUIRE_SERVICES=1 (CI), where
 * a missing service is a failing test.
 */
export type BackingService = 'redis' | 'kafka' | 's3';

export interface RedisEnv {
  host: string;
  port: number;
  addr: string;
}

export interface KafkaEnv {
  brokers: string[];
}

export interface S3Env {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

interface EnvOf {
  redis: RedisEnv;
  kafka: KafkaEnv;
  s3: S3Env;
}

const VARS: Record<BackingService, string> = {
  redis: 'PANOPTES_REDIS_ADDR',
  kafka: 'PANOPTES_KAFKA_BROKERS',
  s3: 'PANOPTES_S3_ENDPOINT',
};

export function servicesRequired(): boolean {
  return process.env.PANOPTES_REQUIRE_SERVICES === '1';
}

/** The service's address from the environment, or undefined when it is not configured. */
export function serviceEnv<S extends BackingService>(service: S): EnvOf[S] | undefined {
  const raw = process.env[VARS[service]];
  if (!raw) return undefined;
  switch (service) {
    case 'redis': {
      const [host, port] = raw.split(':');
      return { host, port: Number(port), addr: raw } as EnvOf[S];
    }
    case 'kafka':
      return { brokers: raw.split(',').map((b) => b.trim()) } as EnvOf[S];
    case 's3':
      return {
        endpoint: raw,
        accessKeyId: process.env.PANOPTES_S3_ACCESS_KEY ?? '',
        secretAccessKey: process.env.PANOPTES_S3_SECRET_KEY ?? '',
        region: process.env.PANOPTES_S3_REGION ?? 'us-east-1',
      } as EnvOf[S];
  }
  return undefined;
}

/**
 * `describe` for a suite that needs a real backing service. The body receives the service's
 * address. Skips loudly when the service is absent; fails instead when services are required.
 */
export function describeWithService<S extends BackingService>(
  service: S,
  title: string,
  body: (env: EnvOf[S]) => void,
): void {
  const env = serviceEnv(service);
  if (env) {
    describe(`${title} [real ${service}]`, () => body(env));
    return;
  }
  const message = `${VARS[service]} is not set: real ${service} is not running. Start it with \`tools/dev-services up\` and \`eval "$(tools/dev-services env)"\`.`;
  if (servicesRequired()) {
    describe(`${title} [real ${service}]`, () => {
      it(`needs real ${service} (PANOPTES_REQUIRE_SERVICES=1)`, () => {
        throw new Error(message);
      });
    });
    return;
  }
  process.stderr.write(`\n!!! SKIPPING "${title}": ${message}\n`);
  describe.skip(`${title} [real ${service}: SKIPPED, not running]`, () => body(undefined as unknown as EnvOf[S]));
}

/** A unique name for test resources (buckets, topics, key prefixes) so runs never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
